"""Fixtures of the email suite: sending through the real pipeline, flags, time, and recorded task queueing."""

from __future__ import annotations

from datetime import datetime

import pytest

from platform_notifications import tasks
from platform_notifications.models import NotificationPreference, UserNotificationSettings


@pytest.fixture
def email_on(flags):
    flags("notifications.enable_notifications", "notifications.enable_email_notifications")


@pytest.fixture
def queued(monkeypatch):
    """Record instant-delivery messages instead of running them (as a broker holding ETA messages would)."""
    calls: list[dict] = []

    def record(args=None, kwargs=None, **options):
        calls.append({"args": args, **options})

    monkeypatch.setattr(tasks.deliver_email_instant, "apply_async", record)
    return calls


def set_cadence(user, cadence, app_name="discussion", key="grouped_notification"):
    NotificationPreference.objects.update_or_create(
        user=user, app_name=app_name, notification_type=key, defaults={"email_cadence": cadence}
    )


def set_settings(user, **fields):
    UserNotificationSettings.objects.update_or_create(user=user, defaults=fields)


def utc(*args) -> datetime:
    from datetime import UTC

    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def temp_type():
    """Register a notification type for one test (email on by default), removed afterwards."""
    from platform_notifications.config import registry

    added = []

    def register(name, app_name="updates", **spec):
        spec = {
            "notification_app": app_name,
            "content_template": "<{p}>{text}</{p}>",
            "content_context": {"text": "Text"},
            "web": True,
            "email": True,
            "push": False,
            "email_cadence": "Daily",
            **spec,
        }
        ntype = registry.register_type(name, spec)
        added.append(name)
        return ntype

    yield register
    registry.unregister(types=added)
