"""The live stream on real servers: a notification fanned out by a real Celery worker reaches an open stream within a
second through Redis publish/subscribe, and so does a read made by another process.

The stream is served in the test process (Django's ``AsyncClient``, an ASGI request); the listener's fallback poll is
set far beyond the one-second bound, so only a Redis message can wake it in time.
"""

from __future__ import annotations

import time

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.db import connection
from django.utils import timezone
from waffle.models import Flag

from platform_notifications import notify
from platform_notifications.inbox import hub as hubs
from platform_notifications.inbox import live
from platform_notifications.models import Notification
from tests.api.conftest import ApiClient
from tests.api.test_stream import kinds, open_stream
from tests.services.test_pipeline_services import CONTEXT, COURSE, make_users

pytestmark = [
    pytest.mark.services,
    pytest.mark.skipif(connection.vendor == "sqlite", reason="needs PostgreSQL or MariaDB (DATABASE_URL)"),
    pytest.mark.django_db(transaction=True),
]


def test_a_workers_notification_and_another_processs_read_reach_the_stream_within_a_second(
    celery_worker_process, services_redis_url, monkeypatch
):
    Flag.objects.create(name="notifications.enable_notifications", everyone=True)
    monkeypatch.setattr(hubs, "FALLBACK_POLL_SECONDS", 60.0)
    assert live.redis_url() == services_redis_url  # the workers' broker: they publish there
    (user_id,) = make_users(1)
    user = Notification._meta.get_field("user").related_model.objects.get(pk=user_id)
    tab = ApiClient(user)
    celery_worker_process(concurrency=1)

    async def main():
        reader = await open_stream(user)
        await reader.next()
        await sync_to_async(notify)([user_id], "new_response", "/courses/live/1", "discussion", COURSE, CONTEXT)
        pushed = await reader.until("counts", timeout=30)
        received = timezone.now()
        row = await sync_to_async(Notification.objects.get)(user_id=user_id)
        await sync_to_async(tab.patch)("read/", {"notification_id": row.pk})
        read_sent = time.monotonic()
        read = await reader.until("counts", timeout=10)
        read_latency = time.monotonic() - read_sent
        await reader.close()
        return pushed, (received - row.created).total_seconds(), read, read_latency

    pushed, latency, read, read_latency = async_to_sync(main)()
    assert kinds(pushed) == ["notification", "counts"]
    assert pushed[0]["data"] == tab.get("").json()["results"][0] | {"last_read": None, "last_seen": None}
    assert pushed[1]["data"]["count"] == 1
    assert latency < 1.0, f"created to received: {latency:.3f} s"
    assert [e["event"] for e in read] == ["read", "counts"]
    assert read[1]["data"] == tab.get("count/").json()
    assert read_latency < 1.0, f"read to received: {read_latency:.3f} s"
