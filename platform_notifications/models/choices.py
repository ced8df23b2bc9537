"""What users chose: stored preferences, per-scope choices, per-user settings, followed objects."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from platform_notifications.config.enums import Cadence


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
