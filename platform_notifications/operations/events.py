"""Tracking events in Open edX's names and fields, sent to event-tracking when it is set up, else as a signal.

With event-tracking installed and a tracker registered (as in Open edX), events go through
``eventtracking.tracker.emit``; otherwise the ``tracking_event`` Django signal carries them (``name``, ``data``)
to whatever the host connects. The fan-out emits one event per request and email delivery one per batch,
never one per recipient. A failing tracker is logged and never breaks the caller.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.dispatch import Signal

log = logging.getLogger(__name__)

NOTIFICATION_GENERATED = "edx.notifications.generated"
NOTIFICATION_READ = "edx.notifications.read"
NOTIFICATION_APP_ALL_READ = "edx.notifications.app_all_read"
NOTIFICATION_APP_SEEN = "edx.notifications.app_seen"
NOTIFICATION_TRAY_OPENED = "edx.notifications.tray_opened"
NOTIFICATION_PREFERENCES_UPDATED = "edx.notifications.preferences.updated"
NOTIFICATION_PREFERENCE_UNSUBSCRIBE = "edx.notifications.preferences.one_click_unsubscribe"
NOTIFICATION_EMAILS_SENT = "edx.notifications.email_batch_sent"

#: Sent for every event when event-tracking is not set up; receivers get ``name`` and ``data``.
tracking_event = Signal()


def _tracker():
    try:
        from eventtracking import tracker
    except ImportError:
        return None
    try:
        tracker.get_tracker()
    except KeyError:  # installed, but no tracker registered: not an Open edX-style set-up
        return None
    return tracker


def emit(name: str, data: Mapping[str, Any]) -> None:
    """Send one event; errors of the tracker or of a receiver are logged, never raised."""
    try:
        tracker = _tracker()
        if tracker is not None:
            tracker.emit(name, dict(data))
        else:
            tracking_event.send(sender=None, name=name, data=dict(data))
    except Exception:
        log.exception("tracking event %s could not be emitted", name)


def generated(request: Any, created: int, grouped: int) -> None:
    """A request's fan-out finished: one event for the whole audience."""
    emit(
        NOTIFICATION_GENERATED,
        {
            # A users request names its recipients (already one list in the request); a course request's
            # audience is resolved in chunks and never materialised, so it is reported by count only.
            "recipients_id": list(request.user_ids) if request.kind == "users" else None,
            "recipients_count": created + grouped,
            "created_count": created,
            "grouped_count": grouped,
            "course_id": request.course_id,
            "notification_type": request.notification_type,
            "notification_app": request.app_name,
            "request_id": request.pk,
        },
    )


def read(user: Any, rows: Any) -> None:
    """Notifications marked read by their user (``rows``: a queryset of those rows, one event each)."""
    # Every field ``content`` reads, so that no row loads a deferred field on its own.
    for row in rows.only("id", "course_id", "app_name", "notification_type", "content_context", "title", "body"):
        emit(
            NOTIFICATION_READ,
            {
                "user_id": str(user.pk),
                "course_id": row.course_id,
                "notification_type": row.notification_type,
                "notification_app": row.app_name,
                "notification_metadata": {"notification_id": row.pk, "notification_content": row.content},
            },
        )


def app_all_read(user: Any, app_name: str, count: int) -> None:
    emit(NOTIFICATION_APP_ALL_READ, {"user_id": str(user.pk), "notification_app": app_name, "count": count})


def app_seen(user: Any, app_name: str, count: int) -> None:
    emit(NOTIFICATION_APP_SEEN, {"user_id": str(user.pk), "notification_app": app_name, "count": count})


def tray_opened(user: Any, query_params: Mapping[str, str]) -> None:
    """The tray asks for its list with ``tray_opened=true`` when it opens."""
    if str(query_params.get("tray_opened", "")).lower() == "true":
        emit(NOTIFICATION_TRAY_OPENED, {"user_id": user.pk})


def preferences_updated(user: Any, change: Any) -> None:
    emit(
        NOTIFICATION_PREFERENCES_UPDATED,
        {
            "user_id": str(user.pk),
            "course_id": "",  # preferences are account-wide here, not per course
            "notification_app": change.app_name,
            "notification_type": change.preference_key,
            "notification_channel": change.channel,
            "value": change.value,
        },
    )


def unsubscribed(user_id: int, scope: Any) -> None:
    """A one-click unsubscribe was applied (``scope``: all email, one app, or one type)."""
    emit(
        NOTIFICATION_PREFERENCE_UNSUBSCRIBE,
        {
            "user_id": str(user_id),
            "scope": scope.kind,
            "notification_app": scope.app_name or "",
            "notification_type": scope.key or "",
        },
    )


def emails_sent(outcome: Mapping[str, int]) -> None:
    """One delivery batch finished (an instant's ETA task or the due sweep): how many schedules ended how."""
    if outcome:
        emit(
            NOTIFICATION_EMAILS_SENT,
            {
                "sent": outcome.get("sent", 0),
                "empty": outcome.get("empty", 0),
                "retrying": outcome.get("pending", 0),
                "failed": outcome.get("failed", 0),
                "skipped": outcome.get("skipped", 0),
            },
        )
