"""Mobile push: the provider is replaced at the library's send boundary (firebase-admin's ``send_each``,
aioapns's client) and the payloads, retries and token deactivation are asserted."""

from __future__ import annotations

import pytest
from aioapns.common import NotificationResult
from firebase_admin import exceptions as fb_errors
from firebase_admin import messaging
from push_notifications.models import APNSDevice, GCMDevice

from platform_notifications.models import DeliveryAttempt, Notification
from tests.factories import NotificationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("push_on")]
S = DeliveryAttempt.Status
FCM_TOKEN = "f" * 40 + ":APA91b" + "x" * 120
APNS_TOKEN = "ab" * 32


class FakeFCM:
    """``messaging.send_each``: records every message, answers per token from ``answers``."""

    def __init__(self, answers=None):
        self.sent: list[messaging.Message] = []
        self.answers = answers or {}

    def __call__(self, messages, dry_run=False, app=None):
        self.sent.extend(messages)
        responses = []
        for message in messages:
            error = self.answers.get(message.token)
            responses.append(
                messaging.SendResponse(None if error else {"name": f"projects/p/messages/{len(self.sent)}"}, error)
            )
        return messaging.BatchResponse(responses)


@pytest.fixture
def fcm(monkeypatch):
    fake = FakeFCM()
    monkeypatch.setattr(messaging, "send_each", fake)
    return fake


class FakeAPNs:
    def __init__(self, status="200", description=None):
        self.requests = []
        self.status, self.description = status, description

    async def send_notification(self, request):
        self.requests.append(request)
        return NotificationResult(request.notification_id, self.status, self.description)


@pytest.fixture
def apns(monkeypatch, settings):
    settings.PUSH_NOTIFICATIONS_SETTINGS = {"APNS_TOPIC": "org.example.app"}
    fake = FakeAPNs()
    from push_notifications import apns_async

    monkeypatch.setattr(apns_async, "_create_client", lambda **kwargs: fake)
    return fake


def test_fcm_payload_title_body_url_id_and_badge(fcm, send, user):
    GCMDevice.objects.create(user=user, registration_id=FCM_TOKEN, cloud_message_type="FCM")
    NotificationFactory.create_batch(2, user=user)  # two unread already
    send([user.id])
    (message,) = fcm.sent
    notification = Notification.objects.filter(user=user).latest("id")
    assert message.token == FCM_TOKEN
    assert message.notification.title == "Activity in the course discussion forums"
    assert "Ana" in message.notification.body and "<" not in message.notification.body
    assert message.data == {"notification_id": str(notification.pk), "url": "http://localhost:8000/courses/x/posts/1"}
    assert message.android.notification.notification_count == 3
    assert message.apns.payload.aps.badge == 3
    row = DeliveryAttempt.objects.get(channel="push")
    assert row.status == S.SENT and row.provider_message_id == "projects/p/messages/1"


def test_unregistered_fcm_token_is_deactivated(fcm, send, user):
    device = GCMDevice.objects.create(user=user, registration_id=FCM_TOKEN, cloud_message_type="FCM")
    fcm.answers[FCM_TOKEN] = messaging.UnregisteredError("gone")
    send([user.id])
    device.refresh_from_db()
    assert not device.active
    row = DeliveryAttempt.objects.get()
    assert row.status == S.FAILED and "UnregisteredError" in row.error
    send([user.id])  # no active device left: nothing more is attempted
    assert len(fcm.sent) == 1 and DeliveryAttempt.objects.count() == 1


def test_fcm_outage_is_retried(fcm, send, user):
    GCMDevice.objects.create(user=user, registration_id=FCM_TOKEN, cloud_message_type="FCM")
    fcm.answers[FCM_TOKEN] = fb_errors.UnavailableError("try later")
    send([user.id])
    statuses = list(DeliveryAttempt.objects.order_by("attempt").values_list("status", "attempt"))
    assert statuses == [(S.RETRYING, 1), (S.QUEUED, 2)]
    assert GCMDevice.objects.get().active


def test_apns_payload_and_badge(apns, send, user):
    APNSDevice.objects.create(user=user, registration_id=APNS_TOKEN)
    send([user.id])
    (request,) = apns.requests
    aps = request.message["aps"]
    assert request.device_token == APNS_TOKEN
    assert "Ana" in aps["alert"]["body"] and aps["badge"] == 1
    assert request.message["notification_id"] == str(Notification.objects.get().pk)
    assert DeliveryAttempt.objects.get().status == S.SENT


def test_bad_apns_token_is_deactivated(apns, send, user):
    apns.status, apns.description = "400", "BadDeviceToken"
    device = APNSDevice.objects.create(user=user, registration_id=APNS_TOKEN)
    send([user.id])
    device.refresh_from_db()
    assert not device.active
    assert DeliveryAttempt.objects.get().status == S.FAILED


def test_push_flag_off_sends_nothing(fcm, send, user, flags):
    flags("notifications.enable_push_notifications", active_value=False)
    GCMDevice.objects.create(user=user, registration_id=FCM_TOKEN, cloud_message_type="FCM")
    send([user.id])
    assert fcm.sent == [] and not DeliveryAttempt.objects.exists()


def test_hidden_push_column_sends_nothing(fcm, send, user, settings):
    settings.NOTIFICATIONS_ENABLE_SHOW_PUSH_CHANNEL = False
    GCMDevice.objects.create(user=user, registration_id=FCM_TOKEN, cloud_message_type="FCM")
    send([user.id])
    assert fcm.sent == []


def test_push_preference_off_sends_nothing(fcm, send, user, settings):
    settings.NOTIFICATION_APPS_OVERRIDE = {"discussion": {"push": False}}
    settings.NOTIFICATION_TYPES_OVERRIDE = {"new_response": {"push": False}}
    GCMDevice.objects.create(user=user, registration_id=FCM_TOKEN, cloud_message_type="FCM")
    send([user.id])
    assert fcm.sent == []


@pytest.mark.parametrize("recipients", [5, 30])
def test_a_send_batch_costs_the_same_queries_whatever_its_size(fcm, send, recipients, django_assert_num_queries):
    from platform_notifications.channels import dispatch
    from tests.factories import UserFactory

    users = UserFactory.create_batch(recipients)
    for i, u in enumerate(users):
        GCMDevice.objects.create(user=u, registration_id=FCM_TOKEN + str(i), cloud_message_type="FCM")
    send([u.id for u in users])
    assert DeliveryAttempt.objects.filter(status=S.SENT).count() == recipients == len(fcm.sent)
    ids = list(DeliveryAttempt.objects.values_list("pk", flat=True))
    DeliveryAttempt.objects.update(status=S.QUEUED)
    # Claim, load, FCM devices, APNs devices, unread badges; in a savepoint pair one UPDATE of the statuses
    # and one of the provider message ids.
    with django_assert_num_queries(9):
        dispatch.run("push", ids)
