"""The live stream (``GET stream/``): who may open it, what it sends, resuming with ``Last-Event-ID``, keepalives.

The stream is read through Django's ``AsyncClient`` (an ASGI request, as under uvicorn); database work done from
inside the async code runs in the test's thread, so the test's transaction is shared.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.test import AsyncClient

from platform_notifications.inbox import hub as hubs
from platform_notifications.models import LiveEvent, Notification
from tests.api.conftest import API, ApiClient
from tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db

STREAM = API + "stream/"
WAIT = 5  # seconds a test waits for an event before it fails


def parse(text: str) -> list[dict]:
    """Server-sent events as dicts (``event``, ``id``, ``data`` decoded from JSON); comments as ``{"comment"}``."""
    events = []
    for block in text.strip().split("\n\n"):
        event: dict = {}
        for line in block.splitlines():
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "":
                event["comment"] = value
            elif field == "data":
                event["data"] = json.loads(value)
            else:
                event[field] = int(value) if field in ("id", "retry") else value
        events.append(event)
    return events


class Reader:
    """An open stream: a task copies its chunks into a queue; ``close()`` cancels it, as a disconnect does."""

    def __init__(self, response) -> None:
        self.response = response
        self.chunks: asyncio.Queue = asyncio.Queue()
        self.task = asyncio.ensure_future(self._pump())

    async def _pump(self) -> None:
        async for chunk in self.response.streaming_content:
            await self.chunks.put(chunk.decode())

    async def next(self, timeout: float = WAIT) -> list[dict]:
        return parse(await asyncio.wait_for(self.chunks.get(), timeout))

    async def until(self, kind: str, timeout: float = WAIT) -> list[dict]:
        """Events up to and including the first of ``kind``."""
        seen: list[dict] = []
        while not any(e.get("event") == kind for e in seen):
            seen += await self.next(timeout)
        return seen

    async def close(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


async def open_stream(user, **headers) -> Reader:
    client = AsyncClient()
    if user is not None:
        await client.aforce_login(user)
    response = await client.get(STREAM, headers=headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/event-stream"
    return Reader(response)


def run(coroutine_function):
    async_to_sync(coroutine_function)()


def kinds(events: list[dict]) -> list[str]:
    return [e["event"] for e in events if "event" in e]


@pytest.fixture
def fast_poll(settings):
    settings.NOTIFICATION_LIVE_POLL_SECONDS = 0.05


def test_anonymous_gets_401_with_a_challenge():
    response = ApiClient().get("stream/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"]

    async def main():
        response = await AsyncClient().get(STREAM)
        assert response.status_code == 401

    run(main)


def test_a_forged_jwt_is_a_401(user):
    response = ApiClient().get("stream/", HTTP_AUTHORIZATION="JWT not.a.token")
    assert response.status_code == 401


def test_under_wsgi_the_stream_answers_204_so_clients_keep_polling(api):
    response = api.get("stream/")
    assert response.status_code == 204
    assert not LiveEvent.objects.exists()


def test_only_get(api):
    assert api.client.post(STREAM).status_code == 405


def test_first_event_is_the_counts_exactly_as_count_returns_them(user, notifications_on, fast_poll):
    NotificationFactory.create_batch(2, user=user)
    expected = ApiClient(user).get("count/").json()

    async def main():
        reader = await open_stream(user)
        first = await reader.next()
        await reader.close()
        assert first[0] == {"retry": 2000}
        assert first[-1] == {"event": "counts", "data": expected}

    run(main)


def test_a_new_notification_arrives_as_the_list_shows_it_then_the_counts(user, notifications_on, send, fast_poll):
    async def main():
        reader = await open_stream(user)
        await reader.next()
        await sync_to_async(send)([user.pk])
        events = await reader.until("counts")
        await reader.close()
        return events

    events = async_to_sync(main)()
    api = ApiClient(user)
    listed = api.get("").json()["results"]
    assert kinds(events) == ["notification", "counts"]
    assert events[0]["data"] == listed[0]
    assert events[0]["id"] == LiveEvent.objects.get(notification_id=listed[0]["id"]).pk
    assert events[1]["data"] == api.get("count/").json()
    assert events[1]["data"]["count"] == 1


def test_each_stream_gets_the_notification_in_its_own_language(user, other, notifications_on, send, fast_poll):
    """One fan-out to a French and an English reader: each stream shows what the list shows that reader."""

    async def main():
        french = await open_stream(user, **{"Accept-Language": "fr"})
        english = await open_stream(other, **{"Accept-Language": "en"})
        await french.next()
        await english.next()
        await sync_to_async(send)([user.pk, other.pk])
        got = await french.until("counts"), await english.until("counts")
        await french.close()
        await english.close()
        return got

    in_french, in_english = async_to_sync(main)()
    listed_fr = ApiClient(user).get("", HTTP_ACCEPT_LANGUAGE="fr").json()["results"][0]
    listed_en = ApiClient(other).get("", HTTP_ACCEPT_LANGUAGE="en").json()["results"][0]
    assert in_french[0]["data"] == listed_fr and "a répondu" in listed_fr["content"]
    assert in_english[0]["data"] == listed_en and "replied" in listed_en["content"]


def test_another_users_events_are_never_delivered(user, other, notifications_on, send, fast_poll):
    their_tab = ApiClient(other)

    async def main():
        mine = await open_stream(user)
        theirs = await open_stream(other)
        await mine.next(), await theirs.next()
        await sync_to_async(send)([other.pk])
        await sync_to_async(their_tab.patch)("read-all/")
        await sync_to_async(send)([user.pk])
        got = await mine.until("counts")
        their_events = await theirs.until("read")
        await mine.close(), await theirs.close()
        return got, their_events

    got, their_events = async_to_sync(main)()
    own = set(Notification.objects.filter(user=user).values_list("pk", flat=True))
    assert kinds(got) == ["notification", "counts"]
    assert got[0]["data"]["id"] in own
    assert "read" in kinds(their_events)
    # Resuming from the very start of the log still replays only the caller's own events.
    replayed = async_to_sync(_replay)(user, 0)
    assert kinds(replayed) == ["notification", "counts"]
    assert replayed[0]["data"]["id"] in own


async def _replay(user, last_event_id) -> list[dict]:
    reader = await open_stream(user, **{"Last-Event-ID": str(last_event_id)})
    events = await reader.next()
    await reader.close()
    return events[1:]  # after the retry field


def test_read_seen_and_archived_in_another_tab_reach_the_stream(user, notifications_on, fast_poll):
    rows = NotificationFactory.create_batch(3, user=user, app_name="discussion")
    tab = ApiClient(user)

    async def main():
        reader = await open_stream(user)
        await reader.next()
        await sync_to_async(tab.patch)("read/", {"notification_id": rows[0].pk})
        read = await reader.until("counts")
        await sync_to_async(tab.put)("mark-seen/discussion/")
        seen = await reader.until("counts")
        await sync_to_async(tab.client.post)(f"{API}{rows[1].pk}/archive/")
        archived = await reader.until("counts")
        await reader.close()
        return read, seen, archived

    read, seen, archived = async_to_sync(main)()
    assert [(e["event"], e["data"]) for e in read[:-1]] == [("read", {"ids": [rows[0].pk]})]
    assert [(e["event"], e["data"]) for e in seen[:-1]] == [("seen", {"app_name": "discussion"})]
    assert [(e["event"], e["data"]) for e in archived[:-1]] == [("archived", {"ids": [rows[1].pk]})]
    assert seen[-1]["data"]["count"] == 0
    assert archived[-1]["data"] == tab.get("count/").json()


def test_unread_removed_and_unarchived_in_another_tab_reach_the_stream(user, notifications_on, fast_poll):
    rows = NotificationFactory.create_batch(3, user=user, app_name="discussion")
    tab = ApiClient(user)
    tab.patch("read/", {"notification_id": rows[0].pk})
    tab.client.post(f"{API}{rows[2].pk}/archive/")

    async def main():
        reader = await open_stream(user)
        await reader.next()
        await sync_to_async(tab.patch)("unread/", {"notification_id": rows[0].pk})
        unread = await reader.until("counts")
        await sync_to_async(tab.client.delete)(f"{API}{rows[1].pk}/")
        removed = await reader.until("counts")
        await sync_to_async(tab.client.post)(f"{API}{rows[2].pk}/unarchive/")
        back = await reader.until("counts")
        await reader.close()
        return unread, removed, back

    unread, removed, back = async_to_sync(main)()
    assert [(e["event"], e["data"]) for e in unread[:-1]] == [("unread", {"ids": [rows[0].pk]})]
    assert [(e["event"], e["data"]) for e in removed[:-1]] == [("removed", {"ids": [rows[1].pk]})]
    # An unarchived row comes back as the list shows it.
    assert [e["event"] for e in back[:-1]] == ["notification"]
    listed = {item["id"]: item for item in tab.get("", {"app_name": "discussion"}).json()["results"]}
    assert back[0]["data"] == listed[rows[2].pk]
    assert back[-1]["data"] == tab.get("count/").json()


def test_bulk_actions_tell_the_other_tabs_about_the_callers_rows_only(user, other, notifications_on):
    mine = NotificationFactory.create_batch(2, user=user)
    theirs = NotificationFactory(user=other)
    tab = ApiClient(user)
    for action in ("read", "unread", "archive", "unarchive"):
        response = tab.client.post(
            f"{API}bulk/",
            {"action": action, "ids": [mine[0].pk, mine[1].pk, theirs.pk]},
            content_type="application/json",
        )
        assert response.status_code == 200, response.content
    ids = sorted(row.pk for row in mine)
    events = list(LiveEvent.objects.order_by("id").values_list("user_id", "kind", "notification_id", "data"))
    assert events == [
        (user.pk, "read", None, {"ids": ids}),
        (user.pk, "unread", None, {"ids": ids}),
        (user.pk, "archived", None, {"ids": ids}),
        (user.pk, "notification", ids[0], {}),
        (user.pk, "notification", ids[1], {}),
    ]


def test_an_action_that_changes_nothing_writes_no_event(user, notifications_on):
    row = NotificationFactory(user=user)
    tab = ApiClient(user)
    tab.patch("read/", {"notification_id": row.pk})
    tab.patch("read/", {"notification_id": row.pk})
    tab.put("mark-seen/discussion/")
    assert list(LiveEvent.objects.values_list("kind", "data")) == [("read", {"ids": [row.pk]})]


def test_last_event_id_replays_what_was_missed_in_order(user, notifications_on, send):
    for _ in range(4):
        send([user.pk])
    ids = list(LiveEvent.objects.filter(user=user).order_by("id").values_list("id", flat=True))
    events = async_to_sync(_replay)(user, ids[0])
    assert kinds(events) == ["notification"] * 3 + ["counts"]
    assert [e["id"] for e in events[:3]] == ids[1:]


def test_replay_is_bounded_to_the_newest_events(user, notifications_on, send, settings):
    settings.NOTIFICATION_LIVE_REPLAY_LIMIT = 2
    for _ in range(5):
        send([user.pk])
    ids = list(LiveEvent.objects.filter(user=user).order_by("id").values_list("id", flat=True))
    events = async_to_sync(_replay)(user, 0)
    assert [e["id"] for e in events if "id" in e] == ids[-2:]


@pytest.mark.parametrize("header", ["abc", "-1", "1" * 30, ""])
def test_a_malformed_last_event_id_replays_nothing(user, notifications_on, send, header):
    send([user.pk])
    events = async_to_sync(_replay)(user, header)
    assert kinds(events) == ["counts"]


def test_keepalive_comment_when_nothing_happens(user, notifications_on, settings):
    settings.NOTIFICATION_WEB_PUSH_TIMEOUT_SECONDS = 1

    async def main():
        reader = await open_stream(user)
        await reader.next()
        quiet = await reader.next(timeout=3)
        await reader.close()
        return quiet

    assert async_to_sync(main)() == [{"comment": "keepalive"}]


def test_closing_the_last_stream_stops_the_process_listener(user, notifications_on, fast_poll):
    async def main():
        reader = await open_stream(user)
        await reader.next()
        hub = hubs.hub()
        assert hub.connections and not hub.task.done()
        await reader.close()
        await asyncio.sleep(0)
        assert not hub.connections and hub.task is None

    run(main)
