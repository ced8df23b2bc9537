"""Grouping on real PostgreSQL and MariaDB: concurrent fan-outs of one group, and the per-chunk query pin.

Run with ``DJANGO_SETTINGS_MODULE=settings.services DATABASE_URL=... pytest -m services``.
"""

import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from platform_notifications.config import Cadence, registry, toggles
from platform_notifications.fanout import run as fanout
from platform_notifications.fanout.grouping import initial_context, merge_chunk
from platform_notifications.intake.outbox import SendSpec, build_request
from platform_notifications.models import Notification, NotificationRequest
from platform_notifications.preferences import effective as preferences
from platform_notifications.preferences.effective import Effective
from tests.factories import COURSE, NotificationFactory, UserFactory

pytestmark = [
    pytest.mark.services,
    pytest.mark.skipif(connection.vendor == "sqlite", reason="needs PostgreSQL or MariaDB (DATABASE_URL)"),
]

NTYPE = registry.get_type("new_response")


def stored_request(replier, sender_id, user_ids, group="post-1"):
    context = {"replier_name": replier, "post_title": "Week 1", "group_by_id": group, "sender_id": sender_id}
    request = build_request(
        SendSpec(
            app_name="discussion",
            notification_type=NTYPE.name,
            content_url=f"/posts/1#{replier.replace(' ', '-')}",
            course_key=COURSE,
            context=context,
            user_ids=user_ids,
        )
    )
    request.save()
    return request


@pytest.fixture
def grouping_on(flags):
    flags("notifications.enable_notifications", "notifications.enable_notification_grouping")


def run_together(request_ids, monkeypatch):
    """Fan out the requests in parallel threads, all inside their chunk transaction before any groups."""
    barrier = threading.Barrier(len(request_ids), timeout=20)
    original = preferences.for_users

    def for_users_after_everyone(ntype, user_ids):
        barrier.wait()  # every fan-out has locked its request and read its chunk: none has grouped yet
        return original(ntype, user_ids)

    monkeypatch.setattr(preferences, "for_users", for_users_after_everyone)
    errors = []

    def work(request_id):
        try:
            fanout.process_request(request_id)
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(request_id,)) for request_id in request_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a fan-out is stuck"
    assert errors == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_fan_outs_of_one_group_end_in_one_row_with_both_actors(grouping_on, monkeypatch):
    ana, bob, *audience = UserFactory.create_batch(6)
    shared = [user.pk for user in audience[1:3]]
    first = stored_request("Ana", ana.pk, [audience[0].pk, *shared])
    second = stored_request("Bob", bob.pk, [*shared, audience[3].pk])

    run_together([first.pk, second.pk], monkeypatch)

    for user_id in shared:
        (row,) = Notification.objects.filter(user_id=user_id)
        assert row.content_context["others_count"] == 1
        assert len(row.content_context["actor_keys"]) == 2
        assert row.content.endswith("and 1 other replied to your post <strong>Week 1</strong></p>")
    assert Notification.objects.get(user=audience[0]).content_context["replier_name"] == "Ana"
    assert Notification.objects.get(user=audience[3]).content_context["replier_name"] == "Bob"
    counts = sorted(NotificationRequest.objects.values_list("created_count", "grouped_count"))
    # Whichever fan-out went second joined the two shared rows.
    assert counts == [(1, 2), (3, 0)]


@pytest.mark.django_db(transaction=True)
def test_three_concurrent_actors(grouping_on, monkeypatch):
    actors = UserFactory.create_batch(3)
    audience = [user.pk for user in UserFactory.create_batch(4)]
    requests = [stored_request(f"Actor {n}", actor.pk, audience) for n, actor in enumerate(actors)]

    run_together([request.pk for request in requests], monkeypatch)

    assert Notification.objects.count() == len(audience)
    assert set(Notification.objects.values_list("content_context__others_count", flat=True)) == {2}


@pytest.mark.django_db
@pytest.mark.parametrize("size", [5, 120])
def test_a_chunk_costs_three_queries_and_one_update(flags, size):
    flags("notifications.enable_notification_grouping")
    toggles.ENABLE_NOTIFICATION_GROUPING.is_enabled()  # warm waffle's cache
    chunk = UserFactory.create_batch(size)
    seed = stored_request("Ana", None, [1])
    for user in chunk:
        NotificationFactory(user=user, group_by_id="post-1", content_context=initial_context(seed, NTYPE))
    immediate = Effective(web=True, email=True, push=False, email_cadence=Cadence.IMMEDIATELY)
    web_only = Effective(web=True, email=False, push=False, email_cadence=Cadence.DAILY)
    prefs = {user.pk: (immediate if user.pk % 2 else web_only) for user in chunk}
    request = stored_request("Bob", chunk[0].pk, [1])
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        merged = merge_chunk(request, NTYPE, prefs, timezone.now(), email_on=True, push_on=False)
    assert len(merged) == size
    # Lock the chunk's users, read candidates, one UPDATE.
    assert len(queries) == 3
    assert "FOR" in queries.captured_queries[0]["sql"] and "UPDATE" in queries.captured_queries[0]["sql"]
    assert queries.captured_queries[2]["sql"].startswith("UPDATE")
    for row in Notification.objects.all():
        assert row.content_context["others_count"] == 1
        assert (row.email, row.email_cadence) == ((True, "Immediately") if row.user_id % 2 else (False, ""))


@pytest.mark.django_db
def test_no_candidates_costs_no_update(flags):
    flags("notifications.enable_notification_grouping")
    toggles.ENABLE_NOTIFICATION_GROUPING.is_enabled()
    chunk = UserFactory.create_batch(3)
    prefs = dict.fromkeys((user.pk for user in chunk), Effective(True, False, False, Cadence.DAILY))
    request = stored_request("Bob", None, [1])
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        assert list(merge_chunk(request, NTYPE, prefs, timezone.now(), email_on=True, push_on=False)) == []
    assert len(queries) == 2
