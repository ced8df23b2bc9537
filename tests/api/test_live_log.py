"""The live log behind the stream: what a fan-out writes and publishes, where it publishes, the ASGI handler.

What the stream sends from the log is ``test_stream``'s subject; these tests cover the rows and messages a
fan-out leaves for it and the handler that serves streams without a thread each.
"""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync
from django.test import override_settings

from platform_notifications.inbox import live
from platform_notifications.models import LiveEvent, Notification
from tests.api.conftest import API
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

STREAM = API + "stream/"


def test_a_fanout_writes_one_event_per_web_recipient(notifications_on, send):
    users = UserFactory.create_batch(3)
    send([u.pk for u in users])
    rows = dict(Notification.objects.values_list("user_id", "pk"))
    assert sorted(LiveEvent.objects.values_list("user_id", "kind", "notification_id")) == sorted(
        (uid, "notification", pk) for uid, pk in rows.items()
    )


def test_a_fanout_tells_the_listeners_its_first_event_id(notifications_on, send, monkeypatch):
    """The published "from" is the smallest id of the chunk's events: a higher one would skip some of them."""
    told = []
    monkeypatch.setattr(live, "after_commit", lambda user_ids, first: told.append((user_ids, first)))
    send([UserFactory().pk])  # earlier events: the chunk's ids do not start at 1
    users = UserFactory.create_batch(4)
    send([u.pk for u in users])
    events = LiveEvent.objects.filter(user_id__in=[u.pk for u in users])
    assert told[-1] == (sorted(u.pk for u in users), min(events.values_list("pk", flat=True)))
    assert told[-1][1] == told[0][1] + 1


def test_a_retired_user_has_no_live_events(user, notifications_on, send):
    from platform_notifications import service

    send([user.pk])
    service.retire_user(user)
    assert not LiveEvent.objects.exists()


@override_settings(NOTIFICATION_LIVE_REDIS_URL=None, CELERY_BROKER_URL="redis://127.0.0.1:1/3")
def test_redis_comes_from_the_broker_when_the_count_cache_is_not_redis():
    assert live.redis_url() == "redis://127.0.0.1:1/3"
    assert live.channel_name(live.redis_url()).endswith(":3")


def test_no_redis_means_polling_and_no_publish(settings):
    settings.CELERY_BROKER_URL = "memory://"
    assert live.redis_url() is None


def _call_asgi(handler, path: str) -> list[dict]:
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": b"",
        "headers": [],
        "server": ("testserver", 80),
    }
    messages: list[dict] = []
    received = []

    async def receive():
        if received:  # after the body, the server waits for the client to go away
            await asyncio.sleep(60)
            return {"type": "http.disconnect"}
        received.append(1)
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        messages.append(message)

    async_to_sync(handler)(scope, receive, send)
    return messages


@pytest.mark.django_db(transaction=True)
def test_the_live_asgi_handler_serves_streams_without_a_thread_of_their_own(monkeypatch):
    """Django gives every ASGI request its own thread for its synchronous work; a stream that lasts hours does not
    get one (``platform_notifications.inbox.asgi``), so open streams cost no idle thread each."""
    from asgiref.sync import SyncToAsync
    from django.core.handlers.asgi import ASGIHandler

    from platform_notifications.inbox import stream
    from platform_notifications.inbox.asgi import LiveASGIHandler

    contexts = []
    real = stream.authenticate

    def recording(request):
        contexts.append(SyncToAsync.thread_sensitive_context.get(None))
        return real(request)

    monkeypatch.setattr(stream, "authenticate", recording)
    for handler in (LiveASGIHandler(), ASGIHandler()):
        messages = _call_asgi(handler, STREAM)
        assert messages[0]["status"] == 401
    assert contexts[0] is None
    assert contexts[1] is not None


@pytest.mark.django_db(transaction=True)
def test_streams_share_one_cache_handle_instead_of_one_each(monkeypatch):
    """Django opens cache handles per async context: each stream would hold its own (with Redis, a connection each)
    for its whole life. Streams served by the live handler share one per alias; other requests keep Django's."""
    from django.core.cache import caches

    from platform_notifications.inbox import stream
    from platform_notifications.inbox.asgi import LiveASGIHandler

    handles = []
    real = stream.authenticate

    def recording(request):
        handles.append(caches["default"])
        return real(request)

    monkeypatch.setattr(stream, "authenticate", recording)
    live = LiveASGIHandler()
    for _ in range(2):
        assert _call_asgi(live, STREAM)[0]["status"] == 401
    assert handles == [live.shared_cache("default")] * 2
