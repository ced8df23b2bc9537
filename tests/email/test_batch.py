"""Batched delivery: a fixed number of statements per batch, every outcome of a mixed batch, siblings, failures."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from platform_notifications.channels.email import batch
from platform_notifications.config.enums import Cadence
from platform_notifications.models import DigestSchedule, Notification
from tests.email.conftest import set_cadence, set_settings, utc
from tests.factories import NotificationFactory, UserFactory

pytestmark = pytest.mark.django_db

FIVE_PM = utc(2026, 5, 4, 17, 0)
State = DigestSchedule.State


def _digests(count: int, per_user: int = 3, cadence: str = "Daily"):
    users = UserFactory.create_batch(count)
    for user in users:
        DigestSchedule.objects.create(user=user, cadence=cadence, delivery_time=FIVE_PM)
        NotificationFactory.create_batch(
            per_user, user=user, email=True, email_cadence=cadence, created=FIVE_PM - timedelta(hours=1)
        )
    return users


@pytest.mark.parametrize("per_user", [1, 20])
def test_statements_per_batch_do_not_depend_on_its_size(email_on, per_user):
    counts = []
    batch.deliver_due()  # nothing due: warms the flag cache, so both measurements start alike
    for size in (2, 40):
        _digests(size, per_user)
        with time_machine.travel(FIVE_PM, tick=False), CaptureQueriesContext(connection) as ctx:
            assert batch.deliver_instant(Cadence.DAILY, FIVE_PM) == {"sent": size}
        counts.append(len(ctx.captured_queries))
        DigestSchedule.objects.update(state=State.SENT)
    # Read the ids (and the empty next read), claim, read schedules with users, rows, stored choices, then mark in
    # one transaction: lock the owned schedules, their state, the rows (a savepoint pair inside the test's).
    assert counts == [11, 11]
    assert len(mail.outbox) == 42
    assert Notification.objects.filter(email_sent_on__isnull=True).count() == 0


def test_a_mixed_batch_ends_each_schedule_in_its_own_state(email_on, settings):
    sent, opted_out, inactive, no_address, empty = _digests(5)
    set_settings(opted_out, email_opt_out=True)
    inactive.is_active = False
    inactive.save()
    no_address.email = ""
    no_address.save()
    Notification.objects.filter(user=empty).delete()
    with time_machine.travel(FIVE_PM, tick=False):
        assert batch.deliver_due() == {"sent": 1, "empty": 4}
    assert [m.to for m in mail.outbox] == [[sent.email]]
    notes = dict(DigestSchedule.objects.values_list("user_id", "last_error"))
    assert notes == {
        sent.pk: "",
        opted_out.pk: "nothing to send",
        inactive.pk: "inactive user",
        no_address.pk: "user has no email address",
        empty.pk: "nothing to send",
    }
    # The opted-out user's rows are dropped for good; the others' stay unsent for a later digest.
    assert not Notification.objects.filter(user=opted_out, email=True).exists()
    assert Notification.objects.filter(user=inactive, email=True, email_sent_on__isnull=True).count() == 3
    assert Notification.objects.filter(user=sent, email_sent_on=FIVE_PM).count() == 3


def test_stored_choices_of_each_user_decide_their_rows(email_on):
    keeps, stops = _digests(2)
    set_cadence(stops, "Daily")
    from platform_notifications.models import NotificationPreference

    NotificationPreference.objects.filter(user=stops).update(email=False)
    with time_machine.travel(FIVE_PM, tick=False):
        assert batch.deliver_due() == {"sent": 1, "empty": 1}
    assert [m.to for m in mail.outbox] == [[keeps.email]]


def test_one_failed_send_leaves_the_rest_of_the_batch_sent(email_on, monkeypatch):
    from platform_notifications import tasks

    retries = []
    monkeypatch.setattr(tasks.deliver_email_schedule, "apply_async", lambda args=None, **kw: retries.append(args))
    users = _digests(3)
    failing = users[1].email
    original = mail.EmailMessage.send

    def send(message, fail_silently=False):
        if message.to == [failing]:
            raise OSError("connection reset")
        return original(message, fail_silently)

    monkeypatch.setattr(mail.EmailMessage, "send", send)
    with time_machine.travel(FIVE_PM, tick=False):
        assert batch.deliver_due() == {"sent": 2, "pending": 1}
    failed = DigestSchedule.objects.get(user=users[1])
    assert (failed.state, failed.attempts, failed.retry_at) == (State.PENDING, 1, FIVE_PM + timedelta(minutes=5))
    assert retries == [[failed.pk]]
    assert Notification.objects.filter(user=users[1], email_sent_on__isnull=True).count() == 3
    assert Notification.objects.filter(email_sent_on__isnull=False).count() == 6


def test_a_claim_taken_over_as_stale_is_left_to_its_new_owner(email_on, monkeypatch):
    """A worker whose claim was taken over mid-batch marks nothing of that schedule."""
    (user,) = _digests(1)
    original = batch._finish

    def late_finish(marks, claimed_at):
        DigestSchedule.objects.update(claimed_at=claimed_at + timedelta(minutes=31))  # another worker's claim now
        return original(marks, claimed_at)

    monkeypatch.setattr(batch, "_finish", late_finish)
    with time_machine.travel(FIVE_PM, tick=False):
        assert batch.deliver_due() == {}
    assert DigestSchedule.objects.get().state == State.SENDING
    assert Notification.objects.filter(user=user, email_sent_on__isnull=True).count() == 3


def test_only_the_earliest_open_schedule_of_a_user_is_claimed(email_on):
    user = UserFactory()
    later = DigestSchedule.objects.create(user=user, cadence="Daily", delivery_time=FIVE_PM)
    earlier = DigestSchedule.objects.create(user=user, cadence="Daily", delivery_time=FIVE_PM - timedelta(days=1))
    NotificationFactory(user=user, email=True, email_cadence="Daily", created=FIVE_PM - timedelta(days=2))
    with time_machine.travel(FIVE_PM, tick=False):
        from platform_notifications.channels.email import digest

        assert digest.claim(later.pk, FIVE_PM) is False  # the earlier one is open
        assert digest.claim(earlier.pk, FIVE_PM) is True
        assert digest.claim(later.pk, FIVE_PM) is False  # and now being sent


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's planner")
def test_the_sibling_check_of_a_claim_uses_the_user_index(email_on):
    """Thousands of pending schedules: the claim must look up each one's siblings by user, not walk them all."""
    users = _digests(3)
    from platform_notifications.channels.email import digest

    ids = list(DigestSchedule.objects.values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as ctx:
        digest.claim_many(ids, FIVE_PM)
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {ctx.captured_queries[0]['sql']}")
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "CORRELATED" in plan and "pn_digest_state_time" not in plan.split("CORRELATED")[-1], plan
    assert len(users) == 3
