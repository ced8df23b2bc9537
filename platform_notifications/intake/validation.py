"""Validation of send requests: each check refuses bad input with a specific ``NotificationRequestError``.

Everything a fan-out task will later rely on (ids in range, JSON-safe context, well-formed filter values)
is checked here, in the producer's call, so a bad request is refused up front instead of failing in a worker.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from platform_notifications import exceptions as errors
from platform_notifications.config import NotificationType, registry

MAX_URL_LENGTH = 2048
#: The request and notification columns holding the course key are 255 characters.
MAX_COURSE_KEY_LENGTH = 255
#: User ids are stored in signed 64-bit columns (and SQLite cannot bind anything larger).
MAX_USER_ID = 2**63 - 1
#: Integers anywhere in a request: what every engine's JSON and integer columns hold without loss.
MIN_INT, MAX_INT = -(2**63), 2**63 - 1
#: Deeper JSON is refused: MariaDB's JSON functions stop at 32 levels and no template needs more than a few.
MAX_DEPTH = 16
#: The encoded context; far below MariaDB's ``max_allowed_packet`` and above any template's needs.
MAX_CONTEXT_BYTES = 1024 * 1024
#: NUL (PostgreSQL text and jsonb refuse it) and lone surrogates (not encodable as UTF-8 by any driver).
UNSTORABLE_CHARACTERS = re.compile("[\x00\ud800-\udfff]")


def notification_type(app_name: Any, type_name: Any) -> NotificationType:
    """The registered type named ``type_name``, owned by the registered app ``app_name``."""
    ntype = registry.get_type(type_name) if isinstance(type_name, str) else None
    if ntype is None:
        raise errors.UnknownNotificationType(f"unknown notification type {type_name!r}")
    if not isinstance(app_name, str) or registry.get_app(app_name) is None:
        raise errors.UnknownNotificationApp(f"unknown notification app {app_name!r}")
    if ntype.app_name != app_name:
        raise errors.AppTypeMismatch(
            f"notification type {ntype.name!r} belongs to app {ntype.app_name!r}, not {app_name!r}"
        )
    return ntype


def context(ntype: NotificationType, value: Any) -> dict[str, Any]:
    """A JSON-safe copy of the context holding every variable the type's template needs."""
    if value is None:
        value = {}
    if not isinstance(value, Mapping):
        raise errors.InvalidNotificationData(f"context must be a dict, got {type(value).__name__}")
    if not all(isinstance(key, str) for key in value):
        raise errors.InvalidNotificationData("context keys must be strings")
    missing = sorted(name for name in ntype.template_fields if value.get(name) is None)
    if missing:
        raise errors.MissingContextVariables(
            f"notification type {ntype.name!r} needs context variables {', '.join(missing)}"
        )
    storable(value, "context")
    try:
        encoded = json.dumps(dict(value), allow_nan=False)
    except (TypeError, ValueError, RecursionError) as error:
        raise errors.InvalidNotificationData(f"context must be JSON-serialisable: {error}") from error
    if len(encoded) > MAX_CONTEXT_BYTES:
        raise errors.InvalidNotificationData(f"context is larger than {MAX_CONTEXT_BYTES} bytes as JSON")
    return dict(value)


def text(value: str, what: str) -> str:
    """``value`` unless it holds a character no database stores (NUL, a lone surrogate)."""
    found = UNSTORABLE_CHARACTERS.search(value)
    if found:
        name = "NUL" if found.group() == "\x00" else "a lone surrogate"
        raise errors.InvalidNotificationData(f"{what} holds {name} at position {found.start()}, which cannot be stored")
    return value


def storable(value: Any, what: str) -> None:
    """Refuse anything in a JSON-ish ``value`` that one of SQLite, PostgreSQL or MariaDB cannot store as JSON.

    The JSON encoder accepts NaN, infinities, NUL and lone surrogates, but the databases refuse them (and
    PostgreSQL aborts the whole surrounding transaction when they do); checking here gives the producer a
    clear reason instead. Walks iteratively, so a deeply nested value is refused rather than overflowing.
    """
    stack: list[tuple[Any, str, int]] = [(value, what, 0)]
    while stack:
        item, where, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise errors.InvalidNotificationData(f"{what} is nested deeper than {MAX_DEPTH} levels")
        if item is None or isinstance(item, bool):
            continue
        if isinstance(item, str):
            text(item, where)
        elif isinstance(item, int):
            if not MIN_INT <= item <= MAX_INT:
                raise errors.InvalidNotificationData(f"{where}: the integer does not fit in 64 bits")
        elif isinstance(item, float):
            if item != item or item in (float("inf"), float("-inf")):
                raise errors.InvalidNotificationData(f"{where} is {item!r}, which JSON cannot hold")
        elif isinstance(item, dict):
            for key, child in item.items():
                if not isinstance(key, str):
                    raise errors.InvalidNotificationData(f"{where}: keys must be strings, got {key!r}")
                text(key, f"a key of {where}")
                stack.append((child, f"{where}[{key!r}]", depth + 1))
        elif isinstance(item, list | tuple):
            stack.extend((child, f"{where}[{index}]", depth + 1) for index, child in enumerate(item))
        else:
            raise errors.InvalidNotificationData(f"{where} must be JSON-serialisable, got a {type(item).__name__}")


