"""Server-side request forgery: private, loopback, link-local and metadata targets are refused, at
registration and at send time, including names that resolve to such addresses, unless allow-listed."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from platform_notifications.channels.webhook import http, ssrf
from platform_notifications.channels.webhook.views import new_secret
from platform_notifications.models import DeliveryAttempt, WebhookEndpoint, WebPushSubscription

pytestmark = pytest.mark.django_db

UNSAFE = [
    "http://127.0.0.1/hook",
    "http://localhost:8080/hook",  # a DNS name resolving to loopback
    "http://10.1.2.3/hook",
    "http://192.168.0.10/hook",
    "http://172.16.5.4/hook",
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "http://100.100.100.200/",  # another cloud's metadata
    "http://[::1]/hook",
    "http://[fd00:ec2::254]/",
    "http://[::ffff:127.0.0.1]/hook",  # IPv4-mapped loopback
    "http://0.0.0.0/hook",
    "http://2130706433/hook",  # 127.0.0.1 as one integer
    "ftp://example.com/hook",
    "http://user:pass@example.com/hook",
]


@pytest.fixture
def strict(settings):
    settings.NOTIFICATIONS_WEBHOOK_ALLOWED_HOSTS = []


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("url", UNSAFE)
def test_registration_refuses_unsafe_urls(strict, user, url):
    response = _client(user).post(
        "/api/notifications/webhooks/", json.dumps({"url": url}), content_type="application/json"
    )
    assert response.status_code == 400, response.content
    assert "url" in response.json()
    assert not WebhookEndpoint.objects.exists()


def test_name_resolving_to_private_address_is_refused(strict, monkeypatch):
    real = ssrf.socket.getaddrinfo

    def fake(host, *args, **kwargs):
        if host == "internal.example.com":
            return [(2, 1, 6, "", ("10.0.0.7", 443))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(ssrf.socket, "getaddrinfo", fake)
    with pytest.raises(ssrf.UnsafeURL, match="10.0.0.7"):
        ssrf.check_url("https://internal.example.com/hook")


def test_allow_list_by_host_and_network(settings):
    settings.NOTIFICATIONS_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.0/8"]
    assert ssrf.check_url("http://127.0.0.1:9/") == ["127.0.0.1"]
    settings.NOTIFICATIONS_WEBHOOK_ALLOWED_HOSTS = ["localhost"]
    ssrf.check_url("http://localhost:9/")
    with pytest.raises(ssrf.UnsafeURL):
        ssrf.check_url("http://127.0.0.1:9/")


def test_send_time_check_refuses_an_address_no_longer_allowed(httpserver, send, user, settings):
    endpoint = WebhookEndpoint.objects.create(user=user, url=httpserver.url_for("/hook"), secret=new_secret())
    settings.NOTIFICATIONS_WEBHOOK_ALLOWED_HOSTS = []
    httpserver.expect_request("/hook").respond_with_data("ok")
    send([user.id])
    row = DeliveryAttempt.objects.get()
    assert row.status == DeliveryAttempt.Status.FAILED and "loopback" in row.error  # refused: never retried
    assert httpserver.log == []
    assert endpoint.pk


def test_rebinding_is_caught_when_the_socket_connects(httpserver, settings, monkeypatch):
    """A name that resolved to a public address at the check and to loopback at connect is refused."""
    settings.NOTIFICATIONS_WEBHOOK_ALLOWED_HOSTS = []
    monkeypatch.setattr(http, "check_url", lambda url: ["93.184.216.34"])
    httpserver.expect_request("/hook").respond_with_data("ok")
    answer = http.post(http.guarded_session(), httpserver.url_for("/hook"), b"{}", {})
    assert answer.status is None and answer.error.startswith("refused:") and not answer.retryable
    assert httpserver.log == []


def test_redirects_are_not_followed(httpserver):
    httpserver.expect_request("/hook").respond_with_data("", status=302, headers={"Location": "http://10.0.0.1/"})
    answer = http.post(http.guarded_session(), httpserver.url_for("/hook"), b"{}", {})
    assert answer.status == 302 and not answer.retryable


def test_web_push_endpoint_to_private_address_is_refused(strict, user):
    body = {"endpoint": "https://169.254.169.254/push", "keys": {"p256dh": "B" + "A" * 86, "auth": "A" * 22}}
    response = _client(user).post(
        "/api/notifications/webpush-subscriptions/", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 400 and "endpoint" in response.json()
    assert not WebPushSubscription.objects.exists()
