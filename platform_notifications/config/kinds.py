"""Kinds: dotted ``"app.type"`` names over the typed app/type registry, with priority, suppression and opt-in.

A kind registered here becomes a type of ``config.registry`` named by the whole kind (``"billing.payment_due"``,
app ``billing``), so preferences, the tray, email and digests treat it like any configured type. The dict types
of Open edX are kinds too (``"discussion.new_response"``); their bare type names keep working for the signals.
A bad registration is kept out of the registry and reported by ``manage.py check``; a second registration of a
kind raises ``ValueError``.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.html import escape

from platform_notifications.config.enums import Cadence, Channel

#: Keys a kind's ``**defaults`` may carry (those of the type dicts).
DEFAULT_KEYS = frozenset({"web", "email", "push", "email_cadence", "non_editable", "info", "visible_to"})
#: Longest kind (the type columns holding it are 64 characters).
MAX_KIND_LENGTH = 64


class Priority(IntEnum):
    """How urgent a notification is; CRITICAL and HIGH cannot be suppressed by preferences."""

    CRITICAL = 1
    HIGH = 2
    NORMAL = 3
    LOW = 4

    @property
    def unsuppressable(self) -> bool:
        return self <= Priority.HIGH


class Level(StrEnum):
    """Severity stored with each notification and returned by the API."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(member.value, member.name.title()) for member in cls]


@dataclass(frozen=True)
class KindInfo:
    """A registered kind. ``type_name`` is the name of its type in ``config.registry``."""

    kind: str
    app: str
    type_name: str
    display_name: str
    default_priority: Priority
    can_suppress: bool
    default_opt_in: bool
    recipients: Callable[[Any], Any] | None = None
    #: True for kinds registered here (free text); False for the dict-configured template types.
    free_text: bool = True
    #: The ``NOTIFICATION_SENDERS`` id its email goes out from ("" for the default sender).
    sender: str = ""


def kind_of(app_name: str, type_name: str) -> str:
    """The kind of a stored ``(app_name, notification_type)``: registered kinds are stored whole."""
    return type_name if "." in type_name else f"{app_name}.{type_name}"


def thread_key(kind: str, event_data: Any) -> str:
    """SHA1 over the canonical JSON of ``{"slug": kind, "data": event_data}`` (the team alerts app's identifier)."""
    canonical = json.dumps({"slug": kind, "data": event_data}, sort_keys=True)
    return hashlib.sha1(canonical.encode(), usedforsecurity=False).hexdigest()


def render_free_text(title: str, body: str) -> str:
    """The tray's HTML for free-text content: both parts escaped, only this markup around them."""
    parts = []
    if title:
        parts.append(f"<p><strong>{escape(title)}</strong></p>")
    if body:
        parts.append(f"<p>{escape(body)}</p>")
    return "".join(parts)


def _literal(text: str) -> str:
    """``text`` escaped for HTML and for ``str.format`` (a template without variables)."""
    return str(escape(text)).replace("{", "{{").replace("}", "}}")


def _problems(kind: Any, display_name: Any, defaults: Mapping[str, Any]) -> list[str]:
    problems = []
    if not isinstance(kind, str) or "." not in kind:
        return [f"kind {kind!r} must be a dotted string such as 'billing.payment_due'"]
    app, _dot, rest = kind.partition(".")
    if not (app.isascii() and app.isalpha() and app.islower()):
        problems.append(f"kind {kind!r}: the app {app!r} must be one lower-case word (the tray client camelCases it)")
    if not rest or not all(part and part.replace("_", "a").isalnum() and part.isascii() for part in rest.split(".")):
        problems.append(f"kind {kind!r}: the type {rest!r} must be letters, digits and underscores")
    if len(kind) > MAX_KIND_LENGTH:
        problems.append(f"kind {kind!r} is longer than {MAX_KIND_LENGTH} characters")
    if not isinstance(display_name, str) or not display_name:
        problems.append(f"kind {kind!r}: display_name must be a non-empty string")
    unknown = sorted(set(defaults) - DEFAULT_KEYS)
    if unknown:
        problems.append(f"kind {kind!r}: unknown keys {unknown} (allowed: {', '.join(sorted(DEFAULT_KEYS))})")
    for key in ("web", "email", "push"):
        if key in defaults and not isinstance(defaults[key], bool):
            problems.append(f"kind {kind!r}: {key!r} must be True or False")
    if "email_cadence" in defaults and defaults["email_cadence"] not in Cadence._value2member_map_:
        problems.append(f"kind {kind!r}: unknown email_cadence {defaults['email_cadence']!r}")
    locked = defaults.get("non_editable", ())
    if not isinstance(locked, list | tuple | set | frozenset) or any(
        c not in Channel._value2member_map_ for c in locked
    ):
        problems.append(f"kind {kind!r}: non_editable must list channels (web, email, push)")
    return problems


