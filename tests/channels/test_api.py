"""The registration endpoints: devices, webhooks; bad input refused with nothing stored; no one else's rows."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from push_notifications.models import APNSDevice, GCMDevice

from platform_notifications.models import DeliveryAttempt, WebhookEndpoint

pytestmark = pytest.mark.django_db
API = "/api/notifications/"
FCM_TOKEN = "d" * 30 + ":APA91b" + "y" * 140
APNS_TOKEN = "0f" * 32


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client, path, body):
    return client.post(API + path, json.dumps(body), content_type="application/json")


def test_register_list_and_remove_devices(user):
    client = client_of(user)
    fcm = post(client, "devices/", {"platform": "fcm", "registration_id": FCM_TOKEN, "name": "Pixel"})
    apns = post(client, "devices/", {"platform": "apns", "registration_id": APNS_TOKEN})
    assert fcm.status_code == apns.status_code == 201
    listed = client.get(API + "devices/").json()
    assert [(d["platform"], d["name"], d["active"]) for d in listed] == [("fcm", "Pixel", True), ("apns", "", True)]
    assert client.delete(API + f"devices/{fcm.json()['id']}/").status_code == 204
    assert not GCMDevice.objects.exists() and APNSDevice.objects.count() == 1


def test_token_registered_by_another_user_moves_to_them(user, other):
    post(client_of(user), "devices/", {"platform": "fcm", "registration_id": FCM_TOKEN})
    GCMDevice.objects.update(active=False)
    post(client_of(other), "devices/", {"platform": "fcm", "registration_id": FCM_TOKEN})
    device = GCMDevice.objects.get()
    assert device.user == other and device.active
    assert client_of(user).get(API + "devices/").json() == []


@pytest.mark.parametrize(
    "body",
    [
        {"platform": "fcm", "registration_id": "short"},
        {"platform": "fcm", "registration_id": "bad token with spaces" * 10},
        {"platform": "apns", "registration_id": "zz" * 32},
        {"platform": "apns", "registration_id": FCM_TOKEN},
        {"platform": "wns", "registration_id": APNS_TOKEN},
        {"registration_id": APNS_TOKEN},
        {"platform": "apns", "registration_id": APNS_TOKEN, "name": "n" * 300},
    ],
)
def test_malformed_device_is_refused(user, body):
    response = post(client_of(user), "devices/", body)
    assert response.status_code == 400 and response.json()
    assert not GCMDevice.objects.exists() and not APNSDevice.objects.exists()


@pytest.mark.parametrize("device_id", ["fcm-{pk}", "apns-{pk}", "x-1", "fcm-abc", "fcm-"])
def test_someone_elses_or_unknown_device_is_404(user, other, device_id):
    mine = post(client_of(user), "devices/", {"platform": "fcm", "registration_id": FCM_TOKEN}).json()
    pk = mine["id"].split("-")[1]
    response = client_of(other).delete(API + f"devices/{device_id.format(pk=pk)}/")
    assert response.status_code == 404
    assert GCMDevice.objects.filter(user=user).exists()


@pytest.mark.parametrize("device_id", ["archive", "unarchive", "open", "read", "events", "mute", "unmute"])
def test_a_device_id_named_like_a_notification_action_is_still_a_device(user, device_id):
    # The routes of one notification by id come after the fixed prefixes: this is an unknown device (404), not
    # the action of a notification called "devices" (which answered 405 to a DELETE).
    response = client_of(user).delete(API + f"devices/{device_id}/")
    assert response.status_code == 404


def test_anonymous_is_refused():
    client = Client()
    for path in ("devices/", "webhooks/", "deliveries/"):
        assert client.get(API + path).status_code == 401
    assert post(client, "webpush-subscriptions/", {}).status_code == 401


def test_register_webhook_answers_the_secret_once(user, httpserver):
    client = client_of(user)
    response = post(client, "webhooks/", {"url": httpserver.url_for("/h"), "apps": ["discussion"]})
    assert response.status_code == 201
    body = response.json()
    assert body["secret"].startswith("whsec_") and body["apps"] == ["discussion"]
    assert WebhookEndpoint.objects.get().secret == body["secret"]
    listed = client.get(API + "webhooks/").json()
    assert len(listed) == 1 and "secret" not in listed[0]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "notaurl"}, "url"),
        ({"url": "https://hooks.example.org/x", "apps": ["nosuchapp"]}, "apps"),
        ({"url": "https://hooks.example.org/x", "kinds": ["nosuchtype"]}, "kinds"),
        ({"url": "https://hooks.example.org/x", "min_level": "LOUD"}, "min_level"),
        ({"url": "https://hooks.example.org/x", "kind": "sms"}, "kind"),
    ],
)
def test_malformed_webhook_is_refused(user, body, field):
    response = post(client_of(user), "webhooks/", body)
    assert response.status_code == 400 and field in response.json()
    assert not WebhookEndpoint.objects.exists()


def test_someone_elses_webhook_is_404(user, other, httpserver):
    endpoint = post(client_of(user), "webhooks/", {"url": httpserver.url_for("/h")}).json()
    assert client_of(other).delete(API + f"webhooks/{endpoint['id']}/").status_code == 404
    assert WebhookEndpoint.objects.exists()
    assert client_of(user).delete(API + f"webhooks/{endpoint['id']}/").status_code == 204


def test_deliveries_show_only_my_own(user, other, httpserver, send):
    WebhookEndpoint.objects.create(user=user, url=httpserver.url_for("/h"), secret="whsec_" + "A" * 32)
    WebhookEndpoint.objects.create(user=other, url=httpserver.url_for("/h"), secret="whsec_" + "A" * 32)
    httpserver.expect_request("/h").respond_with_data("no", status=400)
    send([user.id, other.id])
    assert DeliveryAttempt.objects.failed().count() == 2
    mine = client_of(user).get(API + "deliveries/", {"status": "failed"}).json()
    assert len(mine) == 1
    assert DeliveryAttempt.objects.get(pk=mine[0]["id"]).user == user
    assert "target" not in mine[0] and mine[0]["error"] == "HTTP 400"
