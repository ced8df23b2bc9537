"""Attention that holds interruptions: do-not-disturb (digests and immediate email held, then released),
quiet hours (across midnight and a daylight-saving change, sent together at the end once; push summarised), and
CRITICAL passing both; time frozen or moved with time-machine."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from platform_notifications import service
from platform_notifications.channels import dispatch
from platform_notifications.channels.email import batch
from platform_notifications.models import DeliveryAttempt, DigestSchedule, Notification
from platform_notifications.preferences import attention
from tests.factories import UserFactory
from tests.kinds.test_attention import DIGEST, alert, own, quiet

# --- do not disturb ------------------------------------------------------------------------------------------


@pytest.fixture
def digest_kind(register_kind):
    return register_kind(DIGEST, "Weekly numbers", email_cadence="Daily")


def test_do_not_disturb_holds_digests_and_immediate_email_until_it_ends(
    db, on, alert_kind, digest_kind, committed, settings
):
    settings.NOTIFICATION_DAILY_DIGEST_DELIVERY_HOUR = 17
    user = UserFactory()
    start = datetime(2026, 6, 1, 16, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        own(user, do_not_disturb="1d", do_not_disturb_until=start + timedelta(days=1))
        committed(service.send, DIGEST, {"users": [user]}, title="Numbers are in")
        alert(committed, [user], "API down")
        assert mail.outbox == []  # the immediate email was held at once
        stored = Notification.objects.filter(user=user).count()
        assert stored == 2  # stored and listed, silently
    with time_machine.travel(datetime(2026, 6, 1, 17, 0, 30, tzinfo=UTC), tick=False):
        batch.deliver_due()
        assert mail.outbox == []  # the daily digest was due during do-not-disturb: it waits
        held = DigestSchedule.objects.filter(user=user, state="pending")
        assert {s.delivery_time for s in held} == {start + timedelta(days=1)}
        assert all(s.last_error.startswith(attention.HELD_NOTE) for s in held)
    with time_machine.travel(start + timedelta(days=1, seconds=1), tick=False):
        batch.deliver_due()
        subjects = sorted(m.subject for m in mail.outbox)
        assert len(subjects) == 2 and any("API down" in s for s in subjects)
        batch.deliver_due()
        assert len(mail.outbox) == 2  # once


def test_ending_do_not_disturb_releases_what_it_held(db, on, alert_kind, committed, client):
    user = UserFactory()
    client.force_login(user)
    response = client.patch(
        "/api/notifications/user-settings/", {"do_not_disturb": "forever"}, content_type="application/json"
    )
    assert response.json()["do_not_disturb"] == "forever" and response.json()["do_not_disturb_until"] is None
    alert(committed, [user], "API down")
    assert mail.outbox == []
    assert DigestSchedule.objects.filter(user=user, delivery_time=attention.DND_FOREVER).exists()
    response = committed(
        client.patch, "/api/notifications/user-settings/", {"do_not_disturb": None}, content_type="application/json"
    )
    assert response.json()["do_not_disturb"] is None
    assert len(mail.outbox) == 1 and "API down" in mail.outbox[0].subject


# --- quiet hours ---------------------------------------------------------------------------------------------


def test_quiet_hours_across_midnight_send_everything_together_at_the_end_once(db, on, alert_kind, committed):
    user = UserFactory()
    quiet(user, "Europe/Paris")
    paris = ZoneInfo("Europe/Paris")
    with time_machine.travel(datetime(2026, 6, 1, 23, 30, tzinfo=paris), tick=False):
        alert(committed, [user], "API down", data={"id": 1})
        assert mail.outbox == []
    with time_machine.travel(datetime(2026, 6, 2, 2, 0, tzinfo=paris), tick=False):
        alert(committed, [user], "Disk full", data={"id": 2})
        batch.deliver_due()  # the buffer schedule comes due inside the window: merged into the held one
        assert mail.outbox == []
    end = datetime(2026, 6, 2, 7, 0, tzinfo=paris)
    assert set(DigestSchedule.objects.filter(user=user, state="pending").values_list("delivery_time", flat=True)) == {
        end
    }
    with time_machine.travel(end - timedelta(minutes=1), tick=False):
        batch.deliver_due()
        assert mail.outbox == []
    with time_machine.travel(end + timedelta(seconds=1), tick=False):
        batch.deliver_due()
        batch.deliver_due()
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "API down" in body and "Disk full" in body


def test_outside_quiet_hours_email_goes_at_once(db, on, alert_kind, committed):
    user = UserFactory()
    quiet(user, "Europe/Paris")
    with time_machine.travel(datetime(2026, 6, 1, 12, 0, tzinfo=ZoneInfo("Europe/Paris")), tick=False):
        alert(committed, [user])
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("evening", "end_utc"),
    [
        # Clocks go back on 1 November 2026 at 02:00 (EDT -4 -> EST -5): 07:00 is 12:00 UTC, not 11:00.
        (datetime(2026, 10, 31, 23, 0), datetime(2026, 11, 1, 12, 0, tzinfo=UTC)),
        # Clocks go forward on 8 March 2026 at 02:00 (EST -5 -> EDT -4): 07:00 is 11:00 UTC, not 12:00.
        (datetime(2026, 3, 7, 23, 0), datetime(2026, 3, 8, 11, 0, tzinfo=UTC)),
    ],
)
def test_quiet_hours_end_at_local_time_across_a_daylight_saving_change(db, on, alert_kind, committed, evening, end_utc):
    user = UserFactory()
    quiet(user, "America/New_York")
    with time_machine.travel(evening.replace(tzinfo=ZoneInfo("America/New_York")), tick=False):
        alert(committed, [user])
    # The held email waits for the window's end (the immediate buffer's schedule is merged into it when due).
    assert end_utc in set(
        DigestSchedule.objects.filter(user=user, state="pending").values_list("delivery_time", flat=True)
    )
    with time_machine.travel(end_utc - timedelta(minutes=30), tick=False):
        batch.deliver_due()
    assert mail.outbox == []
    with time_machine.travel(end_utc + timedelta(seconds=1), tick=False):
        batch.deliver_due()
        batch.deliver_due()
    assert len(mail.outbox) == 1


def test_quiet_end_arithmetic():
    tz = ZoneInfo("Europe/Paris")
    start, end = time(22, 0), time(7, 0)
    assert attention.quiet_end(start, end, tz, datetime(2026, 6, 1, 21, 59, tzinfo=tz)) is None
    assert attention.quiet_end(start, end, tz, datetime(2026, 6, 1, 22, 0, tzinfo=tz)) == datetime(
        2026, 6, 2, 7, 0, tzinfo=tz
    )
    assert attention.quiet_end(start, end, tz, datetime(2026, 6, 2, 6, 59, tzinfo=tz)) == datetime(
        2026, 6, 2, 7, 0, tzinfo=tz
    )
    assert attention.quiet_end(start, end, tz, datetime(2026, 6, 2, 7, 0, tzinfo=tz)) is None
    # A window inside one day.
    assert attention.quiet_end(time(12, 0), time(14, 0), tz, datetime(2026, 6, 2, 13, 0, tzinfo=tz)) == datetime(
        2026, 6, 2, 14, 0, tzinfo=tz
    )
    # Do-not-disturb ending inside quiet hours waits for the window's end.
    dnd = datetime(2026, 6, 1, 23, 0, tzinfo=tz)
    assert attention.hold_end(dnd, start, end, tz, datetime(2026, 6, 1, 20, 0, tzinfo=tz)) == datetime(
        2026, 6, 2, 7, 0, tzinfo=tz
    )
    assert attention.hold_end(dnd, start, end, tz, datetime(2026, 6, 1, 20, 0, tzinfo=tz), quiet_hours=False) == dnd


def test_push_in_quiet_hours_is_held_then_sent_as_one_summary(db, on, push_alert_kind, committed, devices, settings):
    settings.NOTIFICATIONS_THROTTLE = None
    user = UserFactory()
    devices(user)
    quiet(user, "Europe/Paris")
    paris = ZoneInfo("Europe/Paris")
    end = datetime(2026, 6, 2, 7, 0, tzinfo=paris)
    with time_machine.travel(datetime(2026, 6, 1, 23, 0, tzinfo=paris), tick=False):
        alert(committed, [user], "one", data={"id": 1})
        alert(committed, [user], "two", data={"id": 2})
    held = DeliveryAttempt.objects.filter(channel="push", user=user)
    assert set(held.values_list("status", "scheduled_at")) == {("held", end)}
    with time_machine.travel(end + timedelta(seconds=1), tick=False):
        dispatch.sweep()
    summary = DeliveryAttempt.objects.get(channel="push", user=user, kind="summary")
    assert summary.payload == {"count": 2}
    assert set(held.exclude(kind="summary").values_list("status", flat=True)) == {"summarized"}


# --- CRITICAL ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("setting", ["dnd", "quiet"])
def test_critical_passes_do_not_disturb_and_quiet_hours(db, on, push_alert_kind, committed, devices, settings, setting):
    settings.NOTIFICATIONS_THROTTLE = None
    user = UserFactory()
    devices(user)
    paris = ZoneInfo("Europe/Paris")
    night = datetime(2026, 6, 1, 23, 0, tzinfo=paris)
    with time_machine.travel(night, tick=False):
        if setting == "dnd":
            own(user, do_not_disturb="forever", do_not_disturb_until=attention.DND_FOREVER)
        else:
            quiet(user, "Europe/Paris")
        alert(committed, [user], "Datacenter on fire", priority=service.Priority.CRITICAL)
        alert(committed, [user], "Disk at 80%", data={"id": 2})
    assert [m.subject for m in mail.outbox if "fire" in m.subject] and len(mail.outbox) == 1
    statuses = dict(DeliveryAttempt.objects.filter(channel="push").values_list("notification__title", "status"))
    assert statuses["Datacenter on fire"] != "held" and statuses["Disk at 80%"] == "held"
