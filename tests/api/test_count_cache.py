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


def _redis_cache():
    """A Django Redis cache on the test run's Redis database (``REDIS_URL``, else db 15), or skip."""
    import os

    import redis
    from django.core.cache.backends.redis import RedisCache

    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        pytest.skip(f"needs a Redis server at {url}")
    return RedisCache(url, {"KEY_PREFIX": f"pn-test-{UserFactory.build().username}"})


# 2,000 fills exactly one MSET of the script; 4,501 takes two full ones and a remainder.
@pytest.mark.parametrize("size", [1, counts.BULK_FROM - 1, counts.BULK_FROM, 2000, 4501])
def test_invalidation_on_redis_writes_a_new_token_for_every_user_in_one_command(size, monkeypatch):
    """Large sets go through one server-side script; it must store exactly what ``set_many`` stores."""
    cache = _redis_cache()
    monkeypatch.setattr(counts, "_cache", lambda: cache)
    ids = list(range(10**6, 10**6 + 2 * size, 2))
    keys = [counts._generation_key(uid) for uid in ids]
    outsider = counts._generation_key(10**6 + 1)  # between two of the ids: untouched
    cache.set_many(dict.fromkeys([*keys, outsider], "old"), timeout=None)
    commands = []
    client = cache._cache.get_client(write=True)
    original = type(client).execute_command
    monkeypatch.setattr(
        type(client),
        "execute_command",
        lambda self, *args, **kw: (commands.append(args[0]), original(self, *args, **kw))[1],
    )
    try:
        counts.invalidate_now(ids)
        found = cache.get_many([*keys, outsider])
        ttl = cache._cache.get_client().ttl(cache.make_key(keys[0]))
    finally:
        monkeypatch.undo()
        cache.delete_many([*keys, outsider])
    tokens = {found[key] for key in keys}
    assert len(tokens) == 1 and isinstance(tokens.pop(), int)  # one new token, read back as Django stored it
    assert found[outsider] == "old"
    # One script call for a large set (``set_many``'s pipeline is not a client command, so it is not listed).
    assert commands.count("EVAL") == (1 if size >= counts.BULK_FROM else 0)
    assert ttl == -1  # no expiry, as set_many(timeout=None)


def test_a_custom_key_function_falls_back_to_set_many(monkeypatch):
    from django.core.cache.backends.redis import RedisCache

    base = _redis_cache()
    cache = RedisCache(base._servers[0], {"KEY_FUNCTION": lambda key, prefix, version: f"custom|{key}"})
    monkeypatch.setattr(counts, "_cache", lambda: cache)
    ids = list(range(2 * 10**6, 2 * 10**6 + counts.BULK_FROM))
    try:
        counts.invalidate_now(ids)
        assert isinstance(cache.get(counts._generation_key(ids[5])), int)
        assert cache._cache.get_client().exists(f"custom|{counts._generation_key(ids[5])}")
    finally:
        cache.delete_many([counts._generation_key(uid) for uid in ids])
