"""Typed, validated notification apps and types, built from the config dicts, with overrides read on use.

Base definitions (shipped defaults, ``NOTIFICATION_APPS``/``NOTIFICATION_TYPES`` settings, and
``registry.register_app``/``register_type`` calls from consumer ``AppConfig.ready()``) are validated
structurally when registered: a duplicate or malformed entry raises ``ImproperlyConfigured`` at startup.
Channel defaults are resolved on every read, applying ``NOTIFICATION_APPS_OVERRIDE`` and
``NOTIFICATION_TYPES_OVERRIDE``, so an operator's change reaches every user who has not chosen.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from platform_notifications.config.defaults import DEFAULT_APPS, DEFAULT_TYPES
from platform_notifications.config.definitions import (
    ChannelDefaults,
    NotificationApp,
    NotificationType,
    _require,
    build_app,
    build_type,
    override_problems,
    template_fields,
    valid_channels,
)
from platform_notifications.config.enums import Cadence, Channel
from platform_notifications.config.settings import get_setting

log = logging.getLogger(__name__)

# Re-exported: the typed definitions and their validators live in ``definitions``.
__all__ = [
    "ChannelDefaults",
    "NotificationApp",
    "NotificationType",
    "Registry",
    "build_app",
    "build_type",
    "override_problems",
    "registry",
    "template_fields",
]


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
        with self._lock:
            if self._loaded:
                return
            # Set first: the register_* calls below re-enter here.
            self._loaded = True
            try:
                for source_apps, source_types in (
                    (DEFAULT_APPS, DEFAULT_TYPES),
                    (get_setting("NOTIFICATION_APPS"), get_setting("NOTIFICATION_TYPES")),
                ):
                    _require(
                        isinstance(source_apps, Mapping) and isinstance(source_types, Mapping),
                        "NOTIFICATION_APPS and NOTIFICATION_TYPES must be dicts",
                    )
                    for name, spec in source_apps.items():
                        self.register_app(name, spec)
                    for name, spec in source_types.items():
                        self.register_type(name, spec)
            except Exception:
                # Never leave a half-loaded registry behind: every later read reports the error again.
                self._apps, self._types, self._loaded = {}, {}, False
                raise

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
        if not override or not isinstance(override, Mapping):
            # A non-dict override is reported by ``manage.py check`` (E006) and ignored here.
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
            elif key == "non_editable" and valid_channels(value):
                values[key] = frozenset(Channel(c) for c in value)
        return ChannelDefaults(**values)


registry = Registry()
