"""Checks of the NOTIFICATIONS_* Tutor settings, run whenever Tutor loads the configuration.

Pure functions with no Tutor import, so that they can be tested without loading any plugin.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from email.utils import parseaddr
from typing import Any

# What the Django app accepts in NOTIFICATION_TYPES_OVERRIDE / NOTIFICATION_APPS_OVERRIDE entries.
CHANNELS = ("web", "email", "push")
EMAIL_CADENCES = ("Immediately", "Daily", "Weekly", "Never")
OVERRIDE_KEYS = (*CHANNELS, "email_cadence", "non_editable")

# A deliberately plain address check: local part, "@", dot-separated domain labels. "contact@localhost"
# must pass because Tutor's default CONTACT_EMAIL is built from LMS_HOST, which may be a bare host name.
_ADDRESS = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$"
)
# Django REST framework throttles read "<count>/<period>" and only look at the period's first letter.
_RATE = re.compile(r"^[1-9][0-9]*/[smhd][a-z]*$")

Validator = Callable[[Any], "str | None"]


def _integer(low: int, high: int | None, meaning: str) -> Validator:
    """Accept an int in [low, high] (no upper bound when high is None); bools are not numbers here."""
    bounds = f"from {low} to {high}" if high is not None else f"of at least {low}"

    def check(value: Any) -> str | None:
        is_int = isinstance(value, int) and not isinstance(value, bool)
        if not is_int or value < low or (high is not None and value > high):
            return f"must be a whole number {bounds} ({meaning})"
        return None

    return check


def _boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


def _email(value: Any) -> str | None:
    problem = "must be an email address such as notifications@example.com or 'Name <notifications@example.com>'"
    if not isinstance(value, str) or not value.strip() or "\n" in value or "\r" in value:
        return problem
    _name, address = parseaddr(value)
    return None if _ADDRESS.match(address) else problem


def _rate(value: Any) -> str | None:
    if isinstance(value, str) and _RATE.match(value):
        return None
    return "must be a rate such as 100/m: a positive count, '/', then s, m, h or d (per second/minute/hour/day)"


def _requirement(value: Any) -> str | None:
    # The value ends up in one Dockerfile RUN line, where a line break would end the instruction.
    if isinstance(value, str) and value.strip() and "\n" not in value and "\r" not in value:
        return None
    return "must be a single-line pip requirement, e.g. platform-notifications==1.0.0 or a git+https URL"


def _override_entry(name: str, entry: Any) -> list[str]:
    """Problems in one {type-or-app: {...}} entry of an override dict."""
    if not isinstance(entry, dict):
        return [f"entry {name!r} must be a mapping of {', '.join(OVERRIDE_KEYS)}"]
    problems = []
    for key, value in entry.items():
        if key in CHANNELS and not isinstance(value, bool):
            problems.append(f"{name}.{key} must be true or false")
        elif key == "email_cadence" and value not in EMAIL_CADENCES:
            problems.append(f"{name}.email_cadence must be one of {', '.join(EMAIL_CADENCES)}")
        elif key == "non_editable" and (
            not isinstance(value, list) or any(channel not in CHANNELS for channel in value)
        ):
            problems.append(f"{name}.non_editable must be a list drawn from {', '.join(CHANNELS)}")
        elif key not in OVERRIDE_KEYS:
            problems.append(f"{name}.{key} is not an overridable field (allowed: {', '.join(OVERRIDE_KEYS)})")
    return problems


def _overrides(value: Any) -> str | None:
    if not isinstance(value, dict):
        return "must be a mapping of names to field overrides, e.g. {new_response: {email: true}}"
    problems = []
    for name, entry in value.items():
        if not isinstance(name, str) or not name:
            problems.append(f"key {name!r} must be a non-empty name")
        else:
            problems.extend(_override_entry(name, entry))
    return "; ".join(problems) or None


VALIDATORS: dict[str, Validator] = {
    "NOTIFICATIONS_PIP_REQUIREMENT": _requirement,
    "NOTIFICATIONS_DEFAULT_FROM_EMAIL": _email,
    "NOTIFICATIONS_DAILY_DIGEST_HOUR": _integer(0, 23, "hour of the day, UTC"),
    "NOTIFICATIONS_DAILY_DIGEST_MINUTE": _integer(0, 59, "minute of the hour"),
    "NOTIFICATIONS_WEEKLY_DIGEST_DAY": _integer(0, 6, "day of the week, 0 is Monday"),
    "NOTIFICATIONS_WEEKLY_DIGEST_HOUR": _integer(0, 23, "hour of the day, UTC"),
    "NOTIFICATIONS_WEEKLY_DIGEST_MINUTE": _integer(0, 59, "minute of the hour"),
    "NOTIFICATIONS_IMMEDIATE_EMAIL_BUFFER_MINUTES": _integer(0, None, "minutes"),
    "NOTIFICATIONS_EXPIRY_DAYS": _integer(1, None, "days"),
    "NOTIFICATIONS_RETENTION_DAYS": _integer(1, None, "days"),
    "NOTIFICATIONS_TYPES_OVERRIDE": _overrides,
    "NOTIFICATIONS_APPS_OVERRIDE": _overrides,
    "NOTIFICATIONS_UNSUBSCRIBE_RATE_LIMIT": _rate,
    "NOTIFICATIONS_ENABLE_SHOW_EMAIL_CHANNEL": _boolean,
    "NOTIFICATIONS_ENABLE_SHOW_PUSH_CHANNEL": _boolean,
    "NOTIFICATIONS_RUN_BEAT": _boolean,
    "NOTIFICATIONS_SERVE_OPENEDX_PATHS": _boolean,
}


def find_problems(config: Mapping[str, Any]) -> list[str]:
    """One line per invalid NOTIFICATIONS_* value, naming the key, its value and what is expected."""
    problems = []
    for key, check in VALIDATORS.items():
        if key not in config:
            continue
        problem = check(config[key])
        if problem:
            problems.append(f"{key}={config[key]!r} {problem}")
    return problems


def error_message(problems: list[str]) -> str:
    """The text shown to the operator when the configuration is refused."""
    lines = "\n".join(f"  - {problem}" for problem in problems)
    return (
        "Invalid platform-notifications configuration:\n"
        f"{lines}\n"
        "Fix it with `tutor config save --set KEY=VALUE`, or go back to the default with "
        "`tutor config save --unset KEY` (and check for TUTOR_KEY environment variables)."
    )
