"""What channels owe and did: email schedules, the outbound delivery log, browser and webhook endpoints."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from platform_notifications.config.enums import Cadence
from platform_notifications.models.notifications import Notification


class DigestSchedule(models.Model):
    """One email delivery owed to a user at one instant: the truth behind digests and buffered emails.

    ``delivery_time`` is the UTC instant of the user's local delivery time; unique per user, cadence and
    instant, so scheduling twice is harmless and a claimed row is sent exactly once.
    """

    class State(models.TextChoices):
        PENDING = "pending"
        SENDING = "sending"
        SENT = "sent"
        EMPTY = "empty"
        FAILED = "failed"

    # No database constraint: a fan-out writes a chunk's schedules for users it has just read as active, in the
    # same transaction, and PostgreSQL's deferred check of 20,000 keys at each commit cost a seventh of an email-on
    # fan-out. Deleting a user through Django still deletes their schedules; one deleted otherwise leaves rows
    # that the retention purge removes ("orphaned schedules").
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, db_index=False, db_constraint=False)
    cadence = models.CharField(max_length=16, choices=Cadence.choices())
    delivery_time = models.DateTimeField()
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    attempts = models.IntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # After a failed send: the earliest time of the next attempt (the backoff), honoured by every sender.
    retry_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "cadence", "delivery_time"], name="pn_digest_unique"),
        ]
        indexes = [models.Index(fields=["state", "delivery_time"], name="pn_digest_state_time")]

    def __str__(self) -> str:
        return f"{self.cadence} digest for {self.user_id} at {self.delivery_time:%Y-%m-%d %H:%M}Z"


class DeliveryAttemptQuerySet(models.QuerySet):
    def for_user(self, user) -> DeliveryAttemptQuerySet:
        """A user's own deliveries (never another user's: every user-facing read goes through this)."""
        return self.filter(user=user)

    def failed(self) -> DeliveryAttemptQuerySet:
        return self.filter(status=DeliveryAttempt.Status.FAILED)


class DeliveryAttempt(models.Model):
    """The delivery log of the outbound channels: one row per send attempt per channel and target.

    A retry writes a new row (``attempt`` + 1) and leaves the earlier one ``retrying`` with its error; a row
    ``held`` by throttling is later ``summarized`` into one summary delivery (a row without notification).
    """

    class Status(models.TextChoices):
        QUEUED = "queued"
        SENDING = "sending"
        SENT = "sent"
        FAILED = "failed"
        RETRYING = "retrying"
        HELD = "held"
        SUMMARIZED = "summarized"

    channel = models.CharField(max_length=16)
    # The recipient; null for an operator-level endpoint configured in settings.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True)
    # Null for a throttling summary. No database constraint and no cascade: the log outlives the notification,
    # and deleting notifications (retention, retirement) stays one set-based DELETE with no per-row collection.
    # A row whose notification is gone reads ``notification`` as None.
    notification = models.ForeignKey(
        Notification, on_delete=models.DO_NOTHING, db_constraint=False, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=130, help_text="app/type, for throttling and filtering")
    # The send request this delivery comes from (operator endpoints get one delivery per request).
    request_id = models.BigIntegerField(null=True, blank=True)
    target = models.CharField(max_length=255, blank=True, default="", help_text="endpoint or device set")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    attempt = models.PositiveSmallIntegerField(default=1)
    payload = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True, default="")
    provider_message_id = models.CharField(max_length=255, blank=True, default="")
    created = models.DateTimeField(default=timezone.now)
    scheduled_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The token of the worker that claimed the row for sending (a redelivered task finds nothing to claim).
    claim = models.CharField(max_length=32, blank=True, default="", db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)

    objects = DeliveryAttemptQuerySet.as_manager()

    class Meta:
        indexes = [
            # The sweep of queued rows whose task was lost, and the release of held rows.
            models.Index(fields=["status", "scheduled_at"], name="pn_delivery_status_time"),
            # Throttling counts per user and channel in a window.
            models.Index(fields=["user", "channel", "created"], name="pn_delivery_user_chan"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} #{self.attempt} to {self.user_id}: {self.status}"


class WebPushSubscription(models.Model):
    """A browser's Web Push subscription (``PushSubscription.toJSON()``): endpoint and its two keys."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    endpoint = models.URLField(max_length=1024)
    # SHA-256 of the endpoint: unique on every engine (MySQL cannot index a 1024-character column whole).
    endpoint_hash = models.CharField(max_length=64, unique=True)
    p256dh = models.CharField(max_length=128)
    auth = models.CharField(max_length=64)
    created = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"web push of {self.user_id}"


class WebhookEndpoint(models.Model):
    """A user's webhook (signed per Standard Webhooks) or Slack incoming-webhook URL."""

    class Kind(models.TextChoices):
        WEBHOOK = "webhook"
        SLACK = "slack"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.WEBHOOK)
    url = models.URLField(max_length=2048)
    secret = models.CharField(max_length=100, blank=True, default="", help_text="whsec_...")
    apps = models.JSONField(default=list, blank=True, help_text="empty: every app")
    kinds = models.JSONField(default=list, blank=True, help_text="notification types; empty: every type")
    min_level = models.CharField(max_length=8, default="INFO")
    active = models.BooleanField(default=True)
    consecutive_failures = models.IntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.kind} of {self.user_id}"
