"""An Open edX LMS URL conf that serves this plugin's API at Open edX's own ``/api/notifications/`` paths.

The stock tray and account front ends call ``/api/notifications/...``, which Open edX's built-in notifications
app owns. With ``ROOT_URLCONF`` pointing here (the Tutor plugin sets it), those paths reach this plugin first;
the flat and digest preference APIs are mounted beside them at their standalone paths; everything else, plugin
URLs of other apps included, is the LMS's own ``lms.urls``, unchanged. The plugin's own
mount at ``/api/platform-notifications/`` stays as it is.
"""

from __future__ import annotations

from importlib import import_module

from django.urls import include, path

#: The URL conf served after this plugin's routes.
LMS_URLCONF = "lms.urls"

_lms = import_module(LMS_URLCONF)

urlpatterns = [
    # A second instance of the API; ``reverse("platform_notifications:...")`` keeps naming the plugin's own mount.
    path("api/notifications/", include("platform_notifications.api.urls", namespace="platform_notifications_openedx")),
    # The plugin's own paths beside them (no Open edX app owns these), as the standalone project mounts them.
    path("api/notification-preferences/", include("platform_notifications.api.preference_urls")),
    path("api/digest-preferences/", include("platform_notifications.api.digest_urls")),
    *_lms.urlpatterns,
]

# The LMS's error views stay in charge.
for _name in ("handler400", "handler403", "handler404", "handler500"):
    if hasattr(_lms, _name):
        globals()[_name] = getattr(_lms, _name)
