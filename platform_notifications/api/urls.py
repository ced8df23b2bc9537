"""URL routes of the REST API (mounted at ``api/notifications/`` by the host project)."""

from django.urls import include, path

from platform_notifications.api.schema import schema_view
from platform_notifications.api.user_settings import UserSettingsView
from platform_notifications.audience import subscription_views
from platform_notifications.channels import deliveries
from platform_notifications.channels.push import views as push_views
from platform_notifications.channels.webhook import views as webhook_views
from platform_notifications.channels.webpush import views as webpush_views
from platform_notifications.inbox import actions as extra_views
from platform_notifications.inbox import archive as archive_views
from platform_notifications.inbox import bulk, kinds_views, mute, stream
from platform_notifications.inbox import views as tray_views
from platform_notifications.operations.views import HealthView
from platform_notifications.preferences import views as preference_views

app_name = "platform_notifications"

urlpatterns = [
    # Open edX tray and account-settings contract.
    path("", tray_views.NotificationListView.as_view(), name="notification-list"),
    path("count/", tray_views.CountView.as_view(), name="notification-count"),
    path("mark-seen/<str:app_name>/", tray_views.MarkSeenView.as_view(), name="mark-seen"),
    path("read/", tray_views.MarkReadView.as_view(), name="mark-read"),
    path("v3/configurations/", preference_views.PreferencesView.as_view(), name="preferences"),
    path("v2/configurations/", preference_views.PreferencesView.as_view(), name="preferences-v2"),
    # Beyond Open edX.
    path("unread/", extra_views.MarkUnreadView.as_view(), name="mark-unread"),
    path("read-all/", extra_views.MarkAllReadView.as_view(), name="mark-all-read"),
    path("bulk/", bulk.BulkView.as_view(), name="notification-bulk"),
    path("stream/", stream.stream, name="notification-stream"),
    path("unread-count/", kinds_views.UnreadCountView.as_view(), name="unread-count"),
    path("mark-all-read/", kinds_views.MarkAllReadScopedView.as_view(), name="mark-all-read-scoped"),
    path("subscriptions/", subscription_views.SubscriptionsView.as_view(), name="subscriptions"),
    path("user-settings/", UserSettingsView.as_view(), name="user-settings"),
    path("schema/", schema_view(), name="schema"),
    path("health/", HealthView.as_view(), name="health"),  # staff only
    path("", include("platform_notifications.channels.email.urls")),
    # Outbound channels: registrations and the user's own delivery log.
    path("devices/", push_views.DeviceListView.as_view(), name="devices"),
    path("devices/<str:device_id>/", push_views.DeviceDetailView.as_view(), name="device"),
    path("webpush-subscriptions/", webpush_views.WebPushSubscriptionView.as_view(), name="webpush-subscriptions"),
    path("webhooks/", webhook_views.WebhookListView.as_view(), name="webhooks"),
    path("webhooks/<int:endpoint_id>/", webhook_views.WebhookDetailView.as_view(), name="webhook"),
    path("deliveries/", deliveries.DeliveryListView.as_view(), name="deliveries"),
    # Last: the routes of one notification by id (a bare path segment), so that they never shadow the fixed
    # prefixes above: ``devices/unarchive/`` is a device, not the unarchive of notification "devices".
    path("<str:notification_id>/archive/", archive_views.ArchiveView.as_view(), name="notification-archive"),
    path("<str:notification_id>/unarchive/", archive_views.UnarchiveView.as_view(), name="notification-unarchive"),
    path("<str:notification_id>/open/", archive_views.OpenView.as_view(), name="notification-open"),
    path("<str:notification_id>/read/", kinds_views.ReadOneView.as_view(), name="notification-read"),
    path("<str:notification_id>/events/", kinds_views.EventsView.as_view(), name="notification-events"),
    path("<str:notification_id>/mute/", mute.MuteView.as_view(), name="notification-mute"),
    path("<str:notification_id>/unmute/", mute.UnmuteView.as_view(), name="notification-unmute"),
    path("<str:notification_id>/", extra_views.RemoveView.as_view(), name="notification-remove"),
]
