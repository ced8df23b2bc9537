"""Mobile push, web push and webhook deliveries through a real Celery worker on Redis.

The webhook receiver and the push service are loopback HTTP servers in this process; FCM is replaced in the
worker at firebase-admin's ``send_each`` (tests/services/fakes/sitecustomize.py).
"""

from __future__ import annotations

import json
import os
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from openedx_events.learning.data import UserNotificationData
from openedx_events.learning.signals import USER_NOTIFICATION_REQUESTED
from push_notifications.models import GCMDevice
from standardwebhooks.webhooks import Webhook
from waffle.models import Flag

from platform_notifications.channels.webhook.views import new_secret
from platform_notifications.management.commands.generate_vapid_keys import generate
from platform_notifications.models import (
    DeliveryAttempt,
    Notification,
    NotificationPreference,
    WebhookEndpoint,
    WebPushSubscription,
)
from tests.channels.test_webpush import Browser
from tests.factories import COURSE_KEY
from tests.services.conftest import ROOT, wait_for

pytestmark = [
    pytest.mark.services,
    pytest.mark.skipif(connection.vendor == "sqlite", reason="needs PostgreSQL or MariaDB (DATABASE_URL)"),
    pytest.mark.django_db(transaction=True),
]

FCM_TOKEN = "s" * 40 + ":APA91b" + "v" * 120


def test_push_webpush_and_webhook_through_a_worker(celery_worker_process, httpserver, tmp_path):
    Flag.objects.create(name="notifications.enable_notifications", everyone=True)
    Flag.objects.create(name="notifications.enable_push_notifications", everyone=True)
    prefix = uuid.uuid4().hex[:6]
    User = get_user_model()
    phone, browser_user, integrator = (User.objects.create(username=f"{prefix}{n}") for n in range(3))
    for user in (phone, browser_user):
        NotificationPreference.objects.create(user=user, app_name="discussion", notification_type="*", push=True)
    GCMDevice.objects.create(user=phone, registration_id=FCM_TOKEN, cloud_message_type="FCM")
    browser = Browser(httpserver.url_for("/push/1"))
    keys = browser.subscription["keys"]
    WebPushSubscription.objects.create(user=browser_user, endpoint=browser.subscription["endpoint"],
                                       endpoint_hash=prefix, p256dh=keys["p256dh"], auth=keys["auth"])  # fmt: skip
    secret = new_secret()
    WebhookEndpoint.objects.create(user=integrator, url=httpserver.url_for("/hook"), secret=secret)
    httpserver.expect_request("/push/1").respond_with_data("", status=201)
    httpserver.expect_request("/hook").respond_with_data("ok")
    fcm_log = tmp_path / "fcm.jsonl"
    vapid, _ = generate()
    celery_worker_process(
        concurrency=2,
        NOTIFICATIONS_WEBHOOK_ALLOWED_HOSTS="127.0.0.1,localhost",
        NOTIFICATIONS_WEBPUSH_VAPID_PRIVATE_KEY=vapid,
        PN_FAKE_FCM_LOG=str(fcm_log),
        PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "tests" / "services" / "fakes")]),
    )
    USER_NOTIFICATION_REQUESTED.send_event(
        notification_data=UserNotificationData(
            user_ids=[phone.id, browser_user.id, integrator.id], notification_type="new_response",
            app_name="discussion", course_key=COURSE_KEY, content_url="/courses/svc/posts/1",
            context={"replier_name": "Ana", "post_title": "Week 1"},
        )
    )  # fmt: skip
    sent = lambda: set(DeliveryAttempt.objects.filter(status="sent").values_list("channel", flat=True))  # noqa: E731
    wait_for(lambda: sent() >= {"push", "webpush", "webhook"}, 60, "the three deliveries",
             on_fail=lambda: list(DeliveryAttempt.objects.values("channel", "status", "error")))  # fmt: skip
    (pushed,) = [json.loads(line) for line in fcm_log.read_text().splitlines()]
    assert pushed["token"] == FCM_TOKEN and pushed["data"]["url"].endswith("/courses/svc/posts/1")
    requests = {request.path: request for request, _ in httpserver.log}
    assert "Ana" in browser.decrypt(requests["/push/1"].get_data())["body"]
    hook = requests["/hook"]
    assert Webhook(secret).verify(hook.get_data(), dict(hook.headers))["data"]["user_id"] == integrator.id
    rows = DeliveryAttempt.objects.values_list("channel", "user_id")
    assert sorted(rows) == sorted([("push", phone.id), ("webpush", browser_user.id), ("webhook", integrator.id)])


