"""Typed, frozen app and type definitions, and the validation that builds them from the config dicts.

A malformed dict raises ``ImproperlyConfigured`` with a message naming the entry and the field.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from platform_notifications.config.enums import APP_WIDE_TYPE, BUNDLED_TYPE, Cadence, Channel

#: Keys an override dict may carry.
OVERRIDE_KEYS = frozenset({"web", "email", "push", "email_cadence", "non_editable"})
#: Template fields that stand for tag names rather than context variables.
TAG_FIELDS = frozenset({"p", "strong"})
#: Longest app or type name (the model columns holding them are 64 characters).
MAX_NAME_LENGTH = 64

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
        return BUNDLED_TYPE if self.use_app_defaults else self.name


def template_fields(template: str) -> frozenset[str]:
    """Names of the context variables a ``str.format`` template uses (tag fields excluded).

    Only plain ``{name}`` fields are allowed: attribute or index access, conversions (``!r``) and format
    specs could reach into objects, bypass escaping or fail at render time, long after configuration.
    """
    names = set()
    try:
        parsed = list(string.Formatter().parse(str(template)))
    except ValueError as error:
        raise ImproperlyConfigured(f"malformed template {template!r}: {error}") from error
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier():
            raise ImproperlyConfigured(f"template field {{{name}}} must be a plain variable name")
        if conversion:
            raise ImproperlyConfigured(f"template field {{{name}!{conversion}}}: a conversion is not allowed")
        if spec:
            raise ImproperlyConfigured(f"template field {{{name}:{spec}}}: a format spec is not allowed")
        names.add(name)
    return frozenset(names - TAG_FIELDS)


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ImproperlyConfigured(message)


def valid_channels(value: Any) -> bool:
    return isinstance(value, list | tuple | set | frozenset) and all(c in Channel._value2member_map_ for c in value)


def _channel_defaults(where: str, spec: Mapping[str, Any]) -> ChannelDefaults:
    for key in ("web", "email", "push"):
        _require(isinstance(spec.get(key), bool), f"{where}: '{key}' must be True or False")
    cadence = spec.get("email_cadence", Cadence.DAILY)
    _require(cadence in Cadence._value2member_map_, f"{where}: unknown email_cadence {cadence!r}")
    non_editable = spec.get("non_editable", [])
    _require(
        valid_channels(non_editable),
        f"{where}: non_editable must be a list of channels (web, email, push), got {non_editable!r}",
    )
    return ChannelDefaults(
        web=spec["web"],
        email=spec["email"],
        push=spec["push"],
        email_cadence=Cadence(cadence),
        non_editable=frozenset(Channel(c) for c in non_editable),
    )


def _names(where: str, spec: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = spec.get(key, ())
    _require(
        isinstance(value, list | tuple) and all(isinstance(item, str) for item in value),
        f"{where}: '{key}' must be a list of names, got {value!r}",
    )
    return tuple(value)


def build_app(name: str, spec: Mapping[str, Any]) -> NotificationApp:
    """Validate an app dict and return the typed app."""
    where = f"notification app {name!r}"
    _require(isinstance(spec, Mapping), f"{where}: must be a dict")
    spec = {LEGACY_APP_KEYS.get(key, key): value for key, value in spec.items()}
    unknown = set(spec) - APP_KEYS
    _require(not unknown, f"{where}: unknown keys {sorted(unknown)}")
    # The tray client camelCases app names and sends them back, so only single lower-case words survive.
    _require(
        isinstance(name, str) and name.isalpha() and name.islower() and name.isascii(),
        f"{where}: app names must be one lower-case word",
    )
    _require(len(name) <= MAX_NAME_LENGTH, f"{where}: names are at most {MAX_NAME_LENGTH} characters")
    return NotificationApp(
        name=name,
        enabled=bool(spec.get("enabled", True)),
        info=str(spec.get("info", "")),
        base_defaults=_channel_defaults(where, spec),
    )


def build_type(name: str, spec: Mapping[str, Any]) -> NotificationType:
    """Validate a type dict and return the typed type (cross-references are checked by system checks)."""
    where = f"notification type {name!r}"
    _require(isinstance(name, str) and bool(name), f"{where}: the name must be a non-empty string")
    # These spell preference rows (the app's bundled row, the app-wide row); a type of that name would
    # share its users' stored choices.
    _require(name not in (BUNDLED_TYPE, APP_WIDE_TYPE), f"{where}: the name is reserved")
    _require(len(name) <= MAX_NAME_LENGTH, f"{where}: names are at most {MAX_NAME_LENGTH} characters")
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
        filters=_names(where, spec, "filters"),
        visible_to=_names(where, spec, "visible_to"),
        info=str(spec.get("info", "")),
        base_defaults=None if use_app_defaults else _channel_defaults(where, spec),
        template_fields=fields,
    )


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
        elif key == "non_editable" and not valid_channels(value):
            problems.append(f"non_editable must list channels (web, email, push), got {value!r}")
    return problems
