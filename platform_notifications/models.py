"""Database models: notifications, stored preferences, per-user settings, the request outbox, digests."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from platform_notifications.config.bounds import bounded
from platform_notifications.config.enums import Cadence
from platform_notifications.config.kinds import Level, Priority
from platform_notifications.core.packedids import PackedIdsField


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user) -> NotificationQuerySet:
        return self.filter(user=user)

    def in_tray(self, archived: bool = False) -> NotificationQuerySet:
        """Rows shown in the tray: web channel on, younger than ``NOTIFICATIONS_EXPIRY`` days, not archived.

        ``archived=True``: the archived ones instead (the inbox's archive view).
        """
        cutoff = timezone.now() - timedelta(days=bounded("NOTIFICATIONS_EXPIRY"))
        return self.filter(web=True, created__gte=cutoff, archived_at__isnull=not archived)

    def unseen(self) -> NotificationQuerySet:
        return self.filter(last_seen__isnull=True)

    def unread(self) -> NotificationQuerySet:
        return self.filter(last_read__isnull=True)

    def of_app(self, app_name: str | None) -> NotificationQuerySet:
        return self.filter(app_name=app_name) if app_name else self

    def mark_seen(self) -> int:
        """Mark every unseen row of this queryset seen now; returns how many changed."""
        return self.unseen().update(last_seen=timezone.now())

    def mark_read(self) -> int:
        """Mark every unread row of this queryset read (and seen) now; returns how many changed."""
        now = timezone.now()
        seen = self.unread().filter(last_seen__isnull=True).update(last_read=now, last_seen=now)
        return seen + self.unread().update(last_read=now)

    def expired(self) -> NotificationQuerySet:
        cutoff = timezone.now() - timedelta(days=bounded("NOTIFICATIONS_EXPIRY"))
        return self.filter(created__lt=cutoff)


class Notification(models.Model):
    """One notification for one user; the row is the web (tray) channel and the ledger of the others."""

    id = models.BigAutoField(primary_key=True)
    # No separate FK index: (user, created) leads with user and serves it (and MySQL's FK needs).
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, db_index=False)
    course_id = models.CharField(max_length=255, blank=True, default="")
    app_name = models.CharField(max_length=64)
    notification_type = models.CharField(max_length=64)
    content_context = models.JSONField(default=dict)
    content_url = models.CharField(max_length=2048, blank=True, default="")
    # Which channels applied for this user when it was created.
    web = models.BooleanField(default=True)
    email = models.BooleanField(default=False)
    push = models.BooleanField(default=False)
    email_cadence = models.CharField(max_length=16, blank=True, default="", choices=Cadence.choices())
    last_read = models.DateTimeField(null=True, blank=True)
    last_seen = models.DateTimeField(null=True, blank=True)
    group_by_id = models.CharField(max_length=255, blank=True, default="")
    email_scheduled = models.BooleanField(default=False)
    email_sent_on = models.DateTimeField(null=True, blank=True)
    # Archived rows leave the tray and the counts; the inbox lists them on request.
    archived_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)
    modified = models.DateTimeField(default=timezone.now)
    # Free-text content of kinds sent through ``service`` (a template type leaves them empty).
    title = models.CharField(max_length=255, blank=True, default="")
    body = models.TextField(blank=True, default="")
    level = models.CharField(max_length=8, choices=Level.choices(), default=Level.INFO)
    priority = models.PositiveSmallIntegerField(default=Priority.NORMAL)
    #: ``[{"label": ..., "url": ...}]``, shown as action chips.
    links = models.JSONField(default=list, blank=True)
    #: The scope key (a team, an organisation, a tenant); empty means unscoped.
    scope = models.CharField(max_length=255, blank=True, default="")
    #: SHA1 of the kind and its event data; rows of one user and thread are one row with ``occurrences``.
    thread_key = models.CharField(max_length=40, blank=True, default="")
    occurrences = models.PositiveIntegerField(default=1)
    #: When the user's thread row was first created (``created`` moves to each re-notification).
    first_created = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        indexes = [
            # The tray list: a user's rows newest first.
            models.Index(fields=["user", "created"], name="pn_notif_user_created"),
            # The unseen count: user, last_seen IS NULL, web.
            models.Index(fields=["user", "last_seen", "web"], name="pn_notif_user_seen_web"),
            # Grouping: candidates of one group among a chunk of users.
            models.Index(fields=["group_by_id", "user"], name="pn_notif_group_user"),
            # Digests: a user's rows not yet emailed.
            models.Index(fields=["user", "email_sent_on"], name="pn_notif_user_emailed"),
            # Retention purge by age.
            models.Index(fields=["created"], name="pn_notif_created"),
            # Threads: a chunk's users' rows of one thread.
            models.Index(fields=["thread_key", "user"], name="pn_notif_thread_user"),
        ]

    def __str__(self) -> str:
        return f"{self.notification_type} for user {self.user_id}"

    @property
    def kind(self) -> str:
        from platform_notifications.config.kinds import kind_of

        return kind_of(self.app_name, self.notification_type)

    @property
    def content(self) -> str:
        """The type's template rendered with this row's (escaped) context, or the escaped free text."""
        from platform_notifications.config.kinds import render_free_text
        from platform_notifications.config.rendering import render_notification

        if self.title or self.body:
            return render_free_text(self.title, self.body)
        return render_notification(self)


class NotificationPreference(models.Model):
    """What one user chose for one preference row; a null field means "not chosen: use the default".

    ``notification_type`` is a type name, ``grouped_notification`` (the app's bundled row) or ``*``
    (an app-wide blanket choice that also covers types added later).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, db_index=False)
    app_name = models.CharField(max_length=64)
    notification_type = models.CharField(max_length=64)
    web = models.BooleanField(null=True, blank=True)
    email = models.BooleanField(null=True, blank=True)
    push = models.BooleanField(null=True, blank=True)
    email_cadence = models.CharField(max_length=16, null=True, blank=True, choices=Cadence.choices())
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "app_name", "notification_type"], name="pn_pref_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.app_name}/{self.notification_type}"


