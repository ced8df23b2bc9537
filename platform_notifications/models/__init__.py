"""Database models, one module per responsibility; every model is importable from here."""

from platform_notifications.models.choices import (
    NotificationPreference,
    ScopedPreference,
    Subscription,
    ThreadMute,
    UserNotificationSettings,
)
from platform_notifications.models.delivery import (
    DeliveryAttempt,
    DeliveryAttemptQuerySet,
    DigestSchedule,
    WebhookEndpoint,
    WebPushSubscription,
)
from platform_notifications.models.notifications import LiveEvent, Notification, NotificationQuerySet, ThreadEvent
from platform_notifications.models.requests import CourseMembership, NotificationRequest, RefusedNotification

__all__ = [
    "CourseMembership",
    "DeliveryAttempt",
    "DeliveryAttemptQuerySet",
    "DigestSchedule",
    "LiveEvent",
    "Notification",
    "NotificationPreference",
    "NotificationQuerySet",
    "NotificationRequest",
    "RefusedNotification",
    "ScopedPreference",
    "Subscription",
    "ThreadEvent",
    "ThreadMute",
    "UserNotificationSettings",
    "WebPushSubscription",
    "WebhookEndpoint",
]
