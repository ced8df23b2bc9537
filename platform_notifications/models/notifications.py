"""The rows readers see: notifications, their query vocabulary, thread occurrences, the live event log."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q, Value
from django.db.models.lookups import Exact
from django.utils import timezone

from platform_notifications.config.bounds import bounded
from platform_notifications.config.enums import Cadence
from platform_notifications.config.kinds import Level, Priority
from platform_notifications.models.choices import ThreadMute, UserNotificationSettings
from platform_notifications.models.requests import NotificationRequest


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

    def counted(self) -> NotificationQuerySet:
        """Rows that count in the unseen and unread counts and the badge (``preferences.attention``).

        Left out, though listed: rows below the user's web minimum level, and rows of a thread the user muted
        (until the mute ends). Two correlated ``NOT EXISTS``, each an index lookup per row (the user's
        settings row; ``ThreadMute`` by (user, thread_key, scope)).
        """
        outer_level = OuterRef("level")
        too_low = UserNotificationSettings.objects.filter(user_id=OuterRef("user_id")).filter(
            (Q(web_min_level=Level.ERROR) & ~Q(Exact(outer_level, Value(Level.ERROR.value))))
            | (Q(web_min_level=Level.WARNING) & Q(Exact(outer_level, Value(Level.INFO.value))))
        )
        return self.filter(~Exists(too_low), ~Exists(_active_mute(timezone.now())))

    def with_muted(self) -> NotificationQuerySet:
        """Annotate ``muted``: the user muted the row's thread and the mute has not ended."""
        return self.annotate(muted=Exists(_active_mute(timezone.now())))

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


def _active_mute(now):
    """The row's user's active mute of the row's thread (a correlated subquery)."""
    return ThreadMute.objects.filter(
        Q(until__isnull=True) | Q(until__gt=now),
        user_id=OuterRef("user_id"),
        thread_key=OuterRef("thread_key"),
        scope=OuterRef("scope"),
    )


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
    #: The ``NOTIFICATION_SENDERS`` id its email goes out from; empty: ``NOTIFICATION_DEFAULT_SENDER``.
    sender = models.CharField(max_length=64, blank=True, default="", db_default="")

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


class LiveEvent(models.Model):
    """A change the user's open browsers are told about: the live stream's log, shared by every process.

    One row per user and event: a fan-out chunk writes its rows in one INSERT, a read, seen or archive action
    one row. The row id is the stream's event id, so ``Last-Event-ID`` resumes from the log (bounded by
    ``NOTIFICATION_LIVE_REPLAY_LIMIT``); the retention purge drops rows older than ``NOTIFICATION_LIVE_EVENT_DAYS``.
    """

    class Kind(models.TextChoices):
        NOTIFICATION = "notification"
        READ = "read"
        SEEN = "seen"
        ARCHIVED = "archived"
        UNREAD = "unread"
        REMOVED = "removed"

    id = models.BigAutoField(primary_key=True)
    # No constraint: rows are written set-based for a chunk's users and purged by age; retirement deletes them.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    #: The notification a ``notification`` event announces (serialized when the event is sent, as the list shows it).
    notification_id = models.BigIntegerField(null=True, blank=True)
    #: What a read, seen, archived, unread or removed event changed: ``{"ids": [...]}``, ``{"app_name": ...}`` or
    #: ``{}`` (all). An unarchived row comes back as a ``notification`` event.
    data = models.JSONField(default=dict)
    created = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [
            # The stream: one user's events after an id (replay, and the process's poll for its connected users).
            models.Index(fields=["user", "id"], name="pn_live_user_id"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} for user {self.user_id}"
