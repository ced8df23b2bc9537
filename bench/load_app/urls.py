"""The site's URLs and ``GET /bench/constant/``: authenticated like ``count/`` (the same view base), then a constant."""

from django.urls import path
from rest_framework.response import Response

from platform_notifications.api.base import ApiView
from settings.urls import urlpatterns as site_patterns

#: The same keys and sizes as ``count/``'s body for the demo's apps, so rendering costs the same.
CONSTANT = {
    "show_notifications_tray": True,
    "count": 0,
    "count_by_app_name": {"discussion": 0, "updates": 0, "grading": 0},
    "notification_expiry_days": 60,
    "is_new_notification_view_enabled": False,
}


class ConstantView(ApiView):
    def get(self, request):
        return Response(CONSTANT)


urlpatterns = [path("bench/constant/", ConstantView.as_view()), *site_patterns]
