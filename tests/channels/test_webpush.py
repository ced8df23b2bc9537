"""Web push end to end: a loopback push service receives the push and the test decrypts it (RFC 8291)."""

from __future__ import annotations

import base64
import json
import os

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.management import call_command

from platform_notifications.management.commands.generate_vapid_keys import generate
from platform_notifications.models import DeliveryAttempt, Notification, WebPushSubscription

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("push_on")]


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Browser:
    """What a browser holds for one subscription: the receiving key pair and the auth secret."""

    def __init__(self, endpoint: str):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        public = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        self.subscription = {"endpoint": endpoint, "keys": {"p256dh": b64(public), "auth": b64(self.auth)}}

    def decrypt(self, body: bytes) -> dict:
        return json.loads(http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"))


@pytest.fixture
def vapid(settings):
    private, public = generate()
    settings.NOTIFICATIONS_WEBPUSH_VAPID_PRIVATE_KEY = private
    settings.NOTIFICATIONS_WEBPUSH_VAPID_PUBLIC_KEY = public
    return public


def _subscribe(user, browser):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.post(
        "/api/notifications/webpush-subscriptions/", json.dumps(browser.subscription), content_type="application/json"
    )


def test_push_arrives_encrypted_and_decrypts_to_the_payload(httpserver, vapid, send, user):
    browser = Browser(httpserver.url_for("/push/abc"))
    assert _subscribe(user, browser).status_code == 201
    httpserver.expect_oneshot_request("/push/abc", method="POST").respond_with_data("", status=201)
    send([user.id])
    ((request, _),) = httpserver.log
    assert request.headers["Content-Encoding"] == "aes128gcm"
    assert request.headers["Authorization"].startswith("vapid t=") and vapid in request.headers["Authorization"]
    payload = browser.decrypt(request.get_data())
    notification = Notification.objects.get()
    assert payload["notification_id"] == notification.pk
    assert payload["url"] == "http://localhost:8000/courses/x/posts/1"
    assert "Ana" in payload["body"] and payload["title"]
    assert DeliveryAttempt.objects.get(channel="webpush").status == DeliveryAttempt.Status.SENT


@pytest.mark.parametrize("status", [404, 410])
def test_gone_subscription_is_deleted(httpserver, vapid, send, user, status):
    _subscribe(user, Browser(httpserver.url_for("/push/gone")))
    httpserver.expect_request("/push/gone").respond_with_data("", status=status)
    send([user.id])
    assert not WebPushSubscription.objects.exists()
    assert DeliveryAttempt.objects.get().status == DeliveryAttempt.Status.FAILED


def test_push_service_5xx_is_retried(httpserver, vapid, send, user):
    _subscribe(user, Browser(httpserver.url_for("/push/busy")))
    httpserver.expect_request("/push/busy").respond_with_data("", status=503)
    send([user.id])
    assert list(DeliveryAttempt.objects.order_by("attempt").values_list("status", flat=True)) == ["retrying", "queued"]
    assert WebPushSubscription.objects.exists()


def test_no_vapid_key_means_channel_off(httpserver, send, user, settings):
    settings.NOTIFICATIONS_WEBPUSH_VAPID_PRIVATE_KEY = ""
    WebPushSubscription.objects.create(
        user=user, endpoint="https://push.example/x", endpoint_hash="h", p256dh="k", auth="a"
    )
    send([user.id])
    assert not DeliveryAttempt.objects.exists()


def test_generate_vapid_keys_prints_a_usable_pair(capsys):
    from py_vapid import Vapid

    call_command("generate_vapid_keys")
    out = capsys.readouterr().out
    lines = dict(line.split(" = ") for line in out.strip().splitlines())
    private = lines["NOTIFICATIONS_WEBPUSH_VAPID_PRIVATE_KEY"].strip('"')
    public = lines["NOTIFICATIONS_WEBPUSH_VAPID_PUBLIC_KEY"].strip('"')
    vapid = Vapid.from_string(private_key=private)
    raw = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    assert b64(raw) == public


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"endpoint": "not a url"}, "endpoint"),
        ({"keys": {"p256dh": "short", "auth": "AAAAAAAAAAAAAAAAAAAAAA"}}, "keys"),
        ({"keys": {"p256dh": None, "auth": "x"}}, "keys"),
        ({"keys": "nope"}, "keys"),
    ],
)
def test_malformed_subscription_is_refused(httpserver, user, change, field):
    body = {**Browser(httpserver.url_for("/push/x")).subscription, **change}
    from django.test import Client

    client = Client()
    client.force_login(user)
    response = client.post(
        "/api/notifications/webpush-subscriptions/", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 400 and field in response.json()
    assert not WebPushSubscription.objects.exists()


def test_delete_removes_only_my_subscription(httpserver, user, other):
    from django.test import Client

    browser = Browser(httpserver.url_for("/push/mine"))
    _subscribe(user, browser)
    client = Client()
    client.force_login(other)
    body = json.dumps({"endpoint": browser.subscription["endpoint"]})
    url = "/api/notifications/webpush-subscriptions/"
    assert client.delete(url, body, content_type="application/json").status_code == 404
    assert WebPushSubscription.objects.filter(user=user).exists()
    client.force_login(user)
    assert client.delete(url, body, content_type="application/json").status_code == 204
    assert not WebPushSubscription.objects.exists()


def test_get_answers_the_public_key(user, vapid):
    from django.test import Client

    client = Client()
    client.force_login(user)
    assert client.get("/api/notifications/webpush-subscriptions/").json() == {"public_key": vapid, "subscriptions": 0}
