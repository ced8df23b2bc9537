"""Django admin: find and fix deliveries at millions of rows (no exact counts, no DISTINCT scans), and the tools.

Lists count at most ``CappedCountPaginator.cap`` rows, filters list kinds from the registry rather than from
the table, and user search is an exact match (``=username``) so it uses the user index. Actions requeue stuck
requests, retry or resend email schedules and run the retention purge; one page explains a user's preferences.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import F
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.functional import cached_property

from platform_notifications import models
from platform_notifications.config import registry
from platform_notifications.core import queue
from platform_notifications.operations import explain, retention


class CappedCountPaginator(Paginator):
    """Counts at most ``cap`` + 1 rows (``SELECT COUNT(*) FROM (... LIMIT cap + 1)``): an exact count of
    millions of rows would scan them on every page; beyond the cap, the list says "10001" and pages stop there.
    """

    cap = 10_000

    @cached_property
    def count(self) -> int:
        return self.object_list[: self.cap + 1].count()


class FastListMixin:
    show_full_result_count = False
    paginator = CappedCountPaginator
    list_per_page = 50


class AppFilter(admin.SimpleListFilter):
    """Apps from the registry: a DISTINCT over the table would read every row."""

    title = "app"
    parameter_name = "app"

    def lookups(self, request, model_admin):
        return [(name, name) for name in registry.apps()]

    def queryset(self, request, queryset):
        return queryset.filter(app_name=self.value()) if self.value() else queryset


class TypeFilter(admin.SimpleListFilter):
    title = "type"
    parameter_name = "type"

    def lookups(self, request, model_admin):
        return [(name, name) for name in registry.types()]

    def queryset(self, request, queryset):
        return queryset.filter(notification_type=self.value()) if self.value() else queryset


class UserIdFilter(admin.SimpleListFilter):
    """``?user=<id>``: one user's rows (links from the preferences page; the search box takes ``=username``)."""

    title = "user id"
    parameter_name = "user"

    def lookups(self, request, model_admin):
        value = request.GET.get(self.parameter_name)
        return [(value, f"user {value}")] if value and value.isdigit() else []

    def queryset(self, request, queryset):
        return queryset.filter(user_id=int(self.value())) if self.value() and self.value().isdigit() else queryset


class ReadStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("unseen", "unseen"), ("unread", "seen, unread"), ("read", "read")]

    def queryset(self, request, queryset):
        return {
            "unseen": lambda: queryset.filter(last_seen__isnull=True),
            "unread": lambda: queryset.filter(last_seen__isnull=False, last_read__isnull=True),
            "read": lambda: queryset.filter(last_read__isnull=False),
        }.get(self.value(), lambda: queryset)()


@admin.action(description="Run the retention purge now (every table, in batches)")
def purge_now(modeladmin, request, queryset):
    deleted = retention.purge()
    modeladmin.message_user(request, "Purged: " + ", ".join(f"{n} {table}" for table, n in deleted.items()))


@admin.register(models.Notification)
class NotificationAdmin(FastListMixin, admin.ModelAdmin):
    list_display = ("id", "user", "app_name", "notification_type", "course_id", "web", "email", "created", "last_seen")
    list_filter = (
        UserIdFilter,
        AppFilter,
        TypeFilter,
        ReadStateFilter,
        "web",
        "email",
        ("created", admin.DateFieldListFilter),
    )
    search_fields = ("=user__username", "=user__email", "=course_id", "=group_by_id")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    actions = [purge_now]


@admin.register(models.NotificationRequest)
class NotificationRequestAdmin(FastListMixin, admin.ModelAdmin):
    list_display = ("id", "kind", "notification_type", "course_id", "state", "created_count", "attempts", "created")
    list_filter = ("state", "kind", AppFilter, TypeFilter, ("created", admin.DateFieldListFilter))
    search_fields = ("=event_id", "=course_id")
    readonly_fields = ("event_id", "cursor", "created_count", "grouped_count", "attempts", "last_error")
    actions = ["requeue", purge_now]

    @admin.action(description="Requeue the selected pending or failed requests (resumes from their cursor)")
    def requeue(self, request, queryset):
        with transaction.atomic():
            ids = list(queryset.exclude(state=models.NotificationRequest.State.DONE).values_list("pk", flat=True))
            models.NotificationRequest.objects.filter(pk__in=ids).update(
                state=models.NotificationRequest.State.PENDING, attempts=0, last_error="", modified=timezone.now()
            )
            for pk in ids:
                transaction.on_commit(lambda pk=pk: queue.enqueue(queue.FAN_OUT, [pk]))
        self.message_user(request, f"Requeued {len(ids)} requests.", messages.SUCCESS)


