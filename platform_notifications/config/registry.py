"""Typed, validated notification apps and types, built from the config dicts, with overrides read on use.

Base definitions (shipped defaults, ``NOTIFICATION_APPS``/``NOTIFICATION_TYPES`` settings, and
``registry.register_app``/``register_type`` calls from consumer ``AppConfig.ready()``) are validated
structurally when registered: a duplicate or malformed entry raises ``ImproperlyConfigured`` at startup.
Channel defaults are resolved on every read, applying ``NOTIFICATION_APPS_OVERRIDE`` and
``NOTIFICATION_TYPES_OVERRIDE``, so an operator's change reaches every user who has not chosen.
"""

from __future__ import annotations

import logging
import string
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from platform_notifications.config.defaults import DEFAULT_APPS, DEFAULT_TYPES
from platform_notifications.config.enums import Cadence, Channel
from platform_notifications.config.settings import get_setting

log = logging.getLogger(__name__)

#: Keys an override dict may carry.
OVERRIDE_KEYS = frozenset({"web", "email", "push", "email_cadence", "non_editable"})
#: Template fields that stand for tag names rather than context variables.
TAG_FIELDS = frozenset({"p", "strong"})

APP_KEYS = frozenset({"enabled", "info", "web", "email", "push", "email_cadence", "non_editable"})
# Open edX spells the app's bundled defaults with a ``core_`` prefix in older releases; accept both.
LEGACY_APP_KEYS = {f"core_{key}": key for key in ("info", "web", "email", "push", "email_cadence")}
TYPE_KEYS = frozenset(
    {
        "notification_app",
        "name",
        "use_app_defaults",
        "is_core",
        "content_template",
        "grouped_content_template",
        "content_context",
        "filters",
        "visible_to",
        "web",
        "email",
        "push",
        "email_cadence",
        "non_editable",
        "info",
        "email_template",
    }
)


@dataclass(frozen=True)
class ChannelDefaults:
    """Effective defaults of one preference row: channel switches, cadence and locked channels."""

    web: bool
    email: bool
    push: bool
    email_cadence: Cadence
    non_editable: frozenset[Channel] = frozenset()

    def channel(self, channel: Channel) -> bool:
        return bool(getattr(self, channel.value))


@dataclass(frozen=True)
class NotificationApp:
    name: str
    enabled: bool
    info: str
    base_defaults: ChannelDefaults


@dataclass(frozen=True)
class NotificationType:
    name: str
    app_name: str
    use_app_defaults: bool
    content_template: str
    grouped_content_template: str | None
    content_context: Mapping[str, str]
    filters: tuple[str, ...]
    visible_to: tuple[str, ...]
    info: str
    base_defaults: ChannelDefaults | None  # None when use_app_defaults
    template_fields: frozenset[str] = field(default=frozenset())

    @property
    def preference_key(self) -> str:
        """The preference row this type is governed by (its own, or the app's bundled row)."""
        from platform_notifications.config.enums import BUNDLED_TYPE

        return BUNDLED_TYPE if self.use_app_defaults else self.name


def template_fields(template: str) -> frozenset[str]:
    """Names of the context variables a ``str.format`` template uses (tag fields excluded)."""
    names = set()
    for _literal, name, _spec, _conv in string.Formatter().parse(str(template)):
        if name is None:
            continue
        if not name.isidentifier():
            raise ImproperlyConfigured(f"template field {{{name}}} must be a plain variable name")
        names.add(name)
    return frozenset(names - TAG_FIELDS)


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ImproperlyConfigured(message)


def _channel_defaults(where: str, spec: Mapping[str, Any]) -> ChannelDefaults:
    for key in ("web", "email", "push"):
        _require(isinstance(spec.get(key), bool), f"{where}: '{key}' must be True or False")
    cadence = spec.get("email_cadence", Cadence.DAILY)
    _require(cadence in Cadence._value2member_map_, f"{where}: unknown email_cadence {cadence!r}")
    non_editable = spec.get("non_editable", [])
    _require(
        isinstance(non_editable, list | tuple) and all(c in Channel._value2member_map_ for c in non_editable),
        f"{where}: non_editable must be a list of channels (web, email, push), got {non_editable!r}",
    )
    return ChannelDefaults(
        web=spec["web"],
        email=spec["email"],
        push=spec["push"],
        email_cadence=Cadence(cadence),
        non_editable=frozenset(Channel(c) for c in non_editable),
    )