class UserNotificationSettings(models.Model):
    """Per-user settings that are not per type: timezone, language, global email opt-out."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    timezone = models.CharField(max_length=64, blank=True, default="", help_text="IANA name; empty: UTC")
    language = models.CharField(max_length=16, blank=True, default="")
    # Set by "unsubscribe from all email": email is off for every type without an explicit choice,
    # including types added later.
    email_opt_out = models.BooleanField(default=False)
    # Raised to revoke every unsubscribe link sent so far (tokens carry the version they were made with).
    unsubscribe_token_version = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "user notification settings"

    def __str__(self) -> str:
        return f"settings of user {self.user_id}"


class NotificationRequest(models.Model):
    """The outbox: one validated send request, stored in the producer's transaction and fanned out after.

    ``event_id`` (the event's metadata id) makes a repeated event a no-op; ``cursor`` (the last user id
    processed) is advanced in the same transaction as each chunk's rows, so a retried fan-out resumes.
    """

    class Kind(models.TextChoices):
        USERS = "users"
        COURSE = "course"
        #: An audience dict of ``service.send`` (users, groups, followers, course, host keys, permissions).
        AUDIENCE = "audience"

    class State(models.TextChoices):
        PENDING = "pending"
        DONE = "done"
        FAILED = "failed"

    event_id = models.UUIDField(unique=True)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    app_name = models.CharField(max_length=64)
    notification_type = models.CharField(max_length=64)
    course_id = models.CharField(max_length=255, blank=True, default="")
    content_url = models.CharField(max_length=2048, blank=True, default="")
    context = models.JSONField(default=dict)
    group_by_id = models.CharField(max_length=255, blank=True, default="")
    sender_id = models.BigIntegerField(null=True, blank=True)
    # As the producer gave them (validated, maybe unsorted or repeated); the fan-out walks them sorted and unique.
    user_ids = PackedIdsField(default=list, blank=True, help_text="Recipients of a users audience")
    audience_filters = models.JSONField(default=dict, blank=True)
    #: The cleaned audience dict of an ``audience`` request.
    audience = models.JSONField(default=dict, blank=True)
    #: Free-text content, level, priority, links, scope, thread key and thread options (``service``).
    options = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    cursor = models.BigIntegerField(default=0)
    created_count = models.IntegerField(default=0)
    grouped_count = models.IntegerField(default=0)
    attempts = models.IntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    created = models.DateTimeField(default=timezone.now)
    modified = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["state", "modified"], name="pn_request_state_modified")]

    def __str__(self) -> str:
        return f"{self.notification_type} ({self.kind}, {self.state})"


class RefusedNotification(models.Model):
    """A send request refused for bad input, kept for operators (the producer never sees the error)."""

    created = models.DateTimeField(default=timezone.now, db_index=True)
    source = models.CharField(max_length=64)
    event_id = models.CharField(max_length=64, blank=True, default="")
    app_name = models.CharField(max_length=255, blank=True, default="")
    notification_type = models.CharField(max_length=255, blank=True, default="")
    reason = models.TextField()
    payload = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"{self.notification_type or '?'}: {self.reason[:60]}"


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

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, db_index=False)
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


class CourseMembership(models.Model):
    """A standalone platform's course roster, used by the standalone audience filters.

    Open edX deployments do not use it: their filters read Open edX's own enrollment and role models.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    course_id = models.CharField(max_length=255)
    mode = models.CharField(max_length=32, blank=True, default="audit", help_text="Enrollment mode")
    is_active = models.BooleanField(default=True)
    course_role = models.CharField(max_length=32, blank=True, default="", help_text="staff, instructor")
    discussion_role = models.CharField(max_length=32, blank=True, default="Student")
    cohort_id = models.IntegerField(null=True, blank=True)
    team_id = models.CharField(max_length=255, blank=True, default="")
    audit_access_expires = models.DateTimeField(
        null=True, blank=True, help_text="When an audit learner's access ends (empty: never); see the audit filter"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "course_id"], name="pn_member_unique")]
        indexes = [models.Index(fields=["course_id", "user"], name="pn_member_course_user")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.course_id}"


