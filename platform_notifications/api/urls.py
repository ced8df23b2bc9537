"""URL routes of the REST API (mounted at ``api/notifications/`` by the host project)."""

app_name = "platform_notifications"
urlpatterns: list = []
