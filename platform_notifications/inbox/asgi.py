"""An ASGI application for hosts that serve the live stream: Django's, minus a thread per open stream.

Django runs each ASGI request in a ``ThreadSensitiveContext``, which gives the request a thread of its own for its
synchronous work (middleware, database) until the response ends. For a stream that lasts hours that is one idle
thread per open browser (about 400 KiB each, measured by ``bench/stream.py``). Streams are served outside such a
context instead: their short synchronous steps share the process's one thread-sensitive thread, and the rest of
the site is served exactly as Django serves it.

Django also keeps cache handles per async context, so each stream would open its own (with a Redis cache, a client
and a connection to Redis per open browser, held for the stream's life). Streams share one handle per cache alias
instead, as the requests a WSGI thread serves one after the other do: all of their synchronous steps run in that
one thread anyway.

    # asgi.py of the host project
    from platform_notifications.inbox.asgi import get_asgi_application
    application = get_asgi_application()
"""

from __future__ import annotations

from django.core.cache import caches
from django.core.handlers.asgi import ASGIHandler
from django.urls import NoReverseMatch, reverse

STREAM_ROUTE = "platform_notifications:notification-stream"


class LiveASGIHandler(ASGIHandler):
    _stream_path: str | None = None

    def __init__(self) -> None:
        super().__init__()
        self._caches: dict[str, object] = {}

    def stream_path(self) -> str:
        if self._stream_path is None:
            try:
                self._stream_path = reverse(STREAM_ROUTE)
            except NoReverseMatch:  # the API is not mounted: nothing to treat apart
                self._stream_path = ""
        return self._stream_path

    def shared_cache(self, alias: str):
        """The one handle of cache ``alias`` that every stream of this handler uses."""
        if alias not in self._caches:
            self._caches[alias] = caches.create_connection(alias)
        return self._caches[alias]

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope.get("path") == self.stream_path() != "":
            # No ThreadSensitiveContext: thread-sensitive calls go to the one shared thread (see the docstring).
            for alias in caches:
                caches[alias] = self.shared_cache(alias)  # in this request's context only
            await self.handle(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def get_asgi_application() -> LiveASGIHandler:
    """``django.core.asgi.get_asgi_application``, with the live stream served without a thread of its own."""
    import django

    django.setup(set_prefix=False)
    return LiveASGIHandler()