def user_id(value: Any, what: str) -> int:
    # bool is an int subclass; True is never a user id.
    if isinstance(value, bool) or not isinstance(value, int):
        raise errors.InvalidRecipients(f"{what} must be an integer user id, got {value!r}")
    if not 0 < value <= MAX_USER_ID:
        raise errors.InvalidRecipients(f"{what}: user id {value} is out of range")
    return value


def user_ids(value: Any) -> list[int]:
    """The user ids as a list (order and repeats kept: the fan-out sorts and deduplicates them).

    Checked set-wise, at C speed: the element types in one pass, the range by ``min`` and ``max``. Only a list
    that fails is walked id by id, to name the first bad one.
    """
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise errors.InvalidRecipients(f"user_ids must be a list of integers, got {type(value).__name__}")
    ids = list(value)
    # bool is an int subclass and True is never a user id: exact types only, anything else takes the slow path.
    if ids and not set(map(type, ids)) <= {int}:
        return [user_id(item, "each of user_ids") for item in ids]
    if ids and not (min(ids) > 0 and max(ids) <= MAX_USER_ID):
        bad = next(item for item in ids if not 0 < item <= MAX_USER_ID)
        raise errors.InvalidRecipients(f"each of user_ids: user id {bad} is out of range")
    return ids


def content_url(url: Any) -> str:
    """Accept an http(s) URL or a relative path; refuse any other scheme (``javascript:``, ``data:``)."""
    if url is None or url == "":
        return ""
    if not isinstance(url, str) or len(url) > MAX_URL_LENGTH:
        raise errors.InvalidContentUrl(f"content_url must be a string of at most {MAX_URL_LENGTH} characters")
    # Browsers strip whitespace and control characters before parsing, which hides schemes from urlsplit,
    # and read a backslash as a slash ("/\evil.com" is protocol-relative to them).
    if any(ord(char) <= 0x20 or ord(char) == 0x7F for char in url) or "\\" in url:
        raise errors.InvalidContentUrl(f"content_url contains whitespace, control characters or '\\': {url!r}")
    if UNSTORABLE_CHARACTERS.search(url):
        raise errors.InvalidContentUrl(f"content_url holds a lone surrogate: {url!r}")
    parts = urlsplit(url)
    if parts.scheme:
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            raise errors.InvalidContentUrl(f"content_url must be http(s) or a relative path, got {url!r}")
    elif parts.netloc or url.startswith("//"):
        raise errors.InvalidContentUrl(f"content_url must not be protocol-relative: {url!r}")
    return url


def course_key(value: Any, required: bool) -> str:
    """The course key as stored (its string form); a course-wide audience needs one."""
    key = "" if value is None else text(str(value), "course_key")
    if required and not key:
        raise errors.InvalidNotificationData("a course-wide notification needs a course_key")
    if len(key) > MAX_COURSE_KEY_LENGTH:
        raise errors.InvalidNotificationData(f"course_key is longer than {MAX_COURSE_KEY_LENGTH} characters")
    return key


def event_id(value: Any) -> uuid.UUID:
    """The event's (or caller's idempotency) id as a UUID; a fresh one when none was given."""
    if value is None or value == "":
        return uuid.uuid4()
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError as error:
        raise errors.InvalidNotificationData(f"the event id / idempotency_key must be a UUID, got {value!r}") from error


def audience_filters(filters: Any, course_id: str) -> dict[str, list]:
    """Known filter keys with values each filter class accepts, deduplicated and sorted."""
    from platform_notifications.audience.resolver import LEARNERS, filter_classes, filter_instance

    if filters is None:
        filters = {}
    if not isinstance(filters, Mapping):
        raise errors.InvalidNotificationData("audience_filters must be a dict of lists")
    known = filter_classes()
    unknown = sorted(set(filters) - set(known), key=str)
    if unknown:
        raise errors.UnknownAudienceFilter(
            f"unknown audience filter {', '.join(map(repr, unknown))} (known: {', '.join(sorted(known))})"
        )
    cleaned = {}
    for key, values in filters.items():
        if isinstance(values, str | bytes | Mapping) or not isinstance(values, Iterable):
            raise errors.InvalidNotificationData(f"audience filter {key!r} must be a list")
        values = list(values)
        storable(values, f"audience filter {key!r}")
        audience_filter = filter_instance(key)
        audience_filter.clean_course_id(course_id)
        cleaned[key] = sorted(set(audience_filter.clean_values(key, values)), key=str)
    if not cleaned:
        filter_instance(LEARNERS).clean_course_id(course_id)
    return cleaned