def build_app(name: str, spec: Mapping[str, Any]) -> NotificationApp:
    """Validate an app dict and return the typed app."""
    where = f"notification app {name!r}"
    _require(isinstance(spec, Mapping), f"{where}: must be a dict")
    spec = {LEGACY_APP_KEYS.get(key, key): value for key, value in spec.items()}
    unknown = set(spec) - APP_KEYS
    _require(not unknown, f"{where}: unknown keys {sorted(unknown)}")
    # The tray client camelCases app names and sends them back, so only single lower-case words survive.
    _require(name.isalpha() and name.islower(), f"{where}: app names must be one lower-case word")
    return NotificationApp(
        name=name,
        enabled=bool(spec.get("enabled", True)),
        info=str(spec.get("info", "")),
        base_defaults=_channel_defaults(where, spec),
    )


def build_type(name: str, spec: Mapping[str, Any]) -> NotificationType:
    """Validate a type dict and return the typed type (cross-references are checked by system checks)."""
    where = f"notification type {name!r}"
    _require(isinstance(spec, Mapping), f"{where}: must be a dict")
    unknown = set(spec) - TYPE_KEYS
    _require(not unknown, f"{where}: unknown keys {sorted(unknown)}")
    _require(spec.get("name", name) == name, f"{where}: 'name' must equal the key")
    _require(isinstance(spec.get("notification_app"), str), f"{where}: 'notification_app' is required")
    _require(bool(spec.get("content_template")), f"{where}: 'content_template' is required")
    context = spec.get("content_context", {})
    _require(isinstance(context, Mapping), f"{where}: 'content_context' must be a dict")
    use_app_defaults = bool(spec.get("use_app_defaults", spec.get("is_core", False)))
    fields = template_fields(spec["content_template"])
    grouped = spec.get("grouped_content_template")
    if grouped is not None:
        template_fields(grouped)  # raises on malformed fields
    return NotificationType(
        name=name,
        app_name=spec["notification_app"],
        use_app_defaults=use_app_defaults,
        content_template=spec["content_template"],
        grouped_content_template=grouped,
        content_context=dict(context),
        filters=tuple(spec.get("filters", ())),
        visible_to=tuple(spec.get("visible_to", ())),
        info=str(spec.get("info", "")),
        base_defaults=None if use_app_defaults else _channel_defaults(where, spec),
        template_fields=fields,
    )