@admin.register(models.RefusedNotification)
class RefusedNotificationAdmin(FastListMixin, admin.ModelAdmin):
    list_display = ("created", "source", "app_name", "notification_type", "reason")
    list_filter = (AppFilter, TypeFilter, ("created", admin.DateFieldListFilter))
    search_fields = ("=source", "=event_id", "=notification_type")
    actions = [purge_now]


@admin.register(models.DigestSchedule)
class DigestScheduleAdmin(FastListMixin, admin.ModelAdmin):
    list_display = ("id", "user", "cadence", "delivery_time", "state", "attempts", "sent_at", "last_error")
    list_filter = (UserIdFilter, "state", "cadence", ("delivery_time", admin.DateFieldListFilter))
    search_fields = ("=user__username", "=user__email")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    actions = ["retry_or_resend", purge_now]

    @admin.action(description="Retry (failed, pending, stuck) or resend (sent) the selected email schedules")
    def retry_or_resend(self, request, queryset):
        State = models.DigestSchedule.State
        with transaction.atomic():
            chosen = list(queryset.select_for_update().values_list("pk", "user_id", "state", "sent_at"))
            for _pk, user_id, state, sent_at in chosen:
                if state == State.SENT and sent_at is not None:
                    # The rows it sent carry its send time: unstamp them so the resend includes them again.
                    models.Notification.objects.filter(user_id=user_id, email_sent_on=sent_at).update(
                        email_sent_on=None
                    )
            ids = [pk for pk, *_ in chosen]
            models.DigestSchedule.objects.filter(pk__in=ids).update(
                state=State.PENDING, attempts=0, retry_at=None, claimed_at=None, sent_at=None, last_error=""
            )
            for pk in ids:
                transaction.on_commit(lambda pk=pk: queue.enqueue(queue.DELIVER_EMAIL_SCHEDULE, [pk]))
        self.message_user(request, f"Queued {len(ids)} email schedules.", messages.SUCCESS)


@admin.register(models.NotificationPreference)
class NotificationPreferenceAdmin(FastListMixin, admin.ModelAdmin):
    list_display = ("user", "app_name", "notification_type", "web", "email", "push", "email_cadence")
    list_filter = (UserIdFilter, AppFilter)
    search_fields = ("=user__username", "=user__email")
    raw_id_fields = ("user",)

    def get_urls(self):
        view = self.admin_site.admin_view(self.effective_view)
        return [path("effective/", view, name="platform_notifications_effective"), *super().get_urls()]

    def effective_view(self, request):
        """One user's effective preferences per row and channel, and why (``?username=``)."""
        username = request.GET.get("username", "").strip()
        context = {**self.admin_site.each_context(request), "title": "Effective notification preferences"}
        context["username"] = username
        if username:
            User = get_user_model()
            target = User._default_manager.filter(**{User.USERNAME_FIELD: username}).first()
            if target is None:
                context["error"] = f"No user named {username!r}."
            else:
                context.update(target=target, rows=explain.explain(target.pk))
        return TemplateResponse(request, "admin/platform_notifications/effective_preferences.html", context)


@admin.register(models.UserNotificationSettings)
class UserNotificationSettingsAdmin(FastListMixin, admin.ModelAdmin):
    list_display = ("user", "timezone", "language", "email_opt_out", "unsubscribe_token_version")
    search_fields = ("=user__username", "=user__email")
    raw_id_fields = ("user",)
    readonly_fields = ("unsubscribe_token_version",)
    actions = ["revoke_unsubscribe_links"]

    @admin.action(description="Revoke the unsubscribe links sent to these users")
    def revoke_unsubscribe_links(self, request, queryset):
        changed = queryset.update(unsubscribe_token_version=F("unsubscribe_token_version") + 1)
        self.message_user(request, f"Revoked the unsubscribe links of {changed} users.")


@admin.register(models.CourseMembership)
class CourseMembershipAdmin(FastListMixin, admin.ModelAdmin):
    list_display = ("user", "course_id", "mode", "course_role", "discussion_role", "cohort_id", "team_id")
    list_filter = ("mode", "course_role")
    search_fields = ("=user__username", "=course_id")
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