def test_a_large_audience_is_pushed_and_posted_once_each_through_workers(celery_worker_process, httpserver, tmp_path):
    """600 recipients: the chunk's multi-row INSERT of delivery rows, two send tasks per channel, each row once."""
    Flag.objects.create(name="notifications.enable_notifications", everyone=True)
    Flag.objects.create(name="notifications.enable_push_notifications", everyone=True)
    prefix = uuid.uuid4().hex[:6]
    User = get_user_model()
    users = User.objects.bulk_create(User(username=f"{prefix}-{n}") for n in range(600))
    users = list(User.objects.filter(username__startswith=f"{prefix}-"))
    NotificationPreference.objects.bulk_create(
        NotificationPreference(user=user, app_name="discussion", notification_type="*", push=True) for user in users
    )
    GCMDevice.objects.bulk_create(
        GCMDevice(user=user, registration_id=f"{FCM_TOKEN}{user.pk}", cloud_message_type="FCM") for user in users
    )
    secret = new_secret()
    WebhookEndpoint.objects.bulk_create(
        WebhookEndpoint(user=user, url=httpserver.url_for("/bulk"), secret=secret) for user in users
    )
    httpserver.expect_request("/bulk").respond_with_data("ok")
    fcm_log = tmp_path / "fcm.jsonl"
    celery_worker_process(
        concurrency=2,
        NOTIFICATIONS_WEBHOOK_ALLOWED_HOSTS="127.0.0.1,localhost",
        PN_FAKE_FCM_LOG=str(fcm_log),
        PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "tests" / "services" / "fakes")]),
    )
    USER_NOTIFICATION_REQUESTED.send_event(
        notification_data=UserNotificationData(
            user_ids=[user.pk for user in users], notification_type="new_response",
            app_name="discussion", course_key=COURSE_KEY, content_url="/courses/svc/posts/2",
            context={"replier_name": "Ana", "post_title": "Week 2"},
        )
    )  # fmt: skip
    done = lambda: DeliveryAttempt.objects.filter(status="sent").count()  # noqa: E731
    unsent = DeliveryAttempt.objects.exclude(status="sent")
    wait_for(lambda: done() >= 1200, 120, "1,200 deliveries",
             on_fail=lambda: list(unsent.values("channel", "status", "error")[:5]))  # fmt: skip
    ids = {user.pk for user in users}
    pushed = [json.loads(line) for line in fcm_log.read_text().splitlines()]
    assert sorted(p["token"] for p in pushed) == sorted(f"{FCM_TOKEN}{uid}" for uid in ids)
    assert all(p["data"]["url"].endswith("/courses/svc/posts/2") for p in pushed)
    # Each recipient's own notification id, though the message was built once for all of them.
    notification_ids = set(Notification.objects.filter(user__in=users).values_list("pk", flat=True))
    assert len(notification_ids) == 600
    assert {int(p["data"]["notification_id"]) for p in pushed} == notification_ids
    received = [Webhook(secret).verify(r.get_data(), dict(r.headers))["data"] for r, _ in httpserver.log]
    assert sorted(d["user_id"] for d in received) == sorted(ids)
    assert {d["body"] for d in received} == {"Ana replied to your post Week 2"}
    assert {d["id"] for d in received} == notification_ids
    # One row per recipient and channel, each sent once, with its provider's message id.
    rows = DeliveryAttempt.objects.values_list("channel", "user_id", "status", "attempt")
    assert sorted(rows) == sorted((c, uid, "sent", 1) for c in ("push", "webhook") for uid in ids)
    assert not DeliveryAttempt.objects.filter(provider_message_id="").exists()
