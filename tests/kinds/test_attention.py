"""Attention: minimum levels per channel, muted threads, do-not-disturb, quiet hours (across midnight and DST),
CRITICAL passing them, role defaults from groups and the precedence chain; time frozen or moved with time-machine."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from platform_notifications import service
from platform_notifications.channels import dispatch
from platform_notifications.channels.email import batch
from platform_notifications.inbox import counts
from platform_notifications.models import (
    DeliveryAttempt,
    DigestSchedule,
    Notification,
    NotificationPreference,
    ThreadEvent,
    ThreadMute,
    UserNotificationSettings,
)
from platform_notifications.preferences import attention
from tests.factories import UserFactory
from tests.kinds.conftest import ALERT

DIGEST = "reports.weekly_numbers"


def own(user, **values):
    UserNotificationSettings.objects.update_or_create(user=user, defaults=values)


def alert(committed, users, title="API down", level="error", data=None, **kw):
    return committed(
        service.send, ALERT, {"users": list(users)}, title=title, level=level, event_data=data or {"id": 1}, **kw
    )


def counted(user) -> int:
    return sum(counts.query_unseen_by_app(user.pk).values())


@pytest.fixture
def push_alert_kind(register_kind):
    return register_kind(ALERT, "Health check", email_cadence="Immediately", push=True)


@pytest.fixture
def devices(db):
    from push_notifications.models import GCMDevice

    def _register(*users):
        for user in users:
            GCMDevice.objects.create(user=user, registration_id=f"token-{user.pk}", cloud_message_type="FCM")

    return _register


# --- levels ---------------------------------------------------------------------------------------------------


def test_each_channel_has_its_own_minimum_level(db, on, push_alert_kind, committed, devices, settings):
    settings.NOTIFICATIONS_THROTTLE = None
    plain, quiet_badge, few_emails, few_pushes = UserFactory.create_batch(4)
    own(quiet_badge, web_min_level="error")
    own(few_emails, email_min_level="error")
    own(few_pushes, push_min_level="error")
    devices(plain, quiet_badge, few_emails, few_pushes)
    alert(committed, [plain, quiet_badge, few_emails, few_pushes], level="warning")
    rows = {row.user_id: row for row in Notification.objects.all()}
    # Everyone's row is stored and listed (web on).
    assert all(row.web for row in rows.values()) and len(rows) == 4
    assert [counted(u) for u in (plain, quiet_badge, few_emails, few_pushes)] == [1, 0, 1, 1]
    assert sorted(m.to[0] for m in mail.outbox) == sorted([plain.email, quiet_badge.email, few_pushes.email])
    assert (rows[few_emails.pk].email, rows[few_pushes.pk].push) == (False, False)
    pushed = set(DeliveryAttempt.objects.filter(channel="push").values_list("user_id", flat=True))
    assert pushed == {plain.pk, quiet_badge.pk, few_emails.pk}
    # An ERROR passes every minimum.
    mail.outbox.clear()
    alert(committed, [few_emails], level="error", data={"id": 2})
    assert [m.to for m in mail.outbox] == [[few_emails.email]]


def test_the_tray_list_shows_what_the_count_leaves_out(db, on, alert_kind, committed, client):
    user = UserFactory()
    own(user, web_min_level="warning")
    alert(committed, [user], level="info")
    client.force_login(user)
    listed = client.get("/api/notifications/").json()
    assert [item["title"] for item in listed["results"]] == ["API down"]
    assert client.get("/api/notifications/unread-count/").json() == {"count": 0}
    assert client.get("/api/notifications/count/").json()["count"] == 0
    # The level applies when counted, not when stored: lowering the minimum brings the row back to the count.
    response = client.patch(
        "/api/notifications/user-settings/", {"web_min_level": "INFO"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert client.get("/api/notifications/count/").json()["count"] == 1
    assert client.get("/api/notifications/unread-count/").json() == {"count": 1}


def test_open_edx_types_are_info(db, all_flags_on, send):
    learner, picky = UserFactory.create_batch(2)
    own(picky, web_min_level="warning", email_min_level="warning")
    send([learner.pk, picky.pk])
    rows = {row.user_id: row for row in Notification.objects.all()}
    assert rows[learner.pk].level == rows[picky.pk].level == "info"
    assert rows[picky.pk].email is False and rows[learner.pk].email is True
    assert (counted(learner), counted(picky)) == (1, 0)


# --- mute ----------------------------------------------------------------------------------------------------


def test_a_muted_thread_records_occurrences_but_does_not_reopen_email_or_count(db, on, alert_kind, committed):
    user = UserFactory()
    alert(committed, [user], "API down")
    row = Notification.objects.get(user=user)
    Notification.objects.filter(pk=row.pk).update(last_read=timezone.now(), last_seen=timezone.now())
    mail.outbox.clear()
    service.mute(user, ALERT, {"id": 1}, "8h")
    alert(committed, [user], "API down again")
    row.refresh_from_db()
    assert (row.occurrences, row.title) == (2, "API down again")
    assert row.last_read is not None  # not re-opened
    assert ThreadEvent.objects.filter(thread_key=row.thread_key).count() == 2
    assert mail.outbox == []
    assert counted(user) == 0
    # Once the mute ends, the next occurrence re-opens the thread and emails it.
    with time_machine.travel(timezone.now() + timedelta(hours=8, minutes=1), tick=False):
        alert(committed, [user], "API down a third time")
        row.refresh_from_db()
        assert row.last_read is None and row.occurrences == 3
        assert counted(user) == 1
        assert row.email and row.email_sent_on is None  # owed an email: it goes when the immediate buffer closes
    with time_machine.travel(timezone.now() + timedelta(hours=8, minutes=30), tick=False):
        batch.deliver_due()
    assert ["API down a third time" in m.subject for m in mail.outbox] == [True]


def test_muting_ahead_of_the_first_occurrence_stores_it_silently(db, on, alert_kind, committed):
    muted, other = UserFactory.create_batch(2)
    service.mute(muted, ALERT, {"id": 1})
    alert(committed, [muted, other])
    rows = {row.user_id: row for row in Notification.objects.all()}
    assert rows[muted.pk].web and not rows[muted.pk].email
    assert [m.to for m in mail.outbox] == [[other.email]]
    assert (counted(muted), counted(other)) == (0, 1)
    assert service.unmute(muted, ALERT, {"id": 1}) is True
    assert counted(muted) == 1
    assert not ThreadMute.objects.exists()


def test_a_mute_applies_to_its_thread_only(db, on, alert_kind, committed):
    user = UserFactory()
    service.mute(user, ALERT, {"id": 1})
    alert(committed, [user], "one", data={"id": 1})
    alert(committed, [user], "two", data={"id": 2})
    assert [m.subject for m in mail.outbox if "two" in m.subject] and not [m for m in mail.outbox if "one" in m.subject]
    assert counted(user) == 1


def test_service_mute_refuses_an_unknown_duration(db, alert_kind):
    user = UserFactory()
    with pytest.raises(ValueError, match="unknown duration"):
        service.mute(user, ALERT, {"id": 1}, "2h")
    assert not ThreadMute.objects.exists()


def test_the_cached_count_ends_with_a_timed_mute(db, on, alert_kind, committed):
    user = UserFactory()
    alert(committed, [user])
    service.mute(user, ALERT, {"id": 1}, "8h")
    assert counts.unseen_by_app(user.pk) == {}
    with time_machine.travel(timezone.now() + timedelta(hours=8, seconds=5), tick=False):
        # The entry was cached for at most the mute's remaining time: the row counts again once it ends.
        from django.core.cache import caches

        cache = caches["default"]
        entry = cache.get(counts._counts_key(user.pk))
        assert entry is None or counts.query_unseen_by_app(user.pk) == {"alerts": 1}
        assert counts.query_unseen_by_app(user.pk) == {"alerts": 1}


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


def quiet(user, zone, start="22:00", end="07:00"):
    own(user, timezone=zone, quiet_hours_start=time.fromisoformat(start), quiet_hours_end=time.fromisoformat(end))


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


# --- role defaults and precedence ----------------------------------------------------------------------------


@pytest.fixture
def report_kind(register_kind):
    # Email off by default: a role turns it on.
    return register_kind("reports.month_end", "Month end", email=False, email_cadence="Immediately")


def test_role_defaults_from_several_groups(db, on, report_kind, committed, settings):
    settings.NOTIFICATION_ROLE_DEFAULTS = {
        "finance": {"reports.month_end": {"email": True}},
        "auditors": {"reports.month_end": {"email": False, "web": False}},
        "sales": {"other.kind": {"email": True}},
    }
    finance, auditors = Group.objects.create(name="finance"), Group.objects.create(name="auditors")
    Group.objects.create(name="sales")
    both, audit_only, finance_only, nobody = UserFactory.create_batch(4)
    both.groups.add(finance, auditors)
    audit_only.groups.add(auditors)
    finance_only.groups.add(finance)
    committed(service.send, "reports.month_end", {"users": [both, audit_only, finance_only, nobody]}, title="Close")
    rows = {row.user_id: (row.web, row.email) for row in Notification.objects.all()}
    # A channel is on if any of the user's groups turns it on (email: finance), off if the groups naming it turn
    # it off (web: auditors only); channels no group names keep the kind's default.
    assert rows[both.pk] == (False, True)
    assert audit_only.pk not in rows  # web and email off by role: nothing to deliver
    assert rows[finance_only.pk] == (True, True)
    assert rows[nobody.pk] == (True, False)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([both.email, finance_only.email])


def test_precedence_stored_choice_then_role_then_override_then_kind_default(db, on, report_kind, committed, settings):
    type_name = service.registry.get("reports.month_end").type_name
    settings.NOTIFICATION_ROLE_DEFAULTS = {"finance": {"reports.month_end": {"email": True}}}
    finance = Group.objects.create(name="finance")
    chose_off, by_role, by_override = UserFactory.create_batch(3)
    chose_off.groups.add(finance)
    by_role.groups.add(finance)
    NotificationPreference.objects.create(user=chose_off, app_name="reports", notification_type=type_name, email=False)
    settings.NOTIFICATION_TYPES_OVERRIDE = {type_name: {"email": False}}
    committed(service.send, "reports.month_end", {"users": [chose_off, by_role, by_override]}, title="Close")
    rows = dict(Notification.objects.values_list("user_id", "email"))
    assert rows == {chose_off.pk: False, by_role.pk: True, by_override.pk: False}
    Notification.objects.all().delete()
    # The override over the kind's default (email off): on for everyone without a role or a choice.
    settings.NOTIFICATION_TYPES_OVERRIDE = {type_name: {"email": True}}
    settings.NOTIFICATION_ROLE_DEFAULTS = {"finance": {"reports.month_end": {"email": False}}}
    committed(service.send, "reports.month_end", {"users": [chose_off, by_role, by_override]}, title="Again")
    rows = dict(Notification.objects.values_list("user_id", "email"))
    assert rows == {chose_off.pk: False, by_role.pk: False, by_override.pk: True}
    Notification.objects.all().delete()
    settings.NOTIFICATION_TYPES_OVERRIDE = {}
    settings.NOTIFICATION_ROLE_DEFAULTS = {}
    committed(service.send, "reports.month_end", {"users": [by_override]}, title="Default")
    assert Notification.objects.get().email is False


def test_role_defaults_hold_at_digest_time(db, on, register_kind, committed, settings):
    register_kind("reports.daily_close", "Daily close", email=False, email_cadence="Daily")
    settings.NOTIFICATION_ROLE_DEFAULTS = {"finance": {"reports.daily_close": {"email": True}}}
    user = UserFactory()
    user.groups.add(Group.objects.create(name="finance"))
    committed(service.send, "reports.daily_close", {"users": [user]}, title="Closed")
    assert Notification.objects.get().email is True
    with time_machine.travel(timezone.now() + timedelta(days=1, hours=1), tick=False):
        batch.deliver_due()
    # The digest re-checks preferences at send time: the role's email still applies.
    assert [m.to for m in mail.outbox] == [[user.email]]


def test_role_defaults_configuration_is_checked(settings):
    from platform_notifications.preferences import role_defaults

    settings.NOTIFICATION_ROLE_DEFAULTS = {"finance": {"reports.month_end": {"mail": True, "web": "yes"}}}
    assert role_defaults.problems()
    settings.NOTIFICATION_ROLE_DEFAULTS = {"finance": {"reports.month_end": {"email": True}}}
    assert role_defaults.problems() == []


# --- speed: fixed queries per chunk with attention in play ---------------------------------------------------


def test_attention_costs_fixed_queries_per_chunk(db, on, alert_kind, settings, django_capture_on_commit_callbacks):
    """A tenth muted, a tenth in DND, a tenth in quiet hours, role defaults set: the same statements per chunk."""
    from platform_notifications.fanout import run

    settings.NOTIFICATION_CREATION_BATCH_SIZE = 10
    settings.NOTIFICATION_ROLE_DEFAULTS = {"ops": {ALERT: {"push": True}}}
    ops = Group.objects.create(name="ops")

    def queries_for(size, tag):
        members = UserFactory.create_batch(size)
        ops.user_set.add(*members[::3])
        for index, member in enumerate(members):
            if index % 10 == 1:
                service.mute(member, ALERT, {"id": tag})
            elif index % 10 == 2:
                own(member, do_not_disturb="1d", do_not_disturb_until=timezone.now() + timedelta(days=1))
            elif index % 10 == 3:
                quiet(member, "Europe/Paris", "00:00", "23:59")
            elif index % 10 == 4:
                own(member, email_min_level="error")
        with django_capture_on_commit_callbacks(execute=False):
            request = service.send(ALERT, {"users": members}, title="x", level="warning", event_data={"id": tag})
        with CaptureQueriesContext(connection) as queries:
            result = run.process_request(request.pk)
        assert result.created == size
        return len(queries), result.chunks

    queries_for(10, 0)  # warms the flag cache
    small, small_chunks = queries_for(20, 1)
    large, large_chunks = queries_for(60, 2)
    assert (small_chunks, large_chunks) == (2, 6)
    # Per chunk: the fixed statements of a thread send (test_service.test_fixed_queries_per_chunk), plus the
    # thread's mutes, the role defaults' aggregate, the thread lock and read; none grows with the chunk.
    per_chunk = (large - small) // 4
    assert large - small == 4 * per_chunk
    assert per_chunk == PER_CHUNK_WITH_ATTENTION


#: Savepoint, lock, the users' ids, active users, 2 preference reads, role defaults, the thread's mutes, the
#: attention settings, the thread's locked read (SQLite has no row locks: one query), one INSERT, the live events'
#: INSERT, the email channel's savepoint pair, the uncovered zones, the schedules' INSERT, webhook and Slack
#: endpoint reads, cursor, release.
PER_CHUNK_WITH_ATTENTION = 20
