"""Admin tools through the admin views (a superuser): capped counts, filters, search, actions, effective preferences."""

from __future__ import annotations

import uuid
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from platform_notifications import admin as pn_admin
from platform_notifications.core import queue
from platform_notifications.models import DigestSchedule, Notification, NotificationRequest, RefusedNotification
from platform_notifications.operations import explain
from tests.factories import NotificationFactory, PreferenceFactory, UserFactory

pytestmark = pytest.mark.django_db
BASE = "/admin/platform_notifications"


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def enqueued(monkeypatch):
    calls = []
    monkeypatch.setattr(queue, "enqueue", lambda name, args, **kw: calls.append((name, list(args))) or True)
    return calls


@pytest.fixture
def post_action(django_capture_on_commit_callbacks):
    """Run an admin action on ``ids``, with its after-commit work (the enqueues) run as a real commit would."""

    def run(client, url, action, ids):
        with django_capture_on_commit_callbacks(execute=True):
            data = {"action": action, ACTION_CHECKBOX_NAME: [str(pk) for pk in ids]}
            return client.post(url, data, follow=True)

    return run


@pytest.mark.parametrize("model", ["notification", "notificationrequest", "refusednotification", "digestschedule"])
def test_lists_open_and_never_count_the_whole_table(admin_client, model):
    NotificationFactory.create_batch(3)
    with CaptureQueriesContext(connection) as captured:
        assert admin_client.get(f"{BASE}/{model}/").status_code == 200
    counts = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counts, "the list shows a (capped) count"
    assert all("LIMIT" in sql.upper() for sql in counts), counts
    assert not [q for q in captured.captured_queries if "DISTINCT" in q["sql"].upper()]


def test_count_is_capped(admin_client, monkeypatch):
    monkeypatch.setattr(pn_admin.CappedCountPaginator, "cap", 2)
    NotificationFactory.create_batch(5)
    response = admin_client.get(f"{BASE}/notification/")
    assert response.context["cl"].result_count == 3  # cap + 1: "more than 2"


def test_filter_by_user_kind_state_and_time(admin_client):
    ana, bob = UserFactory(username="ana"), UserFactory(username="bob")
    mine = NotificationFactory(user=ana, notification_type="new_comment")
    NotificationFactory(user=ana, last_seen=timezone.now())
    NotificationFactory(user=bob, notification_type="new_comment")
    old = NotificationFactory(user=ana, notification_type="new_comment", created=timezone.now() - timedelta(days=40))

    def listed(query):
        return {row.pk for row in admin_client.get(f"{BASE}/notification/?{query}").context["cl"].result_list}

    assert listed("q=ana&type=new_comment&state=unseen") == {mine.pk, old.pk}
    since = urlencode({"created__gte": (timezone.now() - timedelta(days=1)).isoformat()})
    assert listed(f"user={ana.pk}&type=new_comment&state=unseen&{since}") == {mine.pk}
    assert listed("q=an") == set()  # exact username match only (index lookup)


def test_requeue_a_stuck_request(admin_client, enqueued, post_action):
    failed = NotificationRequest.objects.create(event_id=uuid.uuid4(), kind="users", state="failed", attempts=6)
    done = NotificationRequest.objects.create(event_id=uuid.uuid4(), kind="users", state="done")
    response = post_action(admin_client, f"{BASE}/notificationrequest/", "requeue", [failed.pk, done.pk])
    assert "Requeued 1 requests." in response.content.decode()
    failed.refresh_from_db()
    done.refresh_from_db()
    assert (failed.state, failed.attempts, done.state) == ("pending", 0, "done")
    assert enqueued == [(queue.FAN_OUT, [failed.pk])]


def test_retry_a_failed_schedule_and_resend_a_sent_one(admin_client, enqueued, post_action):
    user = UserFactory()
    now = timezone.now()
    failed = DigestSchedule.objects.create(
        user=user, cadence="Daily", delivery_time=now, state="failed", attempts=4, last_error="smtp"
    )
    sent = DigestSchedule.objects.create(
        user=user, cadence="Weekly", delivery_time=now - timedelta(days=1), state="sent", sent_at=now
    )
    in_it = NotificationFactory(user=user, email=True, email_sent_on=now)
    other = NotificationFactory(user=user, email=True, email_sent_on=now - timedelta(days=3))
    post_action(admin_client, f"{BASE}/digestschedule/", "retry_or_resend", [failed.pk, sent.pk])
    for schedule in (failed, sent):
        schedule.refresh_from_db()
        assert (schedule.state, schedule.attempts, schedule.last_error) == ("pending", 0, "")
    assert Notification.objects.get(pk=in_it.pk).email_sent_on is None
    assert Notification.objects.get(pk=other.pk).email_sent_on is not None
    assert sorted(enqueued) == sorted(
        [(queue.DELIVER_EMAIL_SCHEDULE, [failed.pk]), (queue.DELIVER_EMAIL_SCHEDULE, [sent.pk])]
    )


