"""The Python send API, for platforms that do not emit openedx-events signals."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from platform_notifications.intake.outbox import SendSpec, submit
from platform_notifications.models import NotificationRequest


def notify(
    user_ids: Iterable[int],
    notification_type: str,
    content_url: str,
    app_name: str,
    course_key: Any,
    context: Mapping[str, Any] | None = None,
    *,
    idempotency_key: Any = None,
) -> NotificationRequest | None:
    """Notify ``user_ids`` (same arguments as ``UserNotificationData``).

    The request is stored in the caller's transaction and fanned out after it commits. Raises a
    ``NotificationRequestError`` subclass on bad input, with nothing created. ``idempotency_key`` (a UUID)
    makes a repeated call a no-op. Returns the stored request, or ``None`` when nothing is to be sent.
    """
    return submit(
        SendSpec(
            app_name=app_name,
            notification_type=notification_type,
            content_url=content_url,
            course_key=course_key,
            context=context,
            user_ids=user_ids,
            event_id=idempotency_key,
        )
    )


def notify_course(
    course_key: Any,
    app_name: str,
    notification_type: str,
    content_url: str,
    content_context: Mapping[str, Any] | None = None,
    audience_filters: Mapping[str, Iterable[Any]] | None = None,
    *,
    idempotency_key: Any = None,
) -> NotificationRequest | None:
    """Notify a course-wide audience (same arguments as ``CourseNotificationData``)."""
    return submit(
        SendSpec(
            app_name=app_name,
            notification_type=notification_type,
            content_url=content_url,
            course_key=course_key,
            context=content_context,
            audience_filters=audience_filters,
            event_id=idempotency_key,
            kind=NotificationRequest.Kind.COURSE,
        )
    )
