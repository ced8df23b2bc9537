"""Celery tasks: thin wrappers that take ids and call one service function each."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import DatabaseError

from platform_notifications import fanout, retention, sweep

log = logging.getLogger(__name__)

#: Fan-out retries with exponential backoff (seconds: 10, 20, 40, ...); the sweep picks up after that.
FAN_OUT_MAX_RETRIES = 5


@shared_task(
    bind=True,
    acks_late=True,  # a worker killed mid fan-out leaves the message for another worker
    reject_on_worker_lost=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=10,
    max_retries=FAN_OUT_MAX_RETRIES,
)
def fan_out(self, request_id: int) -> dict:
    """Create the notifications of request ``request_id`` (resumes where an earlier attempt stopped)."""
    try:
        result = fanout.process_request(request_id)
    except Exception as error:
        sweep.record_failure(request_id, error, final=self.request.retries >= FAN_OUT_MAX_RETRIES)
        raise
    return {"created": result.created, "grouped": result.grouped, "chunks": result.chunks}


@shared_task
def sweep_stale_requests() -> int:
    """Re-enqueue requests whose fan-out never started or stalled (lost message, broker outage)."""
    return sweep.requeue_stale_requests()


@shared_task
def purge_expired_notifications() -> int:
    """Delete notifications older than ``NOTIFICATIONS_EXPIRY`` days, in batches."""
    return retention.purge_expired()
