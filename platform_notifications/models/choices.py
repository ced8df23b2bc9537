"""What users chose: stored preferences, per-scope choices, per-user settings, followed objects."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from platform_notifications.config.enums import Cadence, DigestFrequency
from platform_notifications.config.kinds import Level


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


class UserNotificationSettings(models.Model):
    """Per-user settings that are not per type: timezone, language, global email opt-out, attention.

    Attention (``preferences.attention``): a minimum level per channel, do-not-disturb until an instant
    (``DND_FOREVER`` until turned off) and a daily quiet-hours window in the user's time zone.
    """

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
    # Below these a notification is listed but not counted (web), not emailed, not pushed.
    web_min_level = models.CharField(max_length=8, choices=Level.choices(), default=Level.INFO)
    email_min_level = models.CharField(max_length=8, choices=Level.choices(), default=Level.INFO)
    push_min_level = models.CharField(max_length=8, choices=Level.choices(), default=Level.INFO)
    # Do not disturb ends at this instant (``DND_FOREVER``: until turned off); null: off.
    do_not_disturb_until = models.DateTimeField(null=True, blank=True)
    # The duration chosen ("1h", ... "forever"), returned by the API.
    do_not_disturb = models.CharField(max_length=8, blank=True, default="")
    # Local wall-clock times in ``timezone``; both set or both null. The window may cross midnight.
    quiet_hours_start = models.TimeField(null=True, blank=True)
    quiet_hours_end = models.TimeField(null=True, blank=True)
    # When this user's Daily or Weekly digests go out, at local time (``channels.email.times``).
    digest_frequency = models.CharField(
        max_length=16, choices=DigestFrequency.choices(), default=DigestFrequency.DEFAULT.value
    )

    class Meta:
        verbose_name_plural = "user notification settings"

    def __str__(self) -> str:
        return f"settings of user {self.user_id}"


class ThreadMute(models.Model):
    """A user muting one thread (a kind and its event data, in one scope) until ``until`` (null: forever).

    While active, new occurrences are recorded in the thread's history but do not re-open, email, push or
    count the user's row. Kept apart from the rows so a mute survives the row's expiry and can precede it.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, db_index=False)
    thread_key = models.CharField(max_length=40)
    scope = models.CharField(max_length=255, blank=True, default="")
    until = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "thread_key", "scope"], name="pn_thread_mute_unique"),
        ]
        # The fan-out: a chunk's users muting one thread.
        indexes = [models.Index(fields=["thread_key", "user"], name="pn_thread_mute_key_user")]

    def __str__(self) -> str:
        return f"{self.user_id} mutes {self.thread_key}"


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
