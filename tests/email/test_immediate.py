"""Immediate cadence: the first email at once, later ones buffered until the buffer closes; whole audiences."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from platform_notifications import tasks
from platform_notifications.models import DigestSchedule, Notification
from tests.email.conftest import utc
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("email_on"),
]

NOON = utc(2026, 5, 4, 12, 0)


@pytest.fixture
def immediate(settings):
    settings.NOTIFICATION_APPS_OVERRIDE = {"discussion": {"email_cadence": "Immediately"}}


def post(n):
    return {"replier_name": f"Replier{n}", "post_title": f"Post {n}"}


def run_instant(cadence, when):
    return tasks.deliver_email_instant.apply(args=[cadence, when.isoformat()]).get()


def test_first_email_at_once_then_one_buffered_email_when_the_buffer_closes(send, immediate):
    user = UserFactory()
    close = NOON + timedelta(minutes=15)
    with time_machine.travel(NOON, tick=False) as clock:
        send([user.pk], context=post(1))
        assert [m.subject for m in mail.outbox] == ["Replier1 replied to your post Post 1"]
        clock.move_to(NOON + timedelta(minutes=5))
        send([user.pk], context=post(2))
        clock.move_to(NOON + timedelta(minutes=10))
        send([user.pk], context=post(3))
        assert len(mail.outbox) == 1  # buffered
        clock.move_to(close)
        assert run_instant("Immediately", close) == {"sent": 1}
        buffered = mail.outbox[1]
        assert buffered.subject == "You have 2 new notifications"
        assert "Post 2" in buffered.body and "Post 3" in buffered.body and "Post 1" not in buffered.body
        # The buffer is closed: the next notification goes out at once again.
        clock.move_to(close + timedelta(minutes=1))
        send([user.pk], context=post(4))
    assert [m.subject for m in mail.outbox][2] == "Replier4 replied to your post Post 4"
    assert Notification.objects.filter(email_sent_on__isnull=True).count() == 0


def test_buffer_with_nothing_new_sends_nothing(send, immediate):
    user = UserFactory()
    close = NOON + timedelta(minutes=15)
    with time_machine.travel(NOON, tick=False) as clock:
        send([user.pk], context=post(1))
        clock.move_to(close)
        assert run_instant("Immediately", close) == {"empty": 1}
    assert len(mail.outbox) == 1


def test_every_recipient_of_a_large_audience_gets_their_email(send, immediate, settings):
    settings.NOTIFICATION_CREATION_BATCH_SIZE = 3
    users = UserFactory.create_batch(10)
    with time_machine.travel(NOON, tick=False):
        send([u.pk for u in users])
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in users)
    assert DigestSchedule.objects.filter(delivery_time=NOON, state="sent").count() == 10


def test_no_buffer_means_every_notification_at_once(send, immediate, settings):
    settings.NOTIFICATION_IMMEDIATE_EMAIL_BUFFER_MINUTES = 0
    user = UserFactory()
    with time_machine.travel(NOON, tick=False) as clock:
        send([user.pk], context=post(1))
        clock.move_to(NOON + timedelta(minutes=1))
        send([user.pk], context=post(2))
    assert len(mail.outbox) == 2


def test_email_flag_off_sends_nothing(send, immediate, flags):
    flags("notifications.enable_email_notifications", active_value=False)
    user = UserFactory()
    with time_machine.travel(NOON, tick=False):
        send([user.pk])
    assert mail.outbox == []
    assert not DigestSchedule.objects.exists()


def test_grouped_activity_is_emailed_with_its_latest_content(send, flags, queued):
    flags("notifications.enable_notification_grouping")
    user = UserFactory()
    five = utc(2026, 5, 4, 17, 0)
    tomorrow = utc(2026, 5, 5, 17, 0)
    with time_machine.travel(NOON, tick=False) as clock:
        send([user.pk], context={**post(1), "group_by_id": "thread-1"})
        clock.move_to(five)
        run_instant("Daily", five)
        assert len(mail.outbox) == 1
        # Another reply in the same thread folds into the (still unseen) row: it is emailed again, updated.
        clock.move_to(five + timedelta(hours=1))
        send([user.pk], context={**post(2), "group_by_id": "thread-1"})
        assert Notification.objects.count() == 1
        assert queued[-1]["eta"] == tomorrow
        clock.move_to(tomorrow)
        assert run_instant("Daily", tomorrow) == {"sent": 1}
    body = mail.outbox[1].body
    assert "Replier2" in body and "other" in body
