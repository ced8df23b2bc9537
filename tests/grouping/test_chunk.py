"""``merge_chunk`` directly: the joined row's email state, what channels receive, and pinned query counts."""

import sqlite3

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from platform_notifications.channels import Channel
from platform_notifications.config import Cadence, registry, toggles
from platform_notifications.fanout import grouping
from platform_notifications.fanout import run as fanout
from platform_notifications.fanout.grouping import initial_context, merge_chunk
from platform_notifications.intake.outbox import SendSpec, build_request
from platform_notifications.models import Notification
from platform_notifications.preferences.effective import Effective
from tests.factories import COURSE, NotificationFactory, UserFactory

pytestmark = pytest.mark.django_db

NTYPE = registry.get_type("new_response")
WEB_ONLY = Effective(web=True, email=False, push=False, email_cadence=Cadence.DAILY)
IMMEDIATE = Effective(web=True, email=True, push=False, email_cadence=Cadence.IMMEDIATELY)


def request_from(replier, sender_id=None, group="post-1", url="/posts/1"):
    context = {"replier_name": replier, "post_title": "Week 1", "group_by_id": group}
    if sender_id is not None:
        context["sender_id"] = sender_id
    return build_request(
        SendSpec(
            app_name="discussion",
            notification_type=NTYPE.name,
            content_url=url,
            course_key=COURSE,
            context=context,
            user_ids=[1],
        )
    )


def existing_rows(user_list, replier="Ana", **fields):
    first = request_from(replier)
    return [
        NotificationFactory(user=user, group_by_id="post-1", content_context=initial_context(first, NTYPE), **fields)
        for user in user_list
    ]


def merge(request, prefs, *, email_on=False, push_on=False):
    return merge_chunk(request, NTYPE, prefs, timezone.now(), email_on=email_on, push_on=push_on)


@pytest.fixture
def grouping_flag(flags):
    flags("notifications.enable_notification_grouping")
    toggles.ENABLE_NOTIFICATION_GROUPING.is_enabled()  # warm waffle's cache: the pins count our queries only


def test_joined_row_is_owed_an_email_with_its_latest_state(grouping_flag):
    user = UserFactory()
    sent = timezone.now()
    (row,) = existing_rows(
        [user], web=True, email=True, email_cadence="Daily", email_scheduled=True, email_sent_on=sent
    )
    (merged,) = merge(request_from("Bob"), {user.pk: IMMEDIATE}, email_on=True)
    row.refresh_from_db()
    assert row.email_sent_on is None and row.email_scheduled is False
    assert (row.email, row.email_cadence) == (True, "Immediately")
    assert row.content_context["others_count"] == 1
    # What the email channel is handed is exactly the stored row.
    for field in ("pk", "email", "email_cadence", "email_sent_on", "content_context", "content_url", "created"):
        assert getattr(merged, field) == getattr(row, field), field


def test_email_fields_follow_the_enabled_channels(grouping_flag):
    user = UserFactory()
    (row,) = existing_rows([user], email=True, email_cadence="Daily")
    merge(request_from("Bob"), {user.pk: IMMEDIATE}, email_on=False)
    row.refresh_from_db()
    assert (row.email, row.email_cadence) == (False, "")


def test_rows_of_one_chunk_keep_their_own_state(grouping_flag):
    one, two = UserFactory.create_batch(2)
    existing_rows([one], replier="Ana")
    existing_rows([two], replier="Bob")
    merge(request_from("Bob"), {one.pk: IMMEDIATE, two.pk: WEB_ONLY}, email_on=True)
    first, second = Notification.objects.get(user=one), Notification.objects.get(user=two)
    assert (first.content_context["others_count"], first.email, first.email_cadence) == (1, True, "Immediately")
    assert (second.content_context["others_count"], second.email, second.email_cadence) == (0, False, "")


def test_flag_off_reads_nothing(flags, django_assert_num_queries):
    flags("notifications.enable_notification_grouping", active_value=False)
    toggles.ENABLE_NOTIFICATION_GROUPING.is_enabled()
    user = UserFactory()
    existing_rows([user])
    with django_assert_num_queries(0):
        assert list(merge(request_from("Bob"), {user.pk: WEB_ONLY})) == []


# SQLite has no row locks, so the user lock is one query on PostgreSQL and MariaDB only
# (tests/services/test_grouping_services.py pins it there).
EXPECTED = 3 if connection.features.has_select_for_update else 2


@pytest.mark.parametrize("size", [1, 40, 400])
def test_a_chunk_costs_a_fixed_number_of_queries(grouping_flag, size):
    chunk = UserFactory.create_batch(size)
    existing_rows(chunk[::2])  # half the chunk has a row to join
    prefs = {user.pk: (IMMEDIATE if user.pk % 3 else WEB_ONLY) for user in chunk}
    with CaptureQueriesContext(connection) as queries:
        merged = merge(request_from("Bob", sender_id=chunk[0].pk), prefs, email_on=True)
    assert len(merged) == len(chunk[::2])
    assert len(queries) == EXPECTED
    assert sum(q["sql"].startswith("UPDATE") for q in queries.captured_queries) == 1
    assert Notification.objects.filter(content_context__others_count=1).count() == len(merged)


def test_no_candidates_costs_no_update(grouping_flag):
    chunk = UserFactory.create_batch(5)
    with CaptureQueriesContext(connection) as queries:
        assert list(merge(request_from("Bob"), dict.fromkeys((u.pk for u in chunk), WEB_ONLY))) == []
    assert len(queries) == EXPECTED - 1


@pytest.mark.skipif(connection.vendor != "sqlite", reason="only SQLite bounds a statement's parameters")
def test_sqlite_parameter_limit_splits_only_huge_chunks(grouping_flag, monkeypatch):
    chunk = UserFactory.create_batch(30)
    existing_rows(chunk)
    limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    monkeypatch.setattr(grouping, "PARAMS_PER_ROW", limit // 11)  # batches of 10 rows
    with CaptureQueriesContext(connection) as queries:
        merge(request_from("Bob"), dict.fromkeys((u.pk for u in chunk), WEB_ONLY))
    assert sum(q["sql"].startswith("UPDATE") for q in queries.captured_queries) == 3
    assert Notification.objects.filter(content_context__others_count=1).count() == 30


class RecordingChannel(Channel):
    """Keeps what the fan-out hands to channels."""

    name = "recording"
    received: list = []

    def deliver_chunk(self, delivery):
        RecordingChannel.received.extend(delivery.notifications)


def test_channels_receive_joined_rows(grouping_flag, flags, settings):
    flags("notifications.enable_notifications")
    settings.NOTIFICATION_CHANNELS = [f"{__name__}.RecordingChannel"]
    RecordingChannel.received = []
    joined, fresh = UserFactory.create_batch(2)
    existing_rows([joined])
    request = request_from("Bob")
    request.user_ids = [joined.pk, fresh.pk]
    request.save()
    result = fanout.process_request(request.pk)
    assert (result.created, result.grouped) == (1, 1)
    by_user = {row.user_id: row for row in RecordingChannel.received}
    assert by_user[joined.pk].content_context["others_count"] == 1
    assert by_user[joined.pk].email_sent_on is None
    assert by_user[fresh.pk].content_context["others_count"] == 0
