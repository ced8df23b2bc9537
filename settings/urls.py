"""URLs of the standalone project: the API at /api/notifications/, the admin, and the demo platform when installed."""

from django.apps import apps
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/notifications/", include("platform_notifications.api.urls")),
    path("api/notification-preferences/", include("platform_notifications.api.preference_urls")),
]

if apps.is_installed("demo"):
    urlpatterns.append(path("", include("demo.urls")))
