"""The domain vocabulary of notification queries and their bulk state changes."""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.utils import timezone

from platform_notifications.config.bounds import bounded


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user) -> NotificationQuerySet:
        return self.filter(user=user)

    def in_tray(self) -> NotificationQuerySet:
        """Rows shown in the tray: web channel on, younger than ``NOTIFICATIONS_EXPIRY`` days."""
        cutoff = timezone.now() - timedelta(days=bounded("NOTIFICATIONS_EXPIRY"))
        return self.filter(web=True, created__gte=cutoff)

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
