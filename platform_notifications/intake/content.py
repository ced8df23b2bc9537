"""Validation of what ``service`` callers send beside the audience: free text, links, level, priority, threads.

Every value is checked in the caller's call, so a bad one is refused with nothing stored.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Model

from platform_notifications import exceptions as errors
from platform_notifications.config import locales, senders
from platform_notifications.config.kinds import KindInfo, Level, Priority, thread_key
from platform_notifications.intake import validation as validate

MAX_TITLE_LENGTH = 255
MAX_SCOPE_LENGTH = 255
MAX_LABEL_LENGTH = 64
MAX_LINKS = 10


@dataclass(frozen=True)
class Content:
    """The validated, JSON-safe options of one send (stored in ``NotificationRequest.options``)."""

    title: str
    body: str
    url: str
    links: list[dict[str, str]]
    level: str
    priority: int
    scope: str
    thread_key: str
    event_data: Any
    once_per_thread: bool
    locale: str
    sender: str

    def as_options(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> Content:
        return cls(**{name: options[name] for name in cls.__dataclass_fields__})

    @property
    def row_values(self) -> dict[str, Any]:
        """The notification columns this content sets on every recipient's row."""
        return {
            "title": self.title,
            "body": self.body,
            "level": self.level,
            "priority": self.priority,
            "links": self.links,
            "scope": self.scope,
            "thread_key": self.thread_key,
            "sender": self.sender,
        }


def jsonable(value: Any, what: str) -> Any:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise errors.InvalidNotificationData(f"{what} must be JSON-serialisable: {error}") from error
    return value


def scope_key(scope: Any) -> str:
    """A scope as stored: a string key as given, a model instance as ``"app_label.model:pk"``."""
    if scope is None or scope == "":
        return ""
    if isinstance(scope, Model):
        if scope.pk is None:
            raise errors.InvalidNotificationData("scope must be a saved model instance")
        scope = f"{scope._meta.label_lower}:{scope.pk}"
    if not isinstance(scope, str) or len(scope) > MAX_SCOPE_LENGTH or not scope.isprintable():
        raise errors.InvalidNotificationData(
            f"scope must be a printable string of at most {MAX_SCOPE_LENGTH} characters"
        )
    return scope


def _text(value: Any, what: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise errors.InvalidContent(f"{what} must be a string, got {type(value).__name__}")
    return value


def links(value: Any) -> list[dict[str, str]]:
    """``{label: url}`` as ``[{"label", "url"}]``; every URL relative or http(s)."""
    if value is None:
        return []
    if not isinstance(value, Mapping):
        raise errors.InvalidContent("links must be a dict of label to URL")
    if len(value) > MAX_LINKS:
        raise errors.InvalidContent(f"at most {MAX_LINKS} links")
    cleaned = []
    for label, url in value.items():
        if not isinstance(label, str) or not label.strip() or len(label) > MAX_LABEL_LENGTH:
            raise errors.InvalidContent(f"a link label must be a non-empty string of at most {MAX_LABEL_LENGTH}")
        try:
            checked = validate.content_url(url)
        except errors.InvalidContentUrl as error:
            raise errors.InvalidContent(f"link {label!r}: {error}") from error
        if not checked:
            raise errors.InvalidContent(f"link {label!r} has no URL")
        cleaned.append({"label": label, "url": checked})
    return cleaned


def content(
    info: KindInfo,
    *,
    title: Any = None,
    body: Any = None,
    url: Any = None,
    links_: Any = None,
    level: Any = Level.INFO,
    priority: Any = None,
    event_data: Any = None,
    once_per_thread: Any = False,
    scope: Any = None,
    locale: Any = None,
    sender: Any = None,
) -> Content:
    """Validate the options of one send of ``info``; raise a ``NotificationRequestError`` subclass if bad."""
    title = _text(title, "title")
    if len(title) > MAX_TITLE_LENGTH:
        raise errors.InvalidContent(f"title is longer than {MAX_TITLE_LENGTH} characters")
    if level not in Level._value2member_map_:
        raise errors.InvalidContent(f"level must be one of {', '.join(Level)}, got {level!r}")
    if priority is None:
        priority = info.default_priority
    if isinstance(priority, bool) or priority not in Priority._value2member_map_:
        raise errors.InvalidContent(f"priority must be a Priority, got {priority!r}")
    if not isinstance(once_per_thread, bool):
        raise errors.InvalidContent("once_per_thread must be True or False")
    if once_per_thread and event_data is None:
        raise errors.InvalidContent("once_per_thread needs event_data (it names the thread)")
    key = "" if event_data is None else thread_key(info.kind, jsonable(event_data, "event_data"))
    locale = locales.check_tag(locale) if locale not in (None, "") else ""
    # The caller's sender wins over the kind's; "" leaves the choice to NOTIFICATION_DEFAULT_SENDER at send time.
    sender = senders.check_id(sender) or info.sender
    return Content(
        title=title,
        body=_text(body, "body"),
        url=validate.content_url(url),
        links=links(links_),
        level=Level(level).value,
        priority=int(priority),
        scope=scope_key(scope),
        thread_key=key,
        event_data=event_data,
        once_per_thread=once_per_thread,
        locale=locale,
        sender=sender,
    )


def kind_context(info: KindInfo, value: Any) -> dict[str, Any]:
    """The context as stored: checked against the template of a template kind, JSON-safe for any kind."""
    from platform_notifications.config import registry

    ntype = registry.get_type(info.type_name)
    if not info.free_text:
        return validate.context(ntype, value)
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise errors.InvalidNotificationData("context must be a dict with string keys")
    return dict(jsonable(dict(value), "context"))
