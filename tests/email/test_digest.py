"""Digest delivery: right time, exactly once, only its own cadence, retries, sweep after lost messages."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from platform_notifications import tasks
from platform_notifications.channels.email import batch, digest
from platform_notifications.models import DigestSchedule, Notification
from tests.email.conftest import set_cadence, set_settings, utc
from tests.factories import NotificationFactory, UserFactory

pytestmark = pytest.mark.django_db

MONDAY_NOON = utc(2026, 5, 4, 12, 0)
FIVE_PM = utc(2026, 5, 4, 17, 0)
State = DigestSchedule.State


def run_instant(cadence, when):
    return tasks.deliver_email_instant.apply(args=[cadence, when.isoformat()]).get()


def test_digest_goes_out_at_local_delivery_time_and_only_then(email_on, send, queued):
    user = UserFactory()
    set_settings(user, timezone="America/New_York")
    with time_machine.travel(MONDAY_NOON, tick=False) as clock:
        send([user.pk])
        send([user.pk], context={"replier_name": "Bo", "post_title": "Week 2"})
        local_five = utc(2026, 5, 4, 21, 0)
        assert [c["eta"] for c in queued] == [local_five]
        # An early run (clock skew, a broker ignoring the ETA) sends nothing and leaves the row.
        clock.move_to(local_five - timedelta(minutes=1))
        assert run_instant("Daily", local_five) == {"early": True}
        assert mail.outbox == []
        assert DigestSchedule.objects.get().state == State.PENDING
        clock.move_to(local_five)
        assert run_instant("Daily", local_five) == {"sent": 1}
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [user.email]
    assert message.subject == "Your daily digest: 2 new notifications"
    assert "Week 1" in message.body and "Week 2" in message.body
    schedule = DigestSchedule.objects.get()
    assert (schedule.state, schedule.sent_at) == (State.SENT, local_five)
    assert set(Notification.objects.values_list("email_sent_on", flat=True)) == {local_five}


def test_duplicate_tasks_send_once(email_on, send, queued):
    users = UserFactory.create_batch(3)
    with time_machine.travel(MONDAY_NOON, tick=False) as clock:
        send([u.pk for u in users])
        clock.move_to(FIVE_PM + timedelta(seconds=2))
        results = [run_instant("Daily", FIVE_PM) for _ in range(3)]
        call_command("send_due_digests", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert results[0] == {"sent": 3}
    assert results[1:] == [{}, {}]  # nothing pending left for the duplicates
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in users)


def test_claim_is_taken_once():
    user = UserFactory()
    row = DigestSchedule.objects.create(user=user, cadence="Daily", delivery_time=MONDAY_NOON)
    later = MONDAY_NOON + timedelta(minutes=1)
    assert digest.claim(row.pk, later) is True
    assert digest.claim(row.pk, later) is False
    # A claim whose worker died is taken over once it is stale, and again only by one.
    stale = later + digest.STALE_CLAIM + timedelta(seconds=1)
    assert digest.claim(row.pk, stale) is True
    assert digest.claim(row.pk, stale) is False


def test_daily_digest_leaves_other_cadences_untouched(email_on, send, queued):
    user = UserFactory()
    with time_machine.travel(MONDAY_NOON, tick=False) as clock:
        set_cadence(user, "Weekly", app_name="updates", key="course_updates")
        send([user.pk])  # discussion: Daily
        send([user.pk], notification_type="course_updates", app_name="updates", context={"course_update_content": "Hi"})
        clock.move_to(FIVE_PM)
        DigestSchedule.objects.filter(cadence="Weekly").update(delivery_time=FIVE_PM + timedelta(days=7))
        assert run_instant("Daily", FIVE_PM) == {"sent": 1}
    assert len(mail.outbox) == 1 and "Week 1" in mail.outbox[0].body and "Hi" not in mail.outbox[0].body
    weekly = Notification.objects.get(app_name="updates")
    assert (weekly.email_cadence, weekly.email_sent_on) == ("Weekly", None)
    assert DigestSchedule.objects.get(cadence="Weekly").state == State.PENDING


def test_notifications_after_the_delivery_time_wait_for_the_next_digest(email_on, queued):
    user = UserFactory()
    schedule = DigestSchedule.objects.create(user=user, cadence="Daily", delivery_time=FIVE_PM)
    NotificationFactory(user=user, email=True, email_cadence="Daily", created=FIVE_PM - timedelta(hours=1))
    late = NotificationFactory(user=user, email=True, email_cadence="Daily", created=FIVE_PM + timedelta(seconds=1))
    with time_machine.travel(FIVE_PM + timedelta(seconds=5), tick=False):
        assert digest.deliver(schedule.pk) == State.SENT
    late.refresh_from_db()
    assert late.email_sent_on is None
    assert mail.outbox[0].subject == "Your daily digest: 1 new notification"


def test_empty_digest_is_not_sent(email_on):
    user = UserFactory()
    schedule = DigestSchedule.objects.create(user=user, cadence="Daily", delivery_time=MONDAY_NOON)
    NotificationFactory(user=user, email=True, email_cadence="Weekly", created=MONDAY_NOON - timedelta(hours=1))
    with time_machine.travel(FIVE_PM, tick=False):
        assert digest.deliver(schedule.pk) == State.EMPTY
    assert mail.outbox == []
    assert DigestSchedule.objects.get().state == State.EMPTY


def test_unsubscribed_since_creation_is_not_emailed(email_on):
    user = UserFactory()
    schedule = DigestSchedule.objects.create(user=user, cadence="Daily", delivery_time=MONDAY_NOON)
    row = NotificationFactory(user=user, email=True, email_cadence="Daily", created=MONDAY_NOON - timedelta(hours=1))
    set_settings(user, email_opt_out=True)
    with time_machine.travel(FIVE_PM, tick=False):
        assert digest.deliver(schedule.pk) == State.EMPTY
    row.refresh_from_db()
    assert (row.email, row.email_sent_on, mail.outbox) == (False, None, [])


def test_failed_send_retries_with_backoff_then_is_recorded(email_on, settings, monkeypatch):
    queued_retries = []
    monkeypatch.setattr(
        tasks.deliver_email_schedule, "apply_async", lambda args=None, **kw: queued_retries.append(kw["eta"])
    )
    user = UserFactory()
    schedule = DigestSchedule.objects.create(user=user, cadence="Daily", delivery_time=FIVE_PM)
    row = NotificationFactory(user=user, email=True, email_cadence="Daily", created=MONDAY_NOON)
    settings.EMAIL_BACKEND = "tests.email.backends.FailingBackend"
    with time_machine.travel(FIVE_PM, tick=False) as clock:
        expected = FIVE_PM
        for attempt, minutes in enumerate((5, 10, 20), start=1):
            assert batch.deliver_due()["pending"] == 1
            schedule.refresh_from_db()
            expected += timedelta(minutes=minutes)
            assert (schedule.state, schedule.attempts, schedule.retry_at) == (State.PENDING, attempt, expected)
            assert "SMTPServerDisconnected" in schedule.last_error
            assert queued_retries[-1] == expected
            # Not before the backoff: the sweep leaves it alone.
            clock.move_to(expected - timedelta(seconds=1))
            assert batch.deliver_due() == {}
            clock.move_to(expected)
        assert batch.deliver_due()["failed"] == 1
    schedule.refresh_from_db()
    assert (schedule.state, schedule.attempts) == (State.FAILED, 4)
    assert "Connection unexpectedly closed" in schedule.last_error
    row.refresh_from_db()
    assert row.email_sent_on is None  # never marked sent


def test_retry_after_a_failure_does_resend(email_on, settings, monkeypatch):
    monkeypatch.setattr(tasks.deliver_email_schedule, "apply_async", lambda *a, **kw: None)
    user = UserFactory()
    schedule = DigestSchedule.objects.create(user=user, cadence="Daily", delivery_time=FIVE_PM)
    NotificationFactory(user=user, email=True, email_cadence="Daily", created=MONDAY_NOON)
    settings.EMAIL_BACKEND = "tests.email.backends.FailingBackend"
    with time_machine.travel(FIVE_PM, tick=False) as clock:
        assert digest.deliver(schedule.pk) == State.PENDING
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        clock.move_to(FIVE_PM + timedelta(minutes=5))
        assert tasks.deliver_email_schedule.apply(args=[schedule.pk]).get() == State.SENT
    assert len(mail.outbox) == 1
    assert Notification.objects.filter(email_sent_on__isnull=True).count() == 0


def test_sweep_delivers_after_lost_eta_messages(email_on, send, queued):
    users = UserFactory.create_batch(4)
    set_settings(users[0], timezone="Asia/Tokyo")
    with time_machine.travel(MONDAY_NOON, tick=False) as clock:
        send([u.pk for u in users])
        assert len(queued) == 2  # the broker "loses" these messages: nothing runs them
        clock.move_to(FIVE_PM + timedelta(minutes=3))
        out = __import__("io").StringIO()
        call_command("send_due_digests", stdout=out)
        # Tokyo's 17:00 is 08:00 UTC tomorrow: not due yet.
        assert "3 sent" in out.getvalue()
        assert tasks.send_due_digests.apply().get() == {}
        clock.move_to(utc(2026, 5, 5, 8, 0))
        assert tasks.send_due_digests.apply().get() == {"sent": 1}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in users)


def test_email_flag_off_at_delivery_keeps_schedules_pending(flags, queued):
    flags("notifications.enable_notifications")
    user = UserFactory()
    DigestSchedule.objects.create(user=user, cadence="Daily", delivery_time=MONDAY_NOON)
    NotificationFactory(user=user, email=True, email_cadence="Daily", created=MONDAY_NOON - timedelta(hours=1))
    with time_machine.travel(FIVE_PM, tick=False):
        assert batch.deliver_due() == {}
    assert mail.outbox == []
    assert DigestSchedule.objects.get().state == State.PENDING


def test_queries_per_digest_are_fixed(email_on):
    counts = []
    for size in (1, 30):
        user = UserFactory()
        schedule = DigestSchedule.objects.create(user=user, cadence="Daily", delivery_time=MONDAY_NOON)
        NotificationFactory.create_batch(
            size, user=user, email=True, email_cadence="Daily", created=MONDAY_NOON - timedelta(hours=1)
        )
        with time_machine.travel(FIVE_PM, tick=False), CaptureQueriesContext(connection) as ctx:
            assert digest.deliver(schedule.pk) == State.SENT
        counts.append(len(ctx.captured_queries))
    # claim (one conditional UPDATE), schedule+user+settings, rows, 2 preference reads, then mark schedule and
    # rows in one transaction (a savepoint and its release here, inside the test's transaction).
    assert counts[0] == counts[1] == 9


def test_two_due_schedules_of_one_user_never_send_the_same_rows_twice(email_on):
    """A schedule left over from an outage and the next day's are both due: only one may send at a time."""
    user = UserFactory()
    yesterday = DigestSchedule.objects.create(user=user, cadence="Daily", delivery_time=MONDAY_NOON - timedelta(days=1))
    today = DigestSchedule.objects.create(user=user, cadence="Daily", delivery_time=MONDAY_NOON)
    NotificationFactory.create_batch(
        2, user=user, email=True, email_cadence="Daily", created=MONDAY_NOON - timedelta(days=2)
    )
    with time_machine.travel(FIVE_PM, tick=False):
        # Another worker holds yesterday's schedule mid-send: today's claim is refused and stays pending.
        assert digest.claim(yesterday.pk, FIVE_PM - timedelta(minutes=1))
        assert digest.deliver(today.pk) == "skipped"
        assert mail.outbox == []
        assert DigestSchedule.objects.get(pk=today.pk).state == State.PENDING
    # That worker finishes; the sweep then delivers today's schedule with nothing left unsent.
    DigestSchedule.objects.filter(pk=yesterday.pk).update(state=State.PENDING, claimed_at=None)
    with time_machine.travel(FIVE_PM, tick=False):
        assert batch.deliver_due() == {"sent": 1, "empty": 1}
    assert len(mail.outbox) == 1
    assert Notification.objects.filter(email_sent_on__isnull=True).count() == 0
