"""Django system checks: every configuration error reported by ``manage.py check`` with a clear message."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from platform_notifications.config.bounds import RANGES
from platform_notifications.config.registry import override_problems, registry, template_fields
from platform_notifications.config.settings import get_setting

TAG = "platform_notifications"


@register(TAG)
def check_configuration(app_configs: Any = None, **kwargs: Any) -> list:
    try:
        apps, types = registry.apps(), registry.types()
    except ImproperlyConfigured as error:
        return [Error(str(error), id="platform_notifications.E000")]
    return [
        *_check_types(apps, types),
        *_check_overrides(apps, types),
        *_check_plugins(types),
        *_check_delivery_settings(),
        *_check_senders(),
        *_check_locale(),
        *_check_jwt_keys(),
    ]


def _check_senders() -> list:
    from platform_notifications.config import senders

    return [
        Error(
            problem,
            hint="NOTIFICATION_SENDERS lists 5-tuples (id, display_name, from_email, smtp_user, "
            "smtp_password); NOTIFICATION_DEFAULT_SENDER names one of their ids.",
            id="platform_notifications.E030",
        )
        for problem in senders.problems()
    ]


def _check_locale() -> list:
    from platform_notifications.config import locales

    value = get_setting("NOTIFICATIONS_DEFAULT_LOCALE")
    if value in (None, ""):
        return []
    try:
        locales.check_tag(value)
    except ValueError as error:
        return [Error(f"NOTIFICATIONS_DEFAULT_LOCALE: {error}", id="platform_notifications.E031")]
    return []


def _check_types(apps: dict, types: dict) -> list:
    from platform_notifications.fanout.grouping import groupers

    problems: list = []
    registered_groupers = groupers()
    for name, ntype in types.items():
        if ntype.app_name not in apps:
            problems.append(
                Error(
                    f"notification type {name!r} belongs to unknown app {ntype.app_name!r}",
                    hint=f"Known apps: {', '.join(sorted(apps))}",
                    id="platform_notifications.E001",
                )
            )
        undeclared = ntype.template_fields - set(ntype.content_context)
        if undeclared:
            problems.append(
                Error(
                    f"content_template of {name!r} uses undeclared variables {', '.join(sorted(undeclared))}",
                    hint="Declare every template variable in content_context.",
                    id="platform_notifications.E002",
                )
            )
        if ntype.grouped_content_template:
            grouper = registered_groupers.get(name)
            if grouper is None:
                problems.append(
                    Error(
                        f"notification type {name!r} has a grouped_content_template but no grouper",
                        hint="Register one with @register_grouper.",
                        id="platform_notifications.E003",
                    )
                )
            else:
                extra = (
                    template_fields(ntype.grouped_content_template) - set(ntype.content_context) - set(grouper.provides)
                )
                if extra:
                    problems.append(
                        Error(
                            f"grouped_content_template of {name!r} uses undeclared variables "
                            f"{', '.join(sorted(extra))}",
                            hint=f"Declare them in content_context or in {grouper.__name__}.provides.",
                            id="platform_notifications.E004",
                        )
                    )
    for name in registered_groupers:
        if name not in types:
            problems.append(
                Error(f"a grouper is registered for unknown type {name!r}", id="platform_notifications.E009")
            )
    return problems


def _check_overrides(apps: dict, types: dict) -> list:
    problems: list = []
    for setting, known in (("NOTIFICATION_APPS_OVERRIDE", apps), ("NOTIFICATION_TYPES_OVERRIDE", types)):
        overrides = get_setting(setting)
        if not isinstance(overrides, dict):
            problems.append(Error(f"{setting} must be a dict", id="platform_notifications.E005"))
            continue
        for name, override in overrides.items():
            if name not in known:
                problems.append(
                    Error(
                        f"{setting} names unknown entry {name!r}",
                        hint=f"Known: {', '.join(sorted(known))}",
                        id="platform_notifications.E005",
                    )
                )
                continue
            if setting == "NOTIFICATION_TYPES_OVERRIDE" and types[name].use_app_defaults:
                problems.append(
                    Warning(
                        f"{setting}[{name!r}] has no effect: the type uses its app's defaults",
                        hint=f"Use NOTIFICATION_APPS_OVERRIDE[{types[name].app_name!r}].",
                        id="platform_notifications.W001",
                    )
                )
            for problem in override_problems(override):
                problems.append(Error(f"{setting}[{name!r}]: {problem}", id="platform_notifications.E006"))
    return problems


def _check_plugins(types: dict) -> list:
    from platform_notifications.audience.resolver import filter_paths, type_filter_paths

    problems: list = []
    type_filters = type_filter_paths()
    for key, path in {
        **filter_paths(),
        **{f"type filter {name}": path for name, path in type_filters.items()},
        **{f"channel {p}": p for p in get_setting("NOTIFICATION_CHANNELS")},
    }.items():
        try:
            import_string(path)
        except ImportError as error:
            problems.append(Error(f"{key}: cannot import {path!r}: {error}", id="platform_notifications.E007"))
    known = set(type_filters)
    for name, ntype in types.items():
        unknown = set(ntype.filters) - known
        if unknown:
            problems.append(
                Error(
                    f"notification type {name!r} uses unknown filters {sorted(unknown)}",
                    hint=f"Known (NOTIFICATION_TYPE_FILTERS): {', '.join(sorted(known))}",
                    id="platform_notifications.E008",
                )
            )
    return problems


def _check_delivery_settings() -> list:
    problems: list = []
    for name, (low, high) in RANGES.items():
        value = get_setting(name)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            problems.append(
                Warning(
                    f"{name}={value!r} is outside {low}..{high}; it will be clamped",
                    id="platform_notifications.W002",
                )
            )
    return problems


def _check_jwt_keys() -> list:
    # A key pair made when the settings loaded differs in every process: a JWT signed by one web process fails in
    # the next one, so a deployment with more than one process must share its keys. Only the standalone server
    # sets this flag; an Open edX host configures JWT_AUTH itself.
    if getattr(settings, "NOTIFICATIONS_JWT_KEYS_EPHEMERAL", False) and not settings.DEBUG:
        return [
            Warning(
                "the JWT signing keys were made for this process only; a JWT issued by one process is refused by "
                "every other one",
                hint="Set JWT_PRIVATE_SIGNING_JWK and JWT_PUBLIC_SIGNING_JWK_SET, or JWT_SIGNING_KEY_FILE to a file "
                "every process can read.",
                id="platform_notifications.W030",
            )
        ]
    return []