class LiveEvent(models.Model):
    """A change the open browsers are told about: the live stream's log, shared by every process.

    One row per fan-out chunk (its users in ``user_ids``) or per user action; the row id is the stream's
    event id, so ``Last-Event-ID`` resumes from the log. Rows older than the replay window are pruned.
    """

    id = models.BigAutoField(primary_key=True)
    created = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=16)
    user_ids = models.JSONField(default=list)
    data = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


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


class ThreadEvent(models.Model):
    """One occurrence of a thread (a kind and its event data, in one scope), kept for its history."""

    thread_key = models.CharField(max_length=40)
    scope = models.CharField(max_length=255, blank=True, default="")
    kind = models.CharField(max_length=64)
    event_data = models.JSONField(default=dict, blank=True)
    title = models.CharField(max_length=255, blank=True, default="")
    body = models.TextField(blank=True, default="")
    level = models.CharField(max_length=8, choices=Level.choices(), default=Level.INFO)
    links = models.JSONField(default=list, blank=True)
    # No constraint and no cascade: an occurrence outlives its request (retention, retirement delete requests
    # set-based, without collecting the occurrences that name them).
    request = models.ForeignKey(
        NotificationRequest, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["thread_key", "created"], name="pn_thread_event_key_created")]

    def __str__(self) -> str:
        return f"{self.kind} occurrence at {self.created:%Y-%m-%d %H:%M}"


class Subscription(models.Model):
    """A user following an object (a forum thread, a record): the ``followers_of`` audience."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, db_index=False)
    content_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.CASCADE)
    object_id = models.CharField(max_length=64)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "content_type", "object_id"], name="pn_subscription_unique"),
        ]
        # The audience: every follower of one object.
        indexes = [models.Index(fields=["content_type", "object_id", "user"], name="pn_subscription_object")]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.content_type_id}:{self.object_id}"


class ScopedPreference(models.Model):
    """A user's choice for one preference row within one scope, ahead of their global choice there."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, db_index=False)
    scope = models.CharField(max_length=255)
    app_name = models.CharField(max_length=64)
    notification_type = models.CharField(max_length=64)
    web = models.BooleanField(null=True, blank=True)
    email = models.BooleanField(null=True, blank=True)
    push = models.BooleanField(null=True, blank=True)
    email_cadence = models.CharField(max_length=16, null=True, blank=True, choices=Cadence.choices())
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "scope", "app_name", "notification_type"], name="pn_scoped_pref_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.scope}: {self.app_name}/{self.notification_type}"
