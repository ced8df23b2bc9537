"""Recovery for requests whose fan-out was never enqueued or stopped part way."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from platform_notifications.config.bounds import bounded
from platform_notifications.models import NotificationRequest

log = logging.getLogger(__name__)

#: After this many failed attempts a request is marked failed for an operator to look at.
MAX_ATTEMPTS = 10


def requeue_stale_requests() -> int:
    """Enqueue pending requests untouched for ``NOTIFICATION_REQUEST_STALE_MINUTES``; returns how many."""
    from platform_notifications.intake.outbox import enqueue

    now = timezone.now()
    cutoff = now - timedelta(minutes=bounded("NOTIFICATION_REQUEST_STALE_MINUTES"))
    # uses index (state, modified)
    stale = list(
        NotificationRequest.objects.filter(state=NotificationRequest.State.PENDING, modified__lt=cutoff)
        .order_by("modified")
        .values_list("pk", flat=True)[:1000]
    )
    # Touch them first so the next sweep does not enqueue them again while they wait in the queue.
    NotificationRequest.objects.filter(pk__in=stale).update(modified=now)
    for request_id in stale:
        enqueue(request_id)
    if stale:
        log.info("re-enqueued %s stale notification requests", len(stale))
    return len(stale)


def record_failure(request_id: int, error: BaseException, final: bool) -> None:
    """Keep the error on the request; after the last retry (or too many sweeps) mark it failed."""
    request = NotificationRequest.objects.filter(pk=request_id)
    request.update(attempts=F("attempts") + 1, last_error=f"{type(error).__name__}: {error}"[:2000])
    if final or request.filter(attempts__gte=MAX_ATTEMPTS).exists():
        request.update(state=NotificationRequest.State.FAILED)
        log.error("notification request %s failed for good: %s", request_id, error)
