"""Worker settings of the kinds services tests: ``settings.services`` plus the host app that registers the kinds.

No immediate-email buffer: every emailed occurrence is mailed at once, so the test sees a re-notified thread's
email without waiting a buffer's 15 minutes.
"""

from settings.services import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "tests.services.kinds_app"]  # noqa: F405
NOTIFICATION_IMMEDIATE_EMAIL_BUFFER_MINUTES = 0
