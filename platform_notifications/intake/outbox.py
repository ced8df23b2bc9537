"""Turn a send request into a validated, durable outbox row, enqueued after the producer's commit.

Nothing here creates notifications: it refuses bad input with a specific exception, stores the request
in the caller's transaction (so a rollback sends nothing and a broker outage loses nothing), and asks
Celery to fan it out once the transaction commits.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.db import DatabaseError, IntegrityError, transaction

from platform_notifications import exceptions as errors
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
    try:
        request = build_request(spec)
    except errors.NotificationRequestError:
        raise
    except Exception as error:  # a producer's object whose str(), len() or iteration raises: still bad input
        detail = f"{type(error).__name__}: {error}"
        raise errors.InvalidNotificationData(f"the request could not be read: {detail}") from error
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
    # Its own savepoint: should the database refuse the row anyway, only the savepoint is rolled back and
    # the producer's transaction stays usable (PostgreSQL would otherwise abort all of it). Insert first and
    # look up only on a conflict: a repeated event (or a concurrent twin) hits the unique event id. The
    # fan-out waits for the producer's transaction, if any, to commit.
    try:
        with transaction.atomic():
            request.save(force_insert=True)
        stored, created = request, True
    except IntegrityError as error:
        stored, created = NotificationRequest.objects.filter(event_id=request.event_id).first(), False
        if stored is None:
            raise _not_stored(request, error) from error
    except (DatabaseError, UnicodeError) as error:
        raise _not_stored(request, error) from error
    if created:
        transaction.on_commit(partial(enqueue, stored.pk))
    else:
        log.info("event %s was already received: ignored the repeat", request.event_id)
    return stored


def _not_stored(request: NotificationRequest, error: Exception) -> errors.NotificationNotStored:
    log.error("could not store notification request %s: %s", request.event_id, error)
    return errors.NotificationNotStored(f"the database refused the request: {type(error).__name__}")


def enqueue(request_id: int) -> None:
    """Queue the fan-out; a broker outage is logged and left to the periodic sweep (nothing is lost)."""
    if not queue.enqueue(queue.FAN_OUT, [request_id]):
        log.warning("notification request %s waits for the sweep", request_id)


def record_refusal(source: str, error: Exception, payload: Mapping[str, Any], event_id: Any = "") -> None:
    """Log and store a refused request where operators can see it (Django admin); never raises.

    The payload is stored as a copy every engine accepts (see ``storable_copy``), in its own savepoint, so
    recording a refusal can neither fail on the refused values nor harm the producer's transaction.
    """
    try:
        reason = _clean_text(f"{type(error).__name__}: {error}")
        log.error("refused notification request from %s (event %s): %s", source, _clean_text(event_id), reason)
        row = {
            "source": _clean_text(source)[:64],
            "event_id": _clean_text(event_id or "")[:64],
            "app_name": _clean_text(_get(payload, "app_name"))[:255],
            "notification_type": _clean_text(_get(payload, "notification_type"))[:255],
            "reason": reason,
        }
        payload_copy = storable_copy(payload)
    except Exception:  # the refusal is best effort; the producer must never see it fail
        log.exception("could not describe a refused notification request from %s", source)
        return
    for stored_payload in (payload_copy, {"unstorable": True}):
        try:
            with transaction.atomic():
                RefusedNotification.objects.create(payload=stored_payload, **row)
            return
        except (DatabaseError, UnicodeError):
            log.exception("could not store the refusal of a notification request from %s", source)


#: A stored refusal keeps this many items of any list and characters of any string (1,000,000 user ids
#: need not be kept to explain why a request was refused).
MAX_STORED_ITEMS = 100
MAX_STORED_CHARS = 2000


def storable_copy(value: Any, depth: int = 0) -> Any:
    """A JSON copy of ``value`` that SQLite, PostgreSQL and MariaDB all accept; what is not JSON becomes its repr.

    NaN and infinities, integers beyond 64 bits and unknown objects become their repr, NUL and lone surrogates
    are escaped, long lists and strings are cut, and nesting stops at ``validation.MAX_DEPTH``.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return _clean_text(value)
    if isinstance(value, int) and validate.MIN_INT <= value <= validate.MAX_INT:
        return value
    if isinstance(value, float) and value == value and value not in (float("inf"), float("-inf")):
        return value
    if depth >= validate.MAX_DEPTH:
        return _clean_text(_repr(value))
    if isinstance(value, Mapping):
        items = list(value.items())
        copy = {_clean_text(key): storable_copy(item, depth + 1) for key, item in items[:MAX_STORED_ITEMS]}
        if len(items) > MAX_STORED_ITEMS:
            copy["..."] = f"{len(items) - MAX_STORED_ITEMS} more keys"
        return copy
    if isinstance(value, list | tuple | set | frozenset):
        items = list(value)
        copy = [storable_copy(item, depth + 1) for item in items[:MAX_STORED_ITEMS]]
        if len(items) > MAX_STORED_ITEMS:
            copy.append(f"... {len(items) - MAX_STORED_ITEMS} more")
        return copy
    return _clean_text(_repr(value))


def _get(payload: Mapping[str, Any], key: str) -> Any:
    value = payload.get(key)
    return "" if value is None else value


def _repr(value: Any) -> str:
    try:
        return repr(value)
    except Exception:  # a broken __repr__, or an integer too long to print
        return f"<unrepresentable {type(value).__name__}>"


def _clean_text(value: Any) -> str:
    """``value`` as text with NUL and lone surrogates escaped, cut to ``MAX_STORED_CHARS``."""
    if not isinstance(value, str):
        value = str(value) if isinstance(value, uuid.UUID) else _repr(value)
    value = value[:MAX_STORED_CHARS]
    if validate.UNSTORABLE_CHARACTERS.search(value):
        value = value.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")
    return value
