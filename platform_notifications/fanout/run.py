"""Fan a stored request out to its audience, chunk by chunk, exactly once.

Each chunk runs in one transaction that locks the request, reads the next recipients after the cursor,
loads their preferences, groups, bulk-inserts and advances the cursor: a fan-out that dies half way is
retried from the last committed chunk and never duplicates a notification. A chunk costs a fixed number
of queries whatever its size.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from platform_notifications.audience.resolver import Audience
from platform_notifications.audience.spec import SpecAudience
from platform_notifications.channels.base import ChunkRows
from platform_notifications.channels.delivery import ChunkDelivery, deliver_chunk, enabled_channels
from platform_notifications.config import NotificationType, registry
from platform_notifications.config.bounds import bounded
from platform_notifications.config.kinds import Level, Priority
from platform_notifications.fanout import attention, grouping, kinds_chunk
from platform_notifications.fanout import insert as chunk_insert
from platform_notifications.models import NotificationRequest
from platform_notifications.operations import events
from platform_notifications.preferences import effective as preferences

log = logging.getLogger(__name__)


@dataclass
class FanOutResult:
    created: int = 0
    grouped: int = 0
    chunks: int = 0
    finished: bool = False  # this run marked the request done


def process_request(request_id: int) -> FanOutResult:
    """Deliver every remaining chunk of request ``request_id``; safe to call again after any failure."""
    result = FanOutResult()
    request = NotificationRequest.objects.filter(pk=request_id).first()
    if request is None or request.state != NotificationRequest.State.PENDING:
        return result
    ntype = registry.get_type(request.notification_type)
    if ntype is None:
        # The type was removed from configuration between the request and its fan-out.
        NotificationRequest.objects.filter(pk=request_id).update(
            state=NotificationRequest.State.FAILED, last_error="notification type no longer configured"
        )
        log.error("request %s: type %s is no longer configured", request_id, request.notification_type)
        return result
    audience = SpecAudience(request) if request.kind == NotificationRequest.Kind.AUDIENCE else Audience(request)
    size = bounded("NOTIFICATION_CREATION_BATCH_SIZE")
    while process_chunk(request, ntype, audience, size, result):
        pass
    if result.finished:
        events.generated(request, *_totals(request, result))  # one tracking event per request, after commit
    return result


def process_chunk(
    request: NotificationRequest,
    ntype: NotificationType,
    audience: Audience | SpecAudience,
    size: int,
    result: FanOutResult,
) -> bool:
    """Process the next chunk; return False when the request is finished (or taken over)."""
    with transaction.atomic():
        # Locks the request: a redelivered task running beside this one waits here, then sees the
        # advanced cursor, so no chunk is processed twice.
        locked = (
            NotificationRequest.objects.select_for_update().filter(pk=request.pk).values_list("state", "cursor").first()
        )
        if locked is None or locked[0] != NotificationRequest.State.PENDING:
            return False
        now = timezone.now()
        chunk = audience.next_chunk(after=locked[1], size=size)
        if chunk is None:
            NotificationRequest.objects.filter(pk=request.pk).update(state=NotificationRequest.State.DONE, modified=now)
            log.info("request %s done: %s created, %s grouped", request.pk, result.created, result.grouped)
            result.finished = True
            return False
        # Requests of ``service.send`` carry free text, priority, scope and threads (``fanout.kinds_chunk``).
        writer = kinds_chunk.write_chunk if request.kind == NotificationRequest.Kind.AUDIENCE else write_chunk
        with _cycle_collection_paused():
            created, grouped = writer(request, ntype, chunk.user_ids, now)
        result.created += created
        result.grouped += grouped
        # Chunks of only inactive or unknown candidates just move the cursor; they are not counted.
        result.chunks += bool(chunk.user_ids)
        NotificationRequest.objects.filter(pk=request.pk).update(
            cursor=chunk.cursor,
            created_count=F("created_count") + created,
            grouped_count=F("grouped_count") + grouped,
            modified=now,
        )
    return True


@contextmanager
def _cycle_collection_paused() -> Iterator[None]:
    """Python's cycle collector off while a chunk is written, on again (and free to run) afterwards.

    A chunk allocates a few hundred thousand short-lived objects (tuples, dict entries, JSON text) and creates no
    reference cycles worth collecting; each 700 allocations would otherwise start a collection that walks the
    young objects, and the older generations' passes walk the whole process heap. Measured: a quarter of a
    100,000-recipient fan-out's Python time. Memory stays bounded by the chunk: reference counting frees the
    chunk's objects as usual, and anything cyclic is collected once the collector is back.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _totals(request: NotificationRequest, result: FanOutResult) -> tuple[int, int]:
    # The request's counts as loaded when this run started, plus what this run added.
    return request.created_count + result.created, request.grouped_count + result.grouped


def write_chunk(request: NotificationRequest, ntype: NotificationType, user_ids: list[int], now) -> tuple[int, int]:
    """Create (or group) the notifications of one chunk of recipients; returns (created, grouped)."""
    if not user_ids:
        return 0, 0
    channels = enabled_channels()
    names = {channel.name for channel in channels}
    email_on, push_on = "email" in names, "push" in names
    decide = chunk_insert.RowChannels(email_on, push_on)
    prefs = decide.delivered(preferences.for_users(ntype, user_ids))
    if not prefs:
        return 0, 0
    # Open edX types are INFO: a level above INFO stops them on that channel; mutes concern threads only.
    held = attention.apply(prefs, Level.INFO, Priority.NORMAL, now)
    merged = grouping.merge_chunk(request, ntype, prefs, now, email_on=email_on, push_on=push_on)
    rows = decide.rows(prefs, merged.user_ids)
    shared = {
        "course_id": request.course_id,
        "app_name": request.app_name,
        "notification_type": request.notification_type,
        "content_context": grouping.initial_context(request, ntype),
        "content_url": request.content_url,
        "group_by_id": request.group_by_id,
    }
    # One INSERT for the whole chunk, without model instances (chunk_insert says why).
    ids = chunk_insert.insert(shared, rows, now)
    delivered = ChunkRows(shared, rows, ids, now, merged)
    deliver_chunk(ChunkDelivery(request, ntype, delivered, prefs, now, held.held_until), channels)
    return len(rows), len(merged)
