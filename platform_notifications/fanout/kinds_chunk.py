"""One fan-out chunk of a ``service`` request: scoped preferences, threads, one INSERT, then the channels.

The same chunk loop as every request (``fanout.run``); what differs is the content (free text, level, priority,
links, scope, thread) and that priorities CRITICAL and HIGH bypass preferences. Queries per chunk: the audience
(one per source and one for active, permitted users), preferences (two, three with a scope), attention (one,
two with a thread: ``fanout.attention``), the thread (a read and an UPDATE, when the request names a thread), one
INSERT, then the channels.
"""

from __future__ import annotations

from typing import Any

from platform_notifications.channels.base import ChunkRows
from platform_notifications.channels.delivery import ChunkDelivery, deliver_chunk, enabled_channels
from platform_notifications.config import NotificationType
from platform_notifications.config.kinds import Priority
from platform_notifications.fanout import attention, threads
from platform_notifications.fanout import insert as chunk_insert
from platform_notifications.models import NotificationRequest
from platform_notifications.preferences import scoped


def shared_values(request: NotificationRequest) -> dict[str, Any]:
    """The columns every row of the request shares."""
    options = request.options
    return {
        "course_id": request.course_id,
        "app_name": request.app_name,
        "notification_type": request.notification_type,
        "content_context": request.context,
        "content_url": request.content_url,
        "group_by_id": "",
        "title": options["title"],
        "body": options["body"],
        "level": options["level"],
        "priority": options["priority"],
        "links": options["links"],
        "scope": options["scope"],
        "thread_key": options["thread_key"],
        # The email sender (requests stored before senders existed have none: the default).
        "sender": options.get("sender", ""),
        "occurrences": 1,
        # The request's time, which is also its thread event's: the user's history starts with it.
        "first_created": request.created,
    }


def thread_values(shared: dict[str, Any]) -> dict[str, Any]:
    """What a new occurrence changes on an existing thread row: the newest content."""
    names = ("notification_type", "content_context", "content_url", "title", "body", "level", "priority", "links")
    return {name: shared[name] for name in names}


def channels_for(priority: int) -> tuple[list, bool]:
    """The channels of this request, and whether email goes out as a standalone CRITICAL send instead."""
    channels = enabled_channels()
    if priority == Priority.CRITICAL and any(channel.name == "email" for channel in channels):
        return [channel for channel in channels if channel.name != "email"], True
    return channels, False


def write_chunk(request: NotificationRequest, ntype: NotificationType, user_ids: list[int], now) -> tuple[int, int]:
    """Create (or fold into threads) the notifications of one chunk; returns (created, threaded)."""
    if not user_ids:
        return 0, 0
    from platform_notifications.channels.email import critical

    options = request.options
    channels, standalone_email = channels_for(options["priority"])
    names = {channel.name for channel in channels}
    email_on = "email" in names or standalone_email
    push_on = "push" in names
    decide = chunk_insert.RowChannels(email_on, push_on)
    prefs = decide.delivered(scoped.for_users(ntype, user_ids, options["scope"], options["priority"]))
    if not prefs:
        return 0, 0
    # Levels, mutes, do-not-disturb and quiet hours (per chunk): may switch email and push off.
    held = attention.apply(
        prefs, options["level"], options["priority"], now, thread_key=options["thread_key"], scope=options["scope"]
    )
    shared = shared_values(request)
    merged = threads.merge_chunk(
        list(prefs),
        options["thread_key"],
        options["scope"],
        thread_values(shared),
        now,
        once_per_thread=options["once_per_thread"],
        muted=held.muted,
    )
    existing = merged.existing
    rows = decide.rows(prefs, existing)
    ids = chunk_insert.insert(shared, rows, now)
    delivered = ChunkRows(shared, rows, ids, now, merged.renotified)
    deliver_chunk(ChunkDelivery(request, ntype, delivered, prefs, now, held.held_until), channels)
    if standalone_email:
        critical.send_after_commit([row.pk for row in delivered if row.email])
    return len(rows), len(merged.renotified) + len(merged.silent)
