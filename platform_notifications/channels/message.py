"""The plain message every outbound channel sends: title, body, link, level, built from a delivery row."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from django.utils.html import strip_tags
from django.utils.text import Truncator

from platform_notifications.config import registry
from platform_notifications.config.settings import get_setting

if TYPE_CHECKING:
    from platform_notifications.models import DeliveryAttempt, Notification

#: Levels in increasing severity; a channel set to one receives it and every level after it.
LEVELS = ("INFO", "WARNING", "ERROR", "CRITICAL")

BODY_LIMIT = 1000  # push providers cap payloads at ~4 KB; a notification body past this is cut
_TAG = re.compile(r"<[^>]*>")


def plain(markup: str) -> str:
    """Plain text of rendered content. The markup is the type template's own (every value in it is escaped,
    so no ``<`` of a value survives as a tag): dropping tags and unescaping is exact, and far cheaper than an
    HTML parser on the send path."""
    return " ".join(html.unescape(_TAG.sub(" ", markup)).split())


def level_of(notification: Notification | None) -> str:
    """The notification's level; rows without one (Open edX notifications) are INFO."""
    value = str(getattr(notification, "level", "") or "INFO").upper()
    return value if value in LEVELS else "INFO"


def is_critical(notification: Notification | None) -> bool:
    """CRITICAL priority (or level) is never throttled."""
    priority = str(getattr(notification, "priority", "") or "").upper()
    return priority == "CRITICAL" or level_of(notification) == "CRITICAL"


def at_least(level: str, minimum: str) -> bool:
    minimum = minimum.upper() if minimum and minimum.upper() in LEVELS else "INFO"
    return LEVELS.index(level) >= LEVELS.index(minimum)


def absolute(url: str) -> str:
    if not url or url.startswith(("http://", "https://")):
        return url
    return get_setting("NOTIFICATIONS_SITE_URL").rstrip("/") + "/" + url.lstrip("/")


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    url: str
    notification_id: int | None
    level: str = "INFO"
    app_name: str = ""
    notification_type: str = ""
    links: dict[str, str] = field(default_factory=dict)
    summary_count: int = 0


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else Truncator(text).chars(limit)


def build_many(attempts: Sequence[DeliveryAttempt]) -> list[Message]:
    """The messages of a send batch, rendering each distinct content once.

    A fan-out gives every recipient their own row of the same notification (same kind, context and link), so
    the rows of a batch mostly share one message: it is built for the first and reused, with each row's own id.
    """
    shared: dict[tuple, Message] = {}
    messages = []
    for attempt in attempts:
        notification = attempt.notification
        if notification is None:
            messages.append(build(attempt))
            continue
        key = _content_key(notification)
        found = shared.get(key)
        if found is None:
            found = shared[key] = build(attempt)
        elif found.notification_id != notification.pk:
            found = replace(found, notification_id=notification.pk)
        messages.append(found)
    return messages


def _content_key(notification: Notification) -> tuple:
    """Everything ``build`` reads of a notification, except its id."""
    context = notification.content_context or {}
    return (
        notification.app_name,
        notification.notification_type,
        notification.content_url,
        str(getattr(notification, "title", "") or ""),
        str(getattr(notification, "body", "") or ""),
        level_of(notification),
        json.dumps(getattr(notification, "links", None) or {}, sort_keys=True, default=str),
        json.dumps(context, sort_keys=True, default=str),
    )


def build(attempt: DeliveryAttempt) -> Message:
    """The message of one delivery row: its notification rendered to plain text, or a throttling summary."""
    notification = attempt.notification
    if notification is None:
        count = int(attempt.payload.get("count", 0))
        return Message(
            title=f"{count} more notification{'s' if count != 1 else ''}",
            body="Open your notifications to see them all.",
            url=absolute(get_setting("NOTIFICATIONS_VIEW_ALL_URL") or "/notifications/"),
            notification_id=None,
            summary_count=count,
        )
    ntype = registry.get_type(notification.notification_type)
    app = registry.get_app(notification.app_name)
    title = str(getattr(notification, "title", "") or (app.info if app and app.info else notification.app_name))
    body = str(getattr(notification, "body", "") or plain(notification.content))
    raw_links = getattr(notification, "links", None) or {}
    links = {str(label): absolute(str(url)) for label, url in dict(raw_links).items()}
    return Message(
        title=_cut(strip_tags(title) if "<" in title else title, 200),
        body=_cut(" ".join(body.split()), BODY_LIMIT),
        url=absolute(notification.content_url),
        notification_id=notification.pk,
        level=level_of(notification),
        app_name=notification.app_name,
        notification_type=ntype.name if ntype else notification.notification_type,
        links=links,
    )
