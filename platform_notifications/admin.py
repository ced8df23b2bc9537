"""Django admin: notifications, requests and refusals for operators, preferences and digests."""

from django.contrib import admin
from django.db.models import F

from platform_notifications import models


@admin.register(models.Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "user",
        "app_name",
        "notification_type",
        "course_id",
        "web",
        "email",
        "created",
        "last_seen",
        "last_read",
    )
    list_filter = ("app_name", "notification_type", "web", "email")
    search_fields = ("user__username", "course_id", "group_by_id")
    raw_id_fields = ("user",)
    date_hierarchy = "created"


@admin.register(models.NotificationRequest)
class NotificationRequestAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "event_id",
        "kind",
        "notification_type",
        "course_id",
        "state",
        "created_count",
        "grouped_count",
        "attempts",
        "created",
    )
    list_filter = ("state", "kind", "app_name")
    search_fields = ("event_id", "course_id")
    readonly_fields = ("event_id", "cursor", "created_count", "grouped_count", "attempts", "last_error")


@admin.register(models.RefusedNotification)
class RefusedNotificationAdmin(admin.ModelAdmin):
    list_display = ("created", "source", "app_name", "notification_type", "reason")
    list_filter = ("source",)
    search_fields = ("reason", "event_id", "notification_type")


@admin.register(models.DigestSchedule)
class DigestScheduleAdmin(admin.ModelAdmin):
    list_display = ("user", "cadence", "delivery_time", "state", "attempts", "sent_at", "last_error")
    list_filter = ("state", "cadence")
    raw_id_fields = ("user",)


@admin.register(models.NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "app_name", "notification_type", "web", "email", "push", "email_cadence")
    list_filter = ("app_name",)
    raw_id_fields = ("user",)


@admin.register(models.UserNotificationSettings)
class UserNotificationSettingsAdmin(admin.ModelAdmin):
    list_display = ("user", "timezone", "language", "email_opt_out", "unsubscribe_token_version")
    raw_id_fields = ("user",)
    readonly_fields = ("unsubscribe_token_version",)
    actions = ["revoke_unsubscribe_links"]

    @admin.action(description="Revoke the unsubscribe links sent to these users")
    def revoke_unsubscribe_links(self, request, queryset):
        changed = queryset.update(unsubscribe_token_version=F("unsubscribe_token_version") + 1)
        self.message_user(request, f"Revoked the unsubscribe links of {changed} users.")


@admin.register(models.CourseMembership)
class CourseMembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "course_id", "mode", "course_role", "discussion_role", "cohort_id", "team_id")
    list_filter = ("course_id", "mode")
    raw_id_fields = ("user",)


@admin.register(models.DeliveryAttempt)
class DeliveryAttemptAdmin(admin.ModelAdmin):
    list_display = ("created", "channel", "user", "notification_id", "status", "attempt", "target", "error")
    list_filter = ("status", "channel")
    search_fields = ("user__username", "target", "provider_message_id", "error")
    raw_id_fields = ("user", "notification")
    actions = ["retry"]

    @admin.action(description="Retry the selected failed deliveries")
    def retry(self, request, queryset):
        from platform_notifications.channels import dispatch

        count = dispatch.retry_now(list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count} failed deliveries queued again.")


@admin.register(models.WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "url", "active", "consecutive_failures", "disabled_at")
    list_filter = ("kind", "active")
    raw_id_fields = ("user",)
    exclude = ("secret",)