class Registry:
    """All notification apps and types, each registered once."""

    def __init__(self) -> None:
        self._apps: dict[str, NotificationApp] = {}
        self._types: dict[str, NotificationType] = {}
        self._loaded = False
        self._lock = threading.RLock()
        self._warned: set[str] = set()

    # -- registration ---------------------------------------------------------------------------
    def register_app(self, name: str, spec: Mapping[str, Any]) -> NotificationApp:
        with self._lock:
            self._ensure_loaded()
            _require(name not in self._apps, f"notification app {name!r} is registered twice")
            app = self._apps[name] = build_app(name, spec)
            return app

    def register_type(self, name: str, spec: Mapping[str, Any]) -> NotificationType:
        with self._lock:
            self._ensure_loaded()
            _require(name not in self._types, f"notification type {name!r} is registered twice")
            ntype = self._types[name] = build_type(name, spec)
            return ntype

    def unregister(self, *, apps: Iterable[str] = (), types: Iterable[str] = ()) -> None:
        """Remove entries (for tests that register temporary types)."""
        with self._lock:
            for name in types:
                self._types.pop(name, None)
            for name in apps:
                self._apps.pop(name, None)

    def _ensure_loaded(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        for source_apps, source_types in (
            (DEFAULT_APPS, DEFAULT_TYPES),
            (get_setting("NOTIFICATION_APPS"), get_setting("NOTIFICATION_TYPES")),
        ):
            for name, spec in source_apps.items():
                self.register_app(name, spec)
            for name, spec in source_types.items():
                self.register_type(name, spec)

    # -- lookup ---------------------------------------------------------------------------------
    def apps(self) -> dict[str, NotificationApp]:
        self._ensure_loaded()
        return dict(self._apps)

    def types(self) -> dict[str, NotificationType]:
        self._ensure_loaded()
        return dict(self._types)

    def get_app(self, name: str) -> NotificationApp | None:
        self._ensure_loaded()
        return self._apps.get(name)

    def get_type(self, name: str) -> NotificationType | None:
        self._ensure_loaded()
        return self._types.get(name)

    def types_of(self, app_name: str) -> list[NotificationType]:
        self._ensure_loaded()
        return [t for t in self._types.values() if t.app_name == app_name]

    # -- effective defaults (overrides applied on every read) -----------------------------------
    def app_defaults(self, app_name: str) -> ChannelDefaults:
        """The app's bundled-row defaults with ``NOTIFICATION_APPS_OVERRIDE`` applied."""
        self._ensure_loaded()
        app = self._apps[app_name]
        override = get_setting("NOTIFICATION_APPS_OVERRIDE").get(app_name)
        return self._apply(app.base_defaults, override, f"NOTIFICATION_APPS_OVERRIDE[{app_name!r}]")

    def type_defaults(self, ntype: NotificationType) -> ChannelDefaults:
        """The defaults governing ``ntype``: its app's bundled row, or its own with type overrides."""
        if ntype.use_app_defaults:
            return self.app_defaults(ntype.app_name)
        override = get_setting("NOTIFICATION_TYPES_OVERRIDE").get(ntype.name)
        assert ntype.base_defaults is not None
        return self._apply(ntype.base_defaults, override, f"NOTIFICATION_TYPES_OVERRIDE[{ntype.name!r}]")

    def _apply(self, base: ChannelDefaults, override: Any, where: str) -> ChannelDefaults:
        if not override:
            return base
        problems = override_problems(override)
        # Invalid values are ignored (the base value stays) and reported once per process here,
        # and on every ``manage.py check``.
        if problems and where not in self._warned:
            self._warned.add(where)
            log.warning("%s: %s; the invalid keys are ignored", where, "; ".join(problems))
        values = {
            "web": base.web,
            "email": base.email,
            "push": base.push,
            "email_cadence": base.email_cadence,
            "non_editable": base.non_editable,
        }
        for key, value in override.items():
            if key in ("web", "email", "push") and isinstance(value, bool):
                values[key] = value
            elif key == "email_cadence" and value in Cadence._value2member_map_:
                values[key] = Cadence(value)
            elif key == "non_editable" and _valid_channels(value):
                values[key] = frozenset(Channel(c) for c in value)
        return ChannelDefaults(**values)


def _valid_channels(value: Any) -> bool:
    return isinstance(value, list | tuple) and all(c in Channel._value2member_map_ for c in value)


def override_problems(override: Any) -> list[str]:
    """Human-readable problems of one override entry (empty when valid)."""
    if not isinstance(override, Mapping):
        return [f"must be a dict, got {type(override).__name__}"]
    problems = []
    for key, value in override.items():
        if key not in OVERRIDE_KEYS:
            problems.append(f"unknown key {key!r} (allowed: {', '.join(sorted(OVERRIDE_KEYS))})")
        elif key in ("web", "email", "push") and not isinstance(value, bool):
            problems.append(f"{key!r} must be True or False, got {value!r}")
        elif key == "email_cadence" and value not in Cadence._value2member_map_:
            problems.append(f"invalid email_cadence {value!r} (allowed: {', '.join(Cadence)})")
        elif key == "non_editable" and not _valid_channels(value):
            problems.append(f"non_editable must list channels (web, email, push), got {value!r}")
    return problems


registry = Registry()