class KindRegistry:
    """Kinds registered from code, and the dict types seen as kinds."""

    def __init__(self) -> None:
        self._kinds: dict[str, KindInfo] = {}
        self._problems: dict[str, list[str]] = {}
        #: Apps created for kinds (not configured by dicts): forgotten with their last kind.
        self._created_apps: set[str] = set()
        self._lock = threading.RLock()

    def register(
        self,
        kind: str,
        display_name: str,
        default_priority: Priority = Priority.NORMAL,
        can_suppress: bool = True,
        default_opt_in: bool = True,
        recipients: Callable[[Any], Any] | None = None,
        sender: str = "",
        **defaults: Any,
    ) -> KindInfo | None:
        """Register ``kind``; returns its information, or None when the registration is bad (see checks)."""
        from platform_notifications.config.registry import registry as types

        with self._lock:
            if self.get(kind) is not None or kind in self._problems:
                raise ValueError(f"notification kind {kind!r} is registered twice")
            problems = _problems(kind, display_name, defaults)
            if recipients is not None and not callable(recipients):
                problems.append(f"kind {kind!r}: recipients must be callable")
            if default_priority not in Priority._value2member_map_:
                problems.append(f"kind {kind!r}: default_priority must be a Priority")
            if not isinstance(sender, str) or len(sender) > 64:
                problems.append(f"kind {kind!r}: sender must be a sender id of NOTIFICATION_SENDERS")
            if problems:
                self._problems[kind if isinstance(kind, str) else repr(kind)] = problems
                return None
            app = kind.partition(".")[0]
            opted_in = bool(default_opt_in)
            spec = {
                "notification_app": app,
                # Shown only for a row sent without title or body; free text renders through ``render_free_text``.
                "content_template": "<{p}>" + _literal(display_name) + "</{p}>",
                "info": str(defaults.get("info", display_name)),
                "visible_to": list(defaults.get("visible_to", [])),
                "web": defaults.get("web", opted_in),
                "email": defaults.get("email", opted_in),
                "push": defaults.get("push", False),
                "email_cadence": defaults.get("email_cadence", Cadence.DAILY.value),
                # Nothing a user chooses applies to a kind that cannot be suppressed.
                "non_editable": list(Channel) if not can_suppress else list(defaults.get("non_editable", [])),
            }
            try:
                if types.get_app(app) is None:
                    self._created_apps.add(app)
                    types.register_app(
                        app,
                        {"enabled": True, "info": app.title(), "web": True, "email": True, "push": False},
                    )
                types.register_type(kind, spec)
            except ImproperlyConfigured as error:
                self._problems[kind] = [str(error)]
                return None
            info = KindInfo(
                kind=kind,
                app=app,
                type_name=kind,
                display_name=display_name,
                default_priority=Priority(default_priority),
                can_suppress=bool(can_suppress),
                default_opt_in=opted_in,
                recipients=recipients,
                sender=sender,
            )
            self._kinds[kind] = info
            return info

    def unregister(self, kind: str) -> None:
        """Forget ``kind`` (for tests and apps that register temporary kinds)."""
        from platform_notifications.config.registry import registry as types

        with self._lock:
            self._problems.pop(kind, None)
            info = self._kinds.pop(kind, None)
            if info is not None:
                types.unregister(types=[kind])
                if info.app in self._created_apps and not types.types_of(info.app):
                    self._created_apps.discard(info.app)
                    types.unregister(apps=[info.app])

    def get(self, kind: Any) -> KindInfo | None:
        """The kind's information, or None; ``"app.type"`` of a dict type is a kind too."""
        if not isinstance(kind, str):
            return None
        found = self._kinds.get(kind)
        if found is not None:
            return found
        return self._dict_kind(kind)

    def registered(self) -> list[KindInfo]:
        """The kinds registered from code (not the dict types)."""
        with self._lock:
            return list(self._kinds.values())

    def all(self) -> list[KindInfo]:
        """Every kind, sorted by name (the registered ones and the dict types)."""
        from platform_notifications.config.registry import registry as types

        found = {
            info.kind: info
            for info in (self._dict_kind(kind_of(t.app_name, n)) for n, t in types.types().items() if "." not in n)
            if info is not None
        }
        found.update(self._kinds)
        return [found[name] for name in sorted(found)]

    def problems(self) -> dict[str, list[str]]:
        """Bad registrations (reported by ``manage.py check``)."""
        return {kind: list(found) for kind, found in self._problems.items()}

    def _dict_kind(self, kind: str) -> KindInfo | None:
        from platform_notifications.config.registry import registry as types

        app, _dot, name = kind.partition(".")
        ntype = types.get_type(name) if name and "." not in name else None
        if ntype is None or ntype.app_name != app:
            return None
        defaults = types.type_defaults(ntype)
        return KindInfo(
            kind=kind,
            app=app,
            type_name=ntype.name,
            display_name=ntype.info or ntype.name,
            default_priority=Priority.NORMAL,
            can_suppress=set(defaults.non_editable) != set(Channel),
            default_opt_in=defaults.web or defaults.email or defaults.push,
            free_text=False,
        )


registry = KindRegistry()
