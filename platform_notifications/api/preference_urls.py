"""URL route of the flat preferences API (mounted at ``api/notification-preferences/`` by the host project)."""

from django.urls import path

from platform_notifications.preferences.flat import FlatPreferencesView

app_name = "platform_notifications_preferences"

urlpatterns = [path("", FlatPreferencesView.as_view(), name="flat-preferences")]
