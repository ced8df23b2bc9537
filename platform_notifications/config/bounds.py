"""Integer settings with a valid range: read clamped into it, and reported by ``manage.py check`` when outside."""

from __future__ import annotations

from platform_notifications.config.settings import DEFAULTS, clamp, get_setting

#: name -> (lowest, highest) accepted value.
RANGES: dict[str, tuple[int, int]] = {
    "NOTIFICATION_DAILY_DIGEST_DELIVERY_HOUR": (0, 23),
    "NOTIFICATION_DAILY_DIGEST_DELIVERY_MINUTE": (0, 59),
    "NOTIFICATION_WEEKLY_DIGEST_DELIVERY_DAY": (0, 6),
    "NOTIFICATION_WEEKLY_DIGEST_DELIVERY_HOUR": (0, 23),
    "NOTIFICATION_WEEKLY_DIGEST_DELIVERY_MINUTE": (0, 59),
    "NOTIFICATION_IMMEDIATE_EMAIL_BUFFER_MINUTES": (0, 24 * 60),
    # A zero or negative expiry would put the purge cutoff in the future and delete every notification.
    "NOTIFICATIONS_EXPIRY": (1, 36500),
    # At most SQLite's bound-parameter limit (32,766): a sparse chunk's ids are sent as one list.
    "NOTIFICATION_CREATION_BATCH_SIZE": (1, 30000),
    "NOTIFICATIONS_RETENTION_DAYS": (1, 36500),
    "NOTIFICATIONS_PURGE_BATCH_SIZE": (1, 30000),
    "NOTIFICATION_REQUEST_STALE_MINUTES": (1, 24 * 60),
    # Below 30 days a link would stop working sooner than anti-spam law allows.
    "NOTIFICATIONS_UNSUBSCRIBE_TOKEN_MAX_AGE_DAYS": (30, 36500),
    "NOTIFICATION_WEB_PUSH_TIMEOUT_SECONDS": (1, 3600),
    "NOTIFICATION_LIVE_REPLAY_LIMIT": (0, 10000),
    "NOTIFICATION_LIVE_EVENT_DAYS": (1, 36500),
}


def bounded(name: str) -> int:
    """Integer setting ``name`` clamped into its range; a non-integer reads as the documented default."""
    low, high = RANGES[name]
    value = get_setting(name)
    if isinstance(value, bool):
        return DEFAULTS[name]
    return clamp(value, low, high, DEFAULTS[name])
