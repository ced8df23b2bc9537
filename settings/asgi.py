"""The ASGI application of the demo platform (``uvicorn settings.asgi:application``): serves the live stream.

``make run`` serves it with uvicorn; ``platform_notifications.inbox.asgi`` keeps each open stream from holding a thread.
In production run it under uvicorn or ``gunicorn -k uvicorn.workers.UvicornWorker`` (README, "Live updates").
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings.dev")

from django.conf import settings  # noqa: E402 (after the settings module is chosen)

from platform_notifications.inbox.asgi import get_asgi_application  # noqa: E402

application = get_asgi_application()
if settings.DEBUG:
    # What ``runserver`` does for the demo: serve the static files too.
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    application = ASGIStaticFilesHandler(application)
