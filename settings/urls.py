"""URLs of the standalone project: the API at /api/notifications/, the admin."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/notifications/", include("platform_notifications.api.urls")),
]
