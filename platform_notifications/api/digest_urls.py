"""URL route of the digest preferences API (mounted at ``api/digest-preferences/`` by the host project)."""

from django.urls import path

from platform_notifications.api.digest_preferences import DigestPreferencesView

app_name = "platform_notifications_digest"

urlpatterns = [path("", DigestPreferencesView.as_view(), name="digest-preferences")]
