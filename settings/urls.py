"""URLs of the standalone project: the API at /api/notifications/, the admin, the two LMS endpoints the front ends'
platform library calls (``login_refresh``, the CSRF token), and the demo platform when installed.
"""

from django.apps import apps
from django.contrib import admin
from django.urls import include, path

from platform_notifications.api import platform

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/notifications/", include("platform_notifications.api.urls")),
    # What the front ends' platform library calls on the LMS host (Open edX's LMS answers these itself).
    path("login_refresh", platform.login_refresh, name="login_refresh"),
    path("csrf/api/v1/token", platform.csrf_token, name="csrf_token"),
    path("api/notification-preferences/", include("platform_notifications.api.preference_urls")),
    path("api/digest-preferences/", include("platform_notifications.api.digest_urls")),
]

if apps.is_installed("demo"):
    urlpatterns.append(path("", include("demo.urls")))
