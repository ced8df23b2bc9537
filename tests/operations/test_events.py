"""Tracking events: Open edX's names and fields, one per request or batch, through event-tracking or a signal."""

from __future__ import annotations

import sys
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from eventtracking import tracker as et_tracker
from eventtracking.tracker import Tracker
from rest_framework.test import APIClient

from platform_notifications.channels.email import batch
from platform_notifications.channels.email.tokens import Scope, make_token
from platform_notifications.models import DigestSchedule, Notification
from platform_notifications.operations import events
from tests.email.conftest import set_cadence
from tests.factories import NotificationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def signalled():
    """Events delivered through the Django signal (event-tracking has no tracker registered)."""
    received: list[tuple[str, dict]] = []

    def receiver(sender, name, data, **kwargs):
        received.append((name, data))

    events.tracking_event.connect(receiver, dispatch_uid="test-events")
    yield received
    events.tracking_event.disconnect(dispatch_uid="test-events")


class MemoryBackend:
    """An event-tracking backend: what the library hands to its backends after ``tracker.emit``."""

    def __init__(self) -> None:
        self.events: list[dict] = []

    def send(self, event: dict) -> None:
        self.events.append(event)


@pytest.fixture
def tracked():
    backend = MemoryBackend()
    et_tracker.register_tracker(Tracker(backends={"memory": backend}))
    yield backend.events
    et_tracker.TRACKERS.pop("default", None)


def names(received) -> list[str]:
    return [name for name, _ in received]


def test_a_fan_out_emits_one_event_for_the_whole_request(signalled, notifications_on, send):
    users = UserFactory.create_batch(30)
    with override_settings(NOTIFICATION_CREATION_BATCH_SIZE=7):  # five chunks, still one event
        request = send([u.pk for u in users])
    assert names(signalled) == [events.NOTIFICATION_GENERATED]
    data = signalled[0][1]
    assert data["recipients_id"] == sorted(u.pk for u in users)
    assert (data["recipients_count"], data["created_count"], data["grouped_count"]) == (30, 30, 0)
    assert (data["notification_app"], data["notification_type"]) == ("discussion", "new_response")
    assert data["course_id"] == "course-v1:Org+Num+Run" and data["request_id"] == request.pk


def test_event_tracking_receives_the_events_when_it_is_set_up(tracked, signalled):
    user = UserFactory()
    row = NotificationFactory(user=user)
    client = APIClient()
    client.force_authenticate(user)
    assert client.patch("/api/notifications/read/", {"notification_id": row.pk}, format="json").status_code == 200
    assert signalled == []
    assert [e["name"] for e in tracked] == [events.NOTIFICATION_READ]
    data = tracked[0]["data"]
    assert data["user_id"] == str(user.pk)
    assert data["notification_metadata"]["notification_id"] == row.pk
    assert "Ana" in data["notification_metadata"]["notification_content"]


def test_without_event_tracking_the_signal_carries_them(signalled, monkeypatch):
    monkeypatch.setitem(sys.modules, "eventtracking", None)  # "not installed": the import fails
    events.emit("edx.notifications.test", {"a": 1})
    assert signalled == [("edx.notifications.test", {"a": 1})]


def test_a_failing_tracker_never_breaks_the_caller(signalled):
    def broken(sender, **kwargs):
        raise RuntimeError("down")

    events.tracking_event.connect(broken, dispatch_uid="broken")
    try:
        user = UserFactory()
        NotificationFactory(user=user)
        client = APIClient()
        client.force_authenticate(user)
        assert client.put("/api/notifications/mark-seen/discussion/").status_code == 200
    finally:
        events.tracking_event.disconnect(dispatch_uid="broken")
    assert Notification.objects.filter(user=user, last_seen__isnull=False).count() == 1


def test_tray_events(signalled, notifications_on):
    user = UserFactory()
    NotificationFactory.create_batch(2, user=user)
    client = APIClient()
    client.force_authenticate(user)
    client.get("/api/notifications/?app_name=discussion")
    assert signalled == []
    client.get("/api/notifications/?app_name=discussion&tray_opened=true")
    client.put("/api/notifications/mark-seen/discussion/")
    client.patch("/api/notifications/read/", {"app_name": "discussion"}, format="json")
    assert signalled == [
        (events.NOTIFICATION_TRAY_OPENED, {"user_id": user.pk}),
        (events.NOTIFICATION_APP_SEEN, {"user_id": str(user.pk), "notification_app": "discussion", "count": 2}),
        (events.NOTIFICATION_APP_ALL_READ, {"user_id": str(user.pk), "notification_app": "discussion", "count": 2}),
    ]


def test_preferences_updated(signalled):
    user = UserFactory()
    client = APIClient()
    client.force_authenticate(user)
    body = {"notification_app": "grading", "notification_type": "ora_reminder", "notification_channel": "web"}
    assert (
        client.put("/api/notifications/v3/configurations/", {**body, "value": False}, format="json").status_code == 200
    )
    assert signalled == [
        (
            events.NOTIFICATION_PREFERENCES_UPDATED,
            {
                "user_id": str(user.pk),
                "course_id": "",
                "notification_app": "grading",
                "notification_type": "ora_reminder",
                "notification_channel": "web",
                "value": False,
            },
        )
    ]
    client.put("/api/notifications/v3/configurations/", {**body, "value": "maybe"}, format="json")
    assert len(signalled) == 1  # a refused change emits nothing


@pytest.mark.parametrize("route", ["email_unsubscribe", "email_preferences_update"])
def test_unsubscribe(signalled, route):
    user = UserFactory()
    token = make_token(user.pk, Scope.app("updates"))
    Client().get(reverse(f"platform_notifications:{route}", args=[token]))
    assert signalled == []  # a GET changes nothing and emits nothing
    assert Client().post(reverse(f"platform_notifications:{route}", args=[token])).status_code == 200
    assert signalled == [
        (
            events.NOTIFICATION_PREFERENCE_UNSUBSCRIBE,
            {"user_id": str(user.pk), "scope": "app", "notification_app": "updates", "notification_type": ""},
        )
    ]


def test_email_delivery_emits_one_event_per_batch(signalled, flags):
    flags("notifications.enable_notifications", "notifications.enable_email_notifications")
    when = timezone.now() - timedelta(hours=1)
    for user in UserFactory.create_batch(3):
        set_cadence(user, "Daily")
        NotificationFactory(user=user, email=True, email_cadence="Daily", created=when - timedelta(hours=1))
        DigestSchedule.objects.create(user=user, cadence="Daily", delivery_time=when)
    batch.deliver_due()
    assert len(mail.outbox) == 3
    assert signalled == [
        (events.NOTIFICATION_EMAILS_SENT, {"sent": 3, "empty": 0, "retrying": 0, "failed": 0, "skipped": 0})
    ]
    batch.deliver_due()
    assert len(signalled) == 1  # nothing due: no event
