"""The cached unseen count: every change is visible in the next ``count/`` answer; a hit costs no query."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from platform_notifications.inbox import counts
from platform_notifications.models import Notification
from tests.factories import UserFactory

# Real transactions: the invalidation runs after commit, as in production (views run in autocommit).
pytestmark = pytest.mark.django_db(transaction=True)


def unseen(api) -> int:
    response = api.get("count/")
    assert response.status_code == 200
    return response.json()["count"]


@pytest.fixture
def warm(api, notifications_on):
    """Counts once (warming flags and the cache) and returns the count."""
    return lambda: unseen(api)


def test_a_cached_count_costs_no_query_and_a_miss_one(api, user, make_notifications, notifications_on):
    make_notifications(user, 3)
    unseen(api)
    with CaptureQueriesContext(connection) as hit:
        assert unseen(api) == 3
    # session, user; nothing for the count
    assert len(hit) == 2
    counts.invalidate_now([user.pk])
    with CaptureQueriesContext(connection) as miss:
        assert unseen(api) == 3
    # session, user, the count, the nearest timed mute's end (the entry's lifetime)
    assert len(miss) == 4


def test_rows_changed_behind_the_cache_are_not_seen_until_invalidated(api, user, make_notifications, warm):
    # Proves the count is really cached (so the tests below prove the invalidation, not a fresh query).
    make_notifications(user, 1)
    assert warm() == 1
    make_notifications(user, 2)  # written directly, bypassing every invalidation
    assert unseen(api) == 1
    counts.invalidate_now([user.pk])
    assert unseen(api) == 3


def test_new_rows_from_the_fan_out_invalidate(api, user, send, warm):
    assert warm() == 0
    send([user.id])
    assert unseen(api) == 1
    send([user.id], context={"replier_name": "Bo", "post_title": "Week 2"})
    assert unseen(api) == 2


def test_a_fan_out_chunk_invalidates_with_one_cache_operation(user, send, notifications_on, monkeypatch):
    recipients = [user, *UserFactory.create_batch(29)]
    calls = []
    original = counts.invalidate_now
    monkeypatch.setattr(counts, "invalidate_now", lambda ids: (calls.append(set(ids)), original(ids)))
    from django.test.utils import override_settings

    with override_settings(NOTIFICATION_CREATION_BATCH_SIZE=10):
        send([u.id for u in recipients])
    assert [len(ids) for ids in calls] == [10, 10, 10]
    assert set().union(*calls) == {u.id for u in recipients}


def test_mark_seen_invalidates(api, user, make_notifications, warm):
    make_notifications(user, 2)
    assert warm() == 2
    assert api.put("mark-seen/discussion/").status_code == 200
    assert unseen(api) == 0


def test_mark_read_one_and_by_app_invalidate(api, user, make_notifications, warm):
    rows = make_notifications(user, 3)
    assert warm() == 3
    assert api.patch("read/", {"notification_id": rows[0].id}).status_code == 200
    assert unseen(api) == 2
    assert api.patch("read/", {"app_name": "discussion"}).status_code == 200
    assert unseen(api) == 0


def test_read_all_invalidates(api, user, make_notifications, warm):
    make_notifications(user, 2)
    assert warm() == 2
    assert api.patch("read-all/").status_code == 200
    assert unseen(api) == 0


def test_delete_invalidates(api, user, make_notifications, warm):
    rows = make_notifications(user, 2)
    assert warm() == 2
    assert api.delete(f"{rows[0].id}/").status_code == 204
    assert unseen(api) == 1


def test_unread_keeps_the_unseen_count_but_refreshes_it(api, user, make_notifications, warm):
    rows = make_notifications(user, 2)
    assert warm() == 2
    api.patch("read/", {"notification_id": rows[0].id})
    assert unseen(api) == 1
    assert api.patch("unread/", {"notification_id": rows[0].id}).status_code == 200
    # Unread keeps the row seen (actions.py), so the count stays; the answer is recomputed, not served stale.
    Notification.objects.filter(pk=rows[1].pk).update(last_seen=None)
    assert unseen(api) == 1


def test_one_users_change_leaves_another_users_cached_count(api, user, other, make_notifications, warm):
    from tests.api.conftest import ApiClient

    make_notifications(user, 1)
    make_notifications(other, 2)
    other_api = ApiClient(other)
    assert warm() == 1
    assert unseen(other_api) == 2
    api.put("mark-seen/discussion/")
    with CaptureQueriesContext(connection) as queries:
        assert unseen(other_api) == 2
    assert len(queries) == 2


def test_a_stale_read_racing_a_change_is_never_served(user, make_notifications, notifications_on, monkeypatch):
    # A reader queries before a change commits and stores its answer after the invalidation ran.
    make_notifications(user, 2)
    real_query = counts.query_unseen_by_app

    def racing_query(user_id):
        answer = real_query(user_id)
        Notification.objects.filter(user_id=user_id).update(last_seen=Notification._meta.get_field("created").default())
        counts.invalidate_now([user_id])  # the change commits and invalidates while the reader is busy
        return answer

    monkeypatch.setattr(counts, "query_unseen_by_app", racing_query)
    assert counts.unseen_by_app(user.pk) == {"discussion": 2}  # the reader's own (old) answer
    monkeypatch.setattr(counts, "query_unseen_by_app", real_query)
    assert counts.unseen_by_app(user.pk) == {}  # the next reader does not get the stale entry
