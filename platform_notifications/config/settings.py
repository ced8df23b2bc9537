"""One lazy accessor for every setting the app reads, with documented defaults.

Settings are read on every access, never captured at import, so ``override_settings`` always works.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings as django_settings

DEFAULTS: dict[str, Any] = {
    # Days after which notifications are hidden from the tray and purged.
    "NOTIFICATIONS_EXPIRY": 60,
    # Recipients per fan-out chunk. Each chunk is one transaction with a fixed number of queries and one commit,
    # so a larger chunk amortises them (docs/benchmarks.md: +10-20% from 1,000 to 2,000 on PostgreSQL); a chunk
    # of 2,000 still commits in ~40 ms, which bounds how long it holds the request row and, with grouping, its
    # users' rows, and what a killed worker redoes.
    "NOTIFICATION_CREATION_BATCH_SIZE": 2000,
    # Rows deleted per statement by the retention purge.
    "NOTIFICATIONS_PURGE_BATCH_SIZE": 5000,
    # Requests still pending this many minutes after they were stored are re-enqueued by the sweep.
    "NOTIFICATION_REQUEST_STALE_MINUTES": 5,
    "NOTIFICATIONS_DEFAULT_FROM_EMAIL": None,  # falls back to DEFAULT_FROM_EMAIL
    "NOTIFICATION_IMMEDIATE_EMAIL_BUFFER_MINUTES": 15,
    "NOTIFICATION_DAILY_DIGEST_DELIVERY_HOUR": 17,
    "NOTIFICATION_DAILY_DIGEST_DELIVERY_MINUTE": 0,
    "NOTIFICATION_WEEKLY_DIGEST_DELIVERY_DAY": 0,
    "NOTIFICATION_WEEKLY_DIGEST_DELIVERY_HOUR": 17,
    "NOTIFICATION_WEEKLY_DIGEST_DELIVERY_MINUTE": 0,
    "ONE_CLICK_UNSUBSCRIBE_RATE_LIMIT": "100/m",
    "NOTIFICATION_TYPES_OVERRIDE": {},
    "NOTIFICATION_APPS_OVERRIDE": {},
    # Extra apps and types a platform defines in settings, merged with the shipped defaults.
    "NOTIFICATION_APPS": {},
    "NOTIFICATION_TYPES": {},
    # Audience filter classes per key; ``None`` picks Open edX's when its models are installed,
    # the standalone ``CourseMembership`` ones otherwise.
    "NOTIFICATION_AUDIENCE_FILTERS": None,
    # Models users may follow (``"app_label.model"``): the ``followers_of`` audience and the subscriptions API.
    "NOTIFICATION_FOLLOWABLE_MODELS": [],
    # Channel classes, in delivery order.
    "NOTIFICATION_CHANNELS": [
        "platform_notifications.channels.web.channel.WebChannel",
        "platform_notifications.channels.email.channel.EmailChannel",
        "platform_notifications.channels.push.channel.PushChannel",
    ],
    # Dotted path to ``f(user) -> set[str] | None``: the roles a user holds, for ``visible_to`` preference rows
    # (``None``: the standalone resolver from ``CourseMembership``).
    "NOTIFICATION_USER_ROLES_FUNCTION": None,
    # Absolute base URL used in emails (links must work outside the site).
    "NOTIFICATIONS_SITE_URL": "http://localhost:8000",
    # Pages emails link to ("manage preferences", "view all"); None: a path under NOTIFICATIONS_SITE_URL.
    "NOTIFICATIONS_PREFERENCES_URL": None,
    "NOTIFICATIONS_VIEW_ALL_URL": None,
}


def get_setting(name: str) -> Any:
    """Return setting ``name`` from Django settings, or its documented default."""
    if name not in DEFAULTS:
        raise KeyError(f"{name} is not a platform-notifications setting")
    return getattr(django_settings, name, DEFAULTS[name])


def clamp(value: Any, low: int, high: int, default: int) -> int:
    """Coerce an integer setting into ``[low, high]``; a non-integer falls back to ``default``."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return max(low, min(high, number))
