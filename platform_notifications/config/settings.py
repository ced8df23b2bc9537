"""One lazy accessor for every setting the app reads, with documented defaults.

Settings are read on every access, never captured at import, so ``override_settings`` always works.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings as django_settings

DEFAULTS: dict[str, Any] = {
    # Days after which notifications are hidden from the tray and purged.
    "NOTIFICATIONS_EXPIRY": 60,
    # Recipients per fan-out chunk. Each chunk is one transaction with a fixed number of statements (about a dozen
    # with email on) and one commit, so a larger chunk amortises them: at 20,000 a chunk costs under one statement
    # per 1,000 recipients (docs/benchmarks.md). Memory is bounded by one chunk (a few MiB at 20,000), whatever
    # the audience; a chunk commits in a few hundred ms, which bounds how long it holds the request row and, with
    # grouping, its users' rows, and what a killed worker redoes.
    "NOTIFICATION_CREATION_BATCH_SIZE": 20000,
    # Days finished requests, refused events and finished email schedules are kept before the purge deletes them.
    "NOTIFICATIONS_RETENTION_DAYS": 30,
    # Consecutive primary keys covered by one DELETE of the retention purge (so rows per statement at most).
    "NOTIFICATIONS_PURGE_BATCH_SIZE": 5000,
    # Requests still pending this many minutes after they were stored are re-enqueued by the sweep.
    "NOTIFICATION_REQUEST_STALE_MINUTES": 5,
    "NOTIFICATIONS_DEFAULT_FROM_EMAIL": None,  # falls back to DEFAULT_FROM_EMAIL
    # Email identities: 5-tuples (id, display_name, from_email, smtp_user, smtp_password) (``config.senders``),
    # and the id of the one kinds without their own sender use (None: NOTIFICATIONS_DEFAULT_FROM_EMAIL).
    "NOTIFICATION_SENDERS": [],
    "NOTIFICATION_DEFAULT_SENDER": None,
    # BCP 47 tag (lower case, hyphen) of the email templates used when neither the reader's locale nor its
    # language has any; empty: LANGUAGE_CODE.
    "NOTIFICATIONS_DEFAULT_LOCALE": "",
    # Send notification email through edx-ace (the operator's ACE channels) where it is installed.
    "NOTIFICATIONS_EMAIL_THROUGH_ACE": False,
    "NOTIFICATION_IMMEDIATE_EMAIL_BUFFER_MINUTES": 15,
    "NOTIFICATION_DAILY_DIGEST_DELIVERY_HOUR": 17,
    "NOTIFICATION_DAILY_DIGEST_DELIVERY_MINUTE": 0,
    "NOTIFICATION_WEEKLY_DIGEST_DELIVERY_DAY": 0,
    "NOTIFICATION_WEEKLY_DIGEST_DELIVERY_HOUR": 17,
    "NOTIFICATION_WEEKLY_DIGEST_DELIVERY_MINUTE": 0,
    "ONE_CLICK_UNSUBSCRIBE_RATE_LIMIT": "100/m",
    # Days an unsubscribe link keeps working: well past the 30 days anti-spam law (CAN-SPAM) requires.
    "NOTIFICATIONS_UNSUBSCRIBE_TOKEN_MAX_AGE_DAYS": 365,
    "NOTIFICATION_TYPES_OVERRIDE": {},
    "NOTIFICATION_APPS_OVERRIDE": {},
    # Extra apps and types a platform defines in settings, merged with the shipped defaults.
    "NOTIFICATION_APPS": {},
    "NOTIFICATION_TYPES": {},
    # Audience filter classes per key; ``None`` picks Open edX's when its models are installed,
    # the standalone ``CourseMembership`` ones otherwise.
    "NOTIFICATION_AUDIENCE_FILTERS": None,
    # Type filters by name (a type's ``filters`` key), merged over the host's: Open edX's
    # ``filter_audit_expired_users_with_no_role`` reads Open edX's models when they are installed, the
    # standalone ``CourseMembership.audit_access_expires`` otherwise. Values: a class with ``excluded(course_id,
    # user_ids)`` or a function of the same arguments, returning the ids to drop.
    "NOTIFICATION_TYPE_FILTERS": {},
    # Models users may follow (``"app_label.model"``): the ``followers_of`` audience and the subscriptions API.
    "NOTIFICATION_FOLLOWABLE_MODELS": [],
    # Channel classes, in delivery order.
    "NOTIFICATION_CHANNELS": [
        "platform_notifications.channels.web.channel.WebChannel",
        "platform_notifications.channels.email.channel.EmailChannel",
        "platform_notifications.channels.push.channel.PushChannel",
        "platform_notifications.channels.webpush.channel.WebPushChannel",
        "platform_notifications.channels.webhook.channel.WebhookChannel",
        "platform_notifications.channels.webhook.channel.SlackChannel",
    ],
    # Dotted path to ``f(user) -> set[str] | None``: the roles a user holds, for ``visible_to`` preference rows
    # (``None``: the standalone resolver from ``CourseMembership``).
    "NOTIFICATION_USER_ROLES_FUNCTION": None,
    # Channel defaults per Django group and kind, ``{"<group>": {"<kind>": {"web": bool, "email": bool,
    # "push": bool}}}``: a user without a stored choice inherits them (a channel is on if any group turns it on),
    # ahead of the override dicts and the kind's defaults (``preferences.rolesdefaults``).
    "NOTIFICATION_ROLE_DEFAULTS": {},
    # Dotted path to a class with ``time_zones(user_ids)`` and ``language(user)`` (``channels.email.locale``);
    # None: Open edX's account preferences (``time_zone``, ``pref-lang``) when Open edX is installed, else the
    # stored ``UserNotificationSettings``.
    "NOTIFICATION_LOCALE_SOURCE": None,
    # Absolute base URL used in emails (links must work outside the site).
    "NOTIFICATIONS_SITE_URL": "http://localhost:8000",
    # Pages emails link to ("manage preferences", "view all"); None: a path under NOTIFICATIONS_SITE_URL.
    "NOTIFICATIONS_PREFERENCES_URL": None,
    "NOTIFICATIONS_VIEW_ALL_URL": None,
    # Cache alias holding the per-user unseen counts; it must be shared by the web servers and the workers.
    "NOTIFICATION_COUNT_CACHE": "default",
    # Lifetime of a cached count; every change through this package invalidates it before then.
    "NOTIFICATION_COUNT_CACHE_SECONDS": 300,
    # Hosts besides NOTIFICATIONS_SITE_URL's that ``<id>/open/`` may redirect to (a notification's absolute URL).
    "NOTIFICATION_OPEN_REDIRECT_HOSTS": [],
    # Throttling of interrupting channels (push, web push, webhooks, Slack): per user and kind, and per user
    # overall, in a window; past a limit deliveries are held and sent as one summary. None or {} turns it off.
    "NOTIFICATIONS_THROTTLE": {"window_seconds": 3600, "per_kind": 10, "overall": 30},
    # Tutor's NOTIFICATIONS_ENABLE_SHOW_PUSH_CHANNEL: with the push column hidden, no mobile push is sent.
    "NOTIFICATIONS_ENABLE_SHOW_PUSH_CHANNEL": True,
    # Web Push (VAPID): the private key (PEM or base64url, from ``manage.py generate_vapid_keys``), its public
    # key for browsers, and the contact claim (mailto: or https:).
    "NOTIFICATIONS_WEBPUSH_VAPID_PRIVATE_KEY": "",
    "NOTIFICATIONS_WEBPUSH_VAPID_PUBLIC_KEY": "",
    "NOTIFICATIONS_WEBPUSH_VAPID_SUBJECT": "mailto:admin@localhost",
    # Webhooks: hosts (names or IP addresses/networks) allowed although private or loopback; operator-level
    # endpoints per app (``{app: [{"url", "secret", "kinds"}]}``); Slack channels of operators
    # (``[{"url", "apps", "min_level"}]``); timeouts, response size limit, failures in a row before disabling.
    "NOTIFICATIONS_WEBHOOK_ALLOWED_HOSTS": [],
    "NOTIFICATIONS_WEBHOOK_ENDPOINTS": {},
    "NOTIFICATIONS_SLACK_CHANNELS": [],
    "NOTIFICATIONS_WEBHOOK_CONNECT_TIMEOUT": 3.0,
    "NOTIFICATIONS_WEBHOOK_TOTAL_TIMEOUT": 10.0,
    "NOTIFICATIONS_WEBHOOK_MAX_RESPONSE_BYTES": 65536,
    "NOTIFICATIONS_WEBHOOK_DISABLE_AFTER_FAILURES": 5,
    # The live stream (``GET stream/``): a keepalive comment every so many seconds (the ERP's setting name), how
    # many missed events a ``Last-Event-ID`` reconnection replays at most, how often a process looks for new
    # events when no Redis is configured (with Redis, publish/subscribe wakes it and this is only a fallback), the
    # Redis URL for publish/subscribe (None: the count cache's Redis, else a ``redis://`` Celery broker, else none),
    # and the days live events are kept before the retention purge deletes them.
    "NOTIFICATION_WEB_PUSH_TIMEOUT_SECONDS": 60,
    "NOTIFICATION_LIVE_REPLAY_LIMIT": 100,
    "NOTIFICATION_LIVE_POLL_SECONDS": 0.5,
    "NOTIFICATION_LIVE_REDIS_URL": None,
    "NOTIFICATION_LIVE_EVENT_DAYS": 1,
    # Link of a tracing alert: an http(s) URL or a path with {trace_id} (and optionally {span_id}).
    "NOTIFICATIONS_TRACE_URL_TEMPLATE": None,
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
