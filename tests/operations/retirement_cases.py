"""Retirement scenarios shared by the SQLite suite and the services suite (PostgreSQL, MariaDB)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone
from push_notifications.models import GCMDevice

from platform_notifications.fanout import insert as chunk_insert
from platform_notifications.fanout.insert import NewRow
from platform_notifications.models import (
    CourseMembership,
    DeliveryAttempt,
    DigestSchedule,
    LiveEvent,
    Notification,
    NotificationPreference,
    NotificationRequest,
    RefusedNotification,
    UserNotificationSettings,
    WebhookEndpoint,
    WebPushSubscription,
)

#: Every model that holds user rows, and how to count one user's rows in it.
OWNED = {
    Notification: "user_id",
    NotificationPreference: "user_id",
    UserNotificationSettings: "user_id",
    DigestSchedule: "user_id",
    CourseMembership: "user_id",
    DeliveryAttempt: "user_id",
    WebPushSubscription: "user_id",
    WebhookEndpoint: "user_id",
    GCMDevice: "user_id",
    LiveEvent: "user_id",
}


def make_user(username: str):
    return get_user_model().objects.create(username=username, email=f"{username}@example.com")


def bulk_notifications(user_id: int, count: int) -> None:
    """``count`` notifications for one user through the fan-out's own bulk insert (fast at 100,000)."""
    shared = {
        "course_id": "course-v1:Org+Num+Run",
        "app_name": "discussion",
        "notification_type": "new_response",
        "content_context": {"replier_name": "Ana", "post_title": "Week 1"},
        "content_url": "/courses/x/posts/1",
        "group_by_id": "",
    }
    now = timezone.now()
    for start in range(0, count, 2000):
        chunk_insert.insert(shared, [NewRow(user_id, True, False, False, "")] * min(2000, count - start), now)


def populate(user, notifications: int = 3) -> None:
    """Rows of every kind for ``user``."""
    bulk_notifications(user.pk, notifications)
    NotificationPreference.objects.create(user=user, app_name="discussion", notification_type="*", email=False)
    UserNotificationSettings.objects.create(user=user, timezone="Europe/Paris")
    DigestSchedule.objects.create(user=user, cadence="Daily", delivery_time=timezone.now() + timedelta(hours=3))
    CourseMembership.objects.create(user=user, course_id="course-v1:Org+Num+Run")
    NotificationRequest.objects.create(
        event_id=uuid.uuid4(), kind="users", app_name="discussion", notification_type="new_response", user_ids=[user.pk]
    )
    RefusedNotification.objects.create(source="test", reason="bad", payload={"user_ids": [user.pk], "app_name": "x"})
    # The outbound channels: a delivery log row with its target address, a browser subscription, a webhook, a phone.
    DeliveryAttempt.objects.create(
        user=user, channel="webhook", kind="discussion/new_response", target="https://h.example/x"
    )
    WebPushSubscription.objects.create(
        user=user, endpoint=f"https://push.example/{user.pk}", endpoint_hash=f"h{user.pk}", p256dh="k", auth="a"
    )
    WebhookEndpoint.objects.create(user=user, url=f"https://hooks.example/{user.pk}", secret="whsec_x")
    LiveEvent.objects.create(user=user, kind="read", data={"ids": [1]})
    GCMDevice.objects.create(user=user, registration_id=f"token-{user.pk}", cloud_message_type="FCM")


def rows_of(user_id: int) -> dict[str, int]:
    """How many rows still name ``user_id``, per table (requests alone or as sender, refusals alone)."""
    counts = {model.__name__: model.objects.filter(**{field: user_id}).count() for model, field in OWNED.items()}
    counts["NotificationRequest"] = NotificationRequest.objects.filter(user_ids=[user_id]).count()
    counts["sender"] = NotificationRequest.objects.filter(sender_id=user_id).count()
    counts["RefusedNotification"] = RefusedNotification.objects.filter(payload__user_ids=[user_id]).count()
    return counts


def nothing_of(user_id: int) -> bool:
    return not any(rows_of(user_id).values())
