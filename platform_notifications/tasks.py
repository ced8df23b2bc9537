"""Celery tasks: thin wrappers that take ids and call one service function each."""

from __future__ import annotations

import logging
from datetime import datetime

from celery import shared_task
from django.db import DatabaseError

from platform_notifications.channels import dispatch
from platform_notifications.channels.email import batch, critical, digest, schedule
from platform_notifications.config.enums import Cadence
from platform_notifications.fanout import run as fanout
from platform_notifications.intake import sweep
from platform_notifications.operations import retention

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


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=30,
    max_retries=5,
)
def deliver_email_instant(self, cadence: str, delivery_time: str) -> dict:
    """Send every pending email schedule of one delivery instant; a message that arrives early is re-queued."""
    when = datetime.fromisoformat(delivery_time)
    outcome = batch.deliver_instant(Cadence(cadence), when)
    if outcome is None:
        # Early (clock skew, a broker that ignored the ETA): wait for the real time. Eager mode has no ETA,
        # so there the sweep delivers instead of looping.
        if not self.request.is_eager:
            schedule.queue_instant(Cadence(cadence), when, force=True)
        return {"early": True}
    return dict(outcome)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def deliver_email_schedule(schedule_id: int) -> str:
    """Send one email schedule (a retry after a failed send); a no-op unless it is due and unclaimed."""
    return digest.deliver(schedule_id)


@shared_task
def send_due_digests() -> dict:
    """Deliver every email schedule whose time has come and that was not sent (run by Celery beat)."""
    return dict(batch.deliver_due())


@shared_task(
    acks_late=True, reject_on_worker_lost=True, autoretry_for=(DatabaseError,), retry_backoff=10, max_retries=5
)
def deliver_attempts(channel: str, attempt_ids: list[int]) -> dict:
    """Send queued delivery rows of one outbound channel (push, web push, webhook, Slack) and log the outcomes."""
    return dispatch.run(channel, attempt_ids)


@shared_task
def release_held_deliveries(channel: str) -> int:
    """Turn the throttled (held) deliveries of ``channel`` that are due into one summary per user."""
    return dispatch.release_held(channel)


@shared_task
def sweep_deliveries() -> int:
    """Re-enqueue deliveries whose task was lost, give back rows of dead workers, release held rows."""
    return dispatch.sweep()


@shared_task
def notify_webhook_disabled(endpoint_id: int) -> bool:
    """Tell an endpoint's owner by email that it was disabled after failing too often in a row."""
    from django.core.mail import send_mail

    from platform_notifications.config.settings import get_setting
    from platform_notifications.models import WebhookEndpoint

    endpoint = WebhookEndpoint.objects.select_related("user").filter(pk=endpoint_id, active=False).first()
    if endpoint is None or not endpoint.user.email:
        return False
    send_mail(
        subject="Your notification endpoint was disabled",
        message=(
            f"The {endpoint.kind} endpoint {endpoint.url} failed "
            f"{endpoint.consecutive_failures} deliveries in a row and was disabled. Register it again once it works."
        ),
        from_email=get_setting("NOTIFICATIONS_DEFAULT_FROM_EMAIL"),
        recipient_list=[endpoint.user.email],
    )
    return True


@shared_task(acks_late=True, reject_on_worker_lost=True)
def deliver_critical_email(notification_ids: list[int]) -> int:
    """Send the standalone emails of CRITICAL notifications (each row at most once)."""
    return critical.send(notification_ids)