def test_purge_action_runs_the_retention_purge(admin_client, post_action):
    old = NotificationFactory(created=timezone.now() - timedelta(days=90))
    young = NotificationFactory()
    RefusedNotification.objects.create(source="x", reason="r", created=timezone.now() - timedelta(days=90))
    response = post_action(admin_client, f"{BASE}/notification/", "purge_now", [young.pk])
    assert "Purged: 1 notifications" in response.content.decode()
    assert list(Notification.objects.values_list("pk", flat=True)) == [young.pk]
    assert not Notification.objects.filter(pk=old.pk).exists()
    assert not RefusedNotification.objects.exists()


def test_learners_cannot_reach_the_admin(client):
    client.force_login(UserFactory())
    assert client.get(f"{BASE}/notificationpreference/effective/").status_code == 302  # to the admin login


@override_settings(
    NOTIFICATION_TYPES_OVERRIDE={
        "ora_reminder": {"email_cadence": "Weekly"},
        "ora_grade_assigned": {"non_editable": ["web"]},
    }
)
def test_effective_preferences_page_explains_each_channel(admin_client):
    user = UserFactory(username="learner")
    PreferenceFactory(user=user, app_name="discussion", notification_type="grouped_notification", web=False)
    PreferenceFactory(user=user, app_name="grading", notification_type="*", email=False)
    response = admin_client.get(f"{BASE}/notificationpreference/effective/?username=learner")
    assert response.status_code == 200
    rows = {(r.app_name, r.preference_key): r for r in response.context["rows"]}
    assert rows[("discussion", "grouped_notification")].cells["web"] == explain.Cell(False, explain.STORED)
    assert rows[("grading", "ora_reminder")].cells["email"] == explain.Cell(False, explain.APP_WIDE)
    assert rows[("grading", "ora_reminder")].cells["email_cadence"].source.startswith(explain.OVERRIDE)
    assert rows[("grading", "ora_reminder")].cells["email_cadence"].value == "Weekly"
    # Open edX locks push on a type's own row: the stored choices never reach it.
    assert rows[("grading", "ora_reminder")].cells["push"].source == explain.LOCKED
    PreferenceFactory(user=user, app_name="grading", notification_type="ora_grade_assigned", web=False)
    response = admin_client.get(f"{BASE}/notificationpreference/effective/?username=learner")
    rows = {(r.app_name, r.preference_key): r for r in response.context["rows"]}
    assert rows[("grading", "ora_grade_assigned")].cells["web"] == explain.Cell(True, explain.LOCKED)
    assert rows[("updates", "course_updates")].cells["web"].source == explain.DEFAULT
    assert "stored choice" in response.content.decode()


def test_explanations_agree_with_the_effective_preferences(temp_user_prefs):
    from platform_notifications.preferences import effective

    user = temp_user_prefs
    computed = effective.for_user(user.pk)
    for row in explain.explain(user.pk):
        eff = computed[(row.app_name, row.preference_key)]
        assert {name: cell.value for name, cell in row.cells.items()} == {
            "web": eff.web,
            "email": eff.email,
            "push": eff.push,
            "email_cadence": eff.email_cadence,
        }


@pytest.fixture
def temp_user_prefs():
    from platform_notifications.models import UserNotificationSettings

    user = UserFactory()
    PreferenceFactory(user=user, app_name="discussion", notification_type="grouped_notification", push=True)
    PreferenceFactory(user=user, app_name="grading", notification_type="ora_reminder", email_cadence="Weekly")
    UserNotificationSettings.objects.create(user=user, email_opt_out=True)
    return user


def test_unknown_username_is_reported(admin_client):
    response = admin_client.get(f"{BASE}/notificationpreference/effective/?username=nobody")
    assert "No user named" in response.content.decode()
