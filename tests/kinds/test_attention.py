"""Attention: minimum levels per channel, muted threads, role defaults from groups and the precedence chain, and
the fixed queries of a chunk with all of it in play (do-not-disturb, quiet hours and CRITICAL: ``test_holds``);
time frozen or moved with time-machine."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from platform_notifications import service
from platform_notifications.channels.email import batch
from platform_notifications.inbox import counts
from platform_notifications.models import (
    DeliveryAttempt,
    Notification,
    NotificationPreference,
    ThreadEvent,
    ThreadMute,
    UserNotificationSettings,
)
from tests.factories import UserFactory
from tests.kinds.conftest import ALERT

DIGEST = "reports.weekly_numbers"


def own(user, **values):
    UserNotificationSettings.objects.update_or_create(user=user, defaults=values)


def alert(committed, users, title="API down", level="error", data=None, **kw):
    return committed(
        service.send, ALERT, {"users": list(users)}, title=title, level=level, event_data=data or {"id": 1}, **kw
    )


def quiet(user, zone, start="22:00", end="07:00"):
    own(user, timezone=zone, quiet_hours_start=time.fromisoformat(start), quiet_hours_end=time.fromisoformat(end))


def counted(user) -> int:
    return sum(counts.query_unseen_by_app(user.pk).values())


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


#: Savepoint, lock, active users, the stored preferences, the email opt-outs, role defaults, the thread's mutes,
#: the attention settings, the thread's locked read (SQLite has no row locks: one query), one INSERT, the live
#: events' INSERT, the email channel's savepoint pair around the covered users' read and the schedules' INSERT
#: (an alert is emailed immediately: no time zones to read), one read of the push devices, one of the webhook
#: and Slack endpoints, cursor, release.
PER_CHUNK_WITH_ATTENTION = 19
