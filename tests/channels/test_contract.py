"""The outbound channel contract: a new channel is one class in a setting; retries follow its policy."""

from __future__ import annotations

import pytest
import time_machine

from platform_notifications.channels import dispatch
from platform_notifications.channels.outbound import OutboundChannel, Target
from platform_notifications.channels.retry import Outcome, RetryPolicy
from platform_notifications.config.settings import DEFAULTS
from platform_notifications.models import DeliveryAttempt

pytestmark = pytest.mark.django_db
S = DeliveryAttempt.Status
SENT: list = []


class PagerChannel(OutboundChannel):
    """A channel a platform adds: every notification to a pager, failing ``fail_times`` first."""

    name = "pager"
    # The shortest first delay (half of base_seconds) stays above the claim's 5-second tolerance for an early ETA:
    # with eager tasks a retry is "run" at once and must find its row not yet due (10 s made that a coin toss
    # on a slow machine whenever the jitter came out near zero).
    retry_policy = RetryPolicy(max_attempts=3, base_seconds=30, max_seconds=120)
    fail_times = 0

    def targets(self, delivery):
        for notification in delivery.notifications:
            yield Target(notification.user_id, notification, "pager")

    def send_batch(self, items):
        outcomes = []
        for item in items:
            if PagerChannel.fail_times:
                PagerChannel.fail_times -= 1
                outcomes.append(Outcome.retry(item.attempt.pk, "pager busy"))
            else:
                SENT.append(item.message)
                outcomes.append(Outcome.ok(item.attempt.pk, f"page-{item.attempt.pk}"))
        return outcomes


@pytest.fixture
def pager(settings):
    settings.NOTIFICATION_CHANNELS = [*DEFAULTS["NOTIFICATION_CHANNELS"], f"{__name__}.PagerChannel"]
    SENT.clear()
    yield
    PagerChannel.fail_times = 0


def test_a_new_channel_is_one_class_in_a_setting(pager, send, user):
    send([user.id])
    (message,) = SENT
    row = DeliveryAttempt.objects.get(channel="pager")
    assert message.notification_id == row.notification_id and row.provider_message_id == f"page-{row.pk}"


def test_retries_stop_at_the_policys_attempts(pager, send, user):
    PagerChannel.fail_times = 10
    send([user.id])
    for _ in range(2):
        queued = DeliveryAttempt.objects.get(status=S.QUEUED)
        with time_machine.travel(queued.scheduled_at):
            dispatch.run("pager", [queued.pk])
    rows = list(DeliveryAttempt.objects.order_by("attempt").values_list("attempt", "status", "error"))
    assert rows == [(1, S.RETRYING, "pager busy"), (2, S.RETRYING, "pager busy"), (3, S.FAILED, "pager busy")]


def test_a_redelivered_task_sends_nothing_twice(pager, send, user):
    send([user.id])
    row = DeliveryAttempt.objects.get()
    assert dispatch.run("pager", [row.pk]) == {"sent": 0, "retrying": 0, "failed": 0}
    assert len(SENT) == 1


def test_a_channel_that_raises_retries_the_batch(pager, send, user, monkeypatch):
    monkeypatch.setattr(PagerChannel, "send_batch", lambda self, items: 1 / 0)
    send([user.id])
    first = DeliveryAttempt.objects.get(attempt=1)
    assert first.status == S.RETRYING and "ZeroDivisionError" in first.error


@pytest.mark.parametrize("attempt", [1, 2, 3, 6, 12])
def test_backoff_grows_exponentially_with_jitter_and_a_cap(attempt):
    policy = RetryPolicy(base_seconds=30, max_seconds=3600)
    ceiling = min(3600, 30 * 2 ** (attempt - 1))
    delays = {policy.delay(attempt) for _ in range(50)}
    assert all(ceiling / 2 <= d <= ceiling for d in delays)
    assert len(delays) > 1  # jittered


def test_exhausted():
    assert RetryPolicy(max_attempts=2).exhausted(2) and not RetryPolicy(max_attempts=2).exhausted(1)


def test_a_row_whose_notification_was_purged_is_failed_not_sent(pager, send, user, monkeypatch):
    from platform_notifications.core import queue
    from platform_notifications.models import Notification

    real = queue.enqueue

    def enqueue(name, args, **kwargs):  # the send task never runs
        return False if name == queue.DELIVER_ATTEMPTS else real(name, args, **kwargs)

    monkeypatch.setattr(queue, "enqueue", enqueue)
    send([user.id])
    row = DeliveryAttempt.objects.get()
    Notification.objects.all().delete()
    dispatch.run("pager", [row.pk])
    row.refresh_from_db()
    assert (row.status, row.error) == (S.FAILED, "the notification no longer exists") and SENT == []
