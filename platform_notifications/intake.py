"""Turn a send request into a validated, durable outbox row, enqueued after the producer's commit.

Nothing here creates notifications: it refuses bad input with a specific exception, stores the request
in the caller's transaction (so a rollback sends nothing and a broker outage loses nothing), and asks
Celery to fan it out once the transaction commits.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction

from platform_notifications import exceptions as errors
from platform_notifications.config import NotificationType, registry, toggles
from platform_notifications.models import NotificationRequest, RefusedNotification

log = logging.getLogger(__name__)

#: Context keys that steer delivery and are not stored as template context.
GROUP_BY_KEY = "group_by_id"
SENDER_KEY = "sender_id"
MAX_URL_LENGTH = 2048


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


def _validate_type(spec: SendSpec) -> NotificationType:
    if not isinstance(spec.notification_type, str) or registry.get_type(spec.notification_type) is None:
        raise errors.UnknownNotificationType(f"unknown notification type {spec.notification_type!r}")
    ntype = registry.get_type(spec.notification_type)
    if not isinstance(spec.app_name, str) or registry.get_app(spec.app_name) is None:
        raise errors.UnknownNotificationApp(f"unknown notification app {spec.app_name!r}")
    if ntype.app_name != spec.app_name:
        raise errors.AppTypeMismatch(
            f"notification type {ntype.name!r} belongs to app {ntype.app_name!r}, not {spec.app_name!r}"
        )
    return ntype


def _validate_context(ntype: NotificationType, context: Any) -> dict[str, Any]:
    if context is None:
        context = {}
    if not isinstance(context, Mapping):
        raise errors.InvalidNotificationData(f"context must be a dict, got {type(context).__name__}")
    missing = sorted(name for name in ntype.template_fields if context.get(name) is None)
    if missing:
        raise errors.MissingContextVariables(
            f"notification type {ntype.name!r} needs context variables {', '.join(missing)}"
        )
    return dict(context)


def _as_user_id(value: Any, what: str) -> int:
    # bool is an int subclass; True is never a user id.
    if isinstance(value, bool) or not isinstance(value, int):
        raise errors.InvalidRecipients(f"{what} must be an integer user id, got {value!r}")
    return value


def _validate_user_ids(user_ids: Any) -> list[int]:
    if isinstance(user_ids, str | bytes) or not isinstance(user_ids, Iterable):
        raise errors.InvalidRecipients(f"user_ids must be a list of integers, got {type(user_ids).__name__}")
    return sorted({_as_user_id(value, "each of user_ids") for value in user_ids})


def validate_content_url(url: Any) -> str:
    """Accept an http(s) URL or a relative path; refuse any other scheme (``javascript:``, ``data:``)."""
    if url is None or url == "":
        return ""
    if not isinstance(url, str) or len(url) > MAX_URL_LENGTH:
        raise errors.InvalidContentUrl(f"content_url must be a string of at most {MAX_URL_LENGTH} characters")
    # Browsers strip whitespace and control characters before parsing, which hides schemes from urlsplit.
    if any(ord(char) <= 0x20 or ord(char) == 0x7F for char in url) or "\\" in url:
        raise errors.InvalidContentUrl(f"content_url contains whitespace or control characters: {url!r}")
    parts = urlsplit(url)
    if parts.scheme:
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            raise errors.InvalidContentUrl(f"content_url must be http(s) or a relative path, got {url!r}")
    elif parts.netloc or url.startswith("//"):
        raise errors.InvalidContentUrl(f"content_url must not be protocol-relative: {url!r}")
    return url


def _validate_filters(filters: Any) -> dict[str, list]:
    from platform_notifications.audience import filter_classes

    if filters is None:
        return {}
    if not isinstance(filters, Mapping):
        raise errors.InvalidNotificationData("audience_filters must be a dict of lists")
    known = filter_classes()
    unknown = sorted(set(filters) - set(known))
    if unknown:
        raise errors.UnknownAudienceFilter(
            f"unknown audience filter {', '.join(map(repr, unknown))} (known: {', '.join(sorted(known))})"
        )
    cleaned = {}
    for key, values in filters.items():
        if isinstance(values, str | bytes) or not isinstance(values, Iterable):
            raise errors.InvalidNotificationData(f"audience filter {key!r} must be a list")
        cleaned[key] = sorted(set(values), key=str)
    return cleaned


def build_request(spec: SendSpec) -> NotificationRequest:
    """Validate ``spec`` and return an unsaved request; raise a ``NotificationRequestError`` if bad."""
    ntype = _validate_type(spec)
    context = _validate_context(ntype, spec.context)
    group_by_id = context.pop(GROUP_BY_KEY, "") or ""
    sender = context.pop(SENDER_KEY, None)
    sender_id = None if sender in (None, "") else _as_user_id(sender, "context['sender_id']")
    if spec.kind == NotificationRequest.Kind.USERS:
        user_ids = _validate_user_ids(spec.user_ids)
        filters: dict[str, list] = {}
    else:
        user_ids = []
        filters = _validate_filters(spec.audience_filters)
    return NotificationRequest(
        event_id=spec.event_id or uuid.uuid4(),
        kind=spec.kind,
        app_name=spec.app_name,
        notification_type=ntype.name,
        course_id="" if spec.course_key is None else str(spec.course_key),
        content_url=validate_content_url(spec.content_url),
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
    with transaction.atomic():
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
    from platform_notifications.tasks import fan_out

    try:
        fan_out.apply_async(args=[request_id], retry=False)
    except Exception:  # kombu raises many kinds of connection errors; the sweep recovers from all of them
        log.warning("could not enqueue notification request %s; the sweep will retry it", request_id, exc_info=True)


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
