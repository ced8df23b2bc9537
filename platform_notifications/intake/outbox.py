"""Turn a send request into a validated, durable outbox row, enqueued after the producer's commit.

Nothing here creates notifications: it refuses bad input with a specific exception, stores the request
in the caller's transaction (so a rollback sends nothing and a broker outage loses nothing), and asks
Celery to fan it out once the transaction commits.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.db import transaction

from platform_notifications.config import registry, toggles
from platform_notifications.core import queue
from platform_notifications.intake import validation as validate
from platform_notifications.models import NotificationRequest, RefusedNotification

log = logging.getLogger(__name__)

#: Context keys that steer delivery and are not stored as template context.
GROUP_BY_KEY = "group_by_id"
SENDER_KEY = "sender_id"


@dataclass
class SendSpec:
    """The fields common to user and course requests, as the producer gave them."""

    app_name: Any
    notification_type: Any
    content_url: Any
    course_key: Any
    context: Any
    user_ids: Any = None
    audience_filters: Any = None
    event_id: Any = None
    kind: str = NotificationRequest.Kind.USERS
    extra: dict[str, Any] = field(default_factory=dict)


def build_request(spec: SendSpec) -> NotificationRequest:
    """Validate ``spec`` and return an unsaved request; raise a ``NotificationRequestError`` if bad."""
    ntype = validate.notification_type(spec.app_name, spec.notification_type)
    context = validate.context(ntype, spec.context)
    group_by_id = context.pop(GROUP_BY_KEY, "") or ""
    sender = context.pop(SENDER_KEY, None)
    sender_id = None if sender in (None, "") else validate.user_id(sender, "context['sender_id']")
    is_course = spec.kind == NotificationRequest.Kind.COURSE
    course_id = validate.course_key(spec.course_key, required=is_course)
    user_ids: list[int] = []
    filters: dict[str, list] = {}
    if is_course:
        filters = validate.audience_filters(spec.audience_filters, course_id)
    else:
        user_ids = validate.user_ids(spec.user_ids)
    return NotificationRequest(
        event_id=validate.event_id(spec.event_id),
        kind=spec.kind,
        app_name=spec.app_name,
        notification_type=ntype.name,
        course_id=course_id,
        content_url=validate.content_url(spec.content_url),
        context=context,
        group_by_id=str(group_by_id)[:255],
        sender_id=sender_id,
        user_ids=user_ids,
        audience_filters=filters,
    )


def submit(spec: SendSpec) -> NotificationRequest | None:
    """Validate and store ``spec``; fan-out starts after the surrounding transaction commits.

    Returns the request (an existing one when ``event_id`` was seen before), or ``None`` when nothing is
    to be sent (master flag off, app disabled, no recipients). Raises ``NotificationRequestError``.
    """
    request = build_request(spec)
    if not toggles.ENABLE_NOTIFICATIONS.is_enabled():
        toggles.log_dropped(toggles.ENABLE_NOTIFICATIONS, "%s event %s", request.notification_type, request.event_id)
        return None
    if not registry.get_app(request.app_name).enabled:
        log.info(
            "app %s is disabled: dropped %s event %s",
            request.app_name,
            request.notification_type,
            request.event_id,
        )
        return None
    if request.kind == NotificationRequest.Kind.USERS and not request.user_ids:
        return None
    # get_or_create is atomic on its own (and safe against a concurrent twin); the fan-out waits for the
    # producer's transaction, if any, to commit.
    stored, created = NotificationRequest.objects.get_or_create(
        event_id=request.event_id,
        defaults={
            f.attname: getattr(request, f.attname)
            for f in request._meta.concrete_fields
            if not f.primary_key and f.attname != "event_id"
        },
    )
    if created:
        transaction.on_commit(partial(enqueue, stored.pk))
    else:
        log.info("event %s was already received: ignored the repeat", request.event_id)
    return stored


def enqueue(request_id: int) -> None:
    """Queue the fan-out; a broker outage is logged and left to the periodic sweep (nothing is lost)."""
    if not queue.enqueue(queue.FAN_OUT, [request_id]):
        log.warning("notification request %s waits for the sweep", request_id)


def record_refusal(source: str, error: Exception, payload: Mapping[str, Any], event_id: Any = "") -> None:
    """Log and store a refused request where operators can see it (Django admin)."""
    log.error("refused notification request from %s (event %s): %s", source, event_id, error)
    RefusedNotification.objects.create(
        source=source,
        event_id=str(event_id or ""),
        app_name=str(payload.get("app_name", ""))[:255],
        notification_type=str(payload.get("notification_type", ""))[:255],
        reason=f"{type(error).__name__}: {error}",
        payload=_jsonable(payload),
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return repr(value)
