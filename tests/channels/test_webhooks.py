"""Webhooks end to end against a loopback receiver: Standard Webhooks signature, retries, disabling."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from standardwebhooks.webhooks import Webhook
from werkzeug import Response

from platform_notifications.channels import dispatch
from platform_notifications.channels.webhook import http
from platform_notifications.channels.webhook.views import new_secret
from platform_notifications.models import DeliveryAttempt, Notification, WebhookEndpoint

S = DeliveryAttempt.Status


def _endpoint(user, httpserver, path="/hook", **fields):
    return WebhookEndpoint.objects.create(user=user, url=httpserver.url_for(path), secret=new_secret(), **fields)


def test_a_notification_is_posted_signed_and_logged(httpserver, send, user):
    endpoint = _endpoint(user, httpserver)
    httpserver.expect_oneshot_request("/hook", method="POST").respond_with_data("ok")
    send([user.id])
    ((request, _),) = httpserver.log
    payload = Webhook(endpoint.secret).verify(request.get_data(), dict(request.headers))
    notification = Notification.objects.get(user=user)
    assert payload["type"] == "notification.created"
    assert payload["data"]["id"] == notification.pk
    assert payload["data"]["user_id"] == user.id
    assert payload["data"]["url"] == "http://localhost:8000/courses/x/posts/1"
    assert "Ana" in payload["data"]["body"] and "<" not in payload["data"]["body"]
    row = DeliveryAttempt.objects.get(channel="webhook")
    assert (row.status, row.attempt, row.user_id, row.notification_id) == (S.SENT, 1, user.id, notification.pk)
    assert row.provider_message_id == request.headers["webhook-id"]


def test_a_tampered_body_fails_verification(httpserver, send, user):
    endpoint = _endpoint(user, httpserver)
    httpserver.expect_oneshot_request("/hook").respond_with_data("ok")
    send([user.id])
    request = httpserver.log[0][0]
    with pytest.raises(Exception, match="signature"):
        Webhook(endpoint.secret).verify(request.get_data().replace(b"Ana", b"Bob"), dict(request.headers))


def test_narrowed_endpoint_gets_only_its_kinds(httpserver, send, user):
    _endpoint(user, httpserver, kinds=["new_comment"])
    send([user.id])  # new_response
    assert httpserver.log == []
    assert not DeliveryAttempt.objects.exists()


def test_5xx_retries_with_backoff_then_succeeds(httpserver, send, user):
    _endpoint(user, httpserver)
    httpserver.expect_ordered_request("/hook").respond_with_data("down", status=503)
    httpserver.expect_ordered_request("/hook").respond_with_data("ok")
    send([user.id])
    first, second = DeliveryAttempt.objects.order_by("attempt")
    assert (first.status, first.error) == (S.RETRYING, "HTTP 503")
    assert second.status == S.QUEUED and second.attempt == 2
    delay = (second.scheduled_at - first.finished_at).total_seconds()
    assert 15 <= delay <= 30.5  # equal jitter on a 30 s base: between half and all of it
    with time_machine.travel(second.scheduled_at + timedelta(seconds=1)):
        dispatch.run("webhook", [second.pk])
    second.refresh_from_db()
    assert second.status == S.SENT
    # Same webhook-id on the retry, so the receiver can drop a duplicate.
    assert httpserver.log[0][0].headers["webhook-id"] == httpserver.log[1][0].headers["webhook-id"]


def test_4xx_is_not_retried(httpserver, send, user):
    _endpoint(user, httpserver)
    httpserver.expect_request("/hook").respond_with_data("nope", status=422)
    send([user.id])
    row = DeliveryAttempt.objects.get()
    assert (row.status, row.error) == (S.FAILED, "HTTP 422")


def test_timeout_is_retried(httpserver, send, user, settings):
    settings.NOTIFICATIONS_WEBHOOK_TOTAL_TIMEOUT = 0.3
    _endpoint(user, httpserver)

    def slow(request):
        time.sleep(1)
        return Response("late")

    httpserver.expect_request("/hook").respond_with_handler(slow)
    send([user.id])
    first = DeliveryAttempt.objects.get(attempt=1)
    assert first.status == S.RETRYING and "Timeout" in first.error


def test_response_is_read_only_up_to_the_limit(httpserver, settings):
    settings.NOTIFICATIONS_WEBHOOK_MAX_RESPONSE_BYTES = 1000
    httpserver.expect_request("/big").respond_with_data("x" * 200_000)
    answer = http.post(http.guarded_session(), httpserver.url_for("/big"), b"{}", {})
    assert answer.status == 200 and len(answer.body) == 1000 and "over 1000 bytes" in answer.error


def test_failing_endpoint_is_disabled_and_its_owner_told(httpserver, send, user, settings):
    settings.NOTIFICATIONS_WEBHOOK_DISABLE_AFTER_FAILURES = 2
    endpoint = _endpoint(user, httpserver)
    httpserver.expect_request("/hook").respond_with_data("gone", status=404)
    send([user.id])
    endpoint.refresh_from_db()
    assert endpoint.active and endpoint.consecutive_failures == 1
    send([user.id])
    endpoint.refresh_from_db()
    assert not endpoint.active and endpoint.disabled_at is not None
    assert [m.to for m in mail.outbox] == [[user.email]]
    assert endpoint.url in mail.outbox[0].body
    send([user.id])  # disabled: nothing more is attempted
    assert len(httpserver.log) == 2


def test_success_resets_the_failure_count(httpserver, send, user):
    endpoint = _endpoint(user, httpserver)
    endpoint.consecutive_failures = 3
    endpoint.save()
    httpserver.expect_request("/hook").respond_with_data("ok")
    send([user.id])
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0


def test_operator_endpoint_per_app_gets_one_delivery_per_request(httpserver, send, settings):
    from tests.factories import UserFactory

    users = UserFactory.create_batch(3)
    secret = new_secret()
    settings.NOTIFICATIONS_WEBHOOK_ENDPOINTS = {"discussion": [{"url": httpserver.url_for("/ops"), "secret": secret}]}
    settings.NOTIFICATION_CREATION_BATCH_SIZE = 1  # three chunks: still one delivery
    httpserver.expect_request("/ops").respond_with_data("ok")
    send([u.id for u in users])
    ((request, _),) = httpserver.log
    Webhook(secret).verify(request.get_data(), dict(request.headers))
    row = DeliveryAttempt.objects.get(channel="webhook")
    assert row.user_id is None and row.status == S.SENT


def test_admin_retry_action_queues_a_new_attempt(httpserver, send, user, admin_client):
    _endpoint(user, httpserver)
    httpserver.expect_ordered_request("/hook").respond_with_data("no", status=400)
    httpserver.expect_ordered_request("/hook").respond_with_data("ok")
    send([user.id])
    failed = DeliveryAttempt.objects.get()
    assert failed.status == S.FAILED
    response = admin_client.post(
        "/admin/platform_notifications/deliveryattempt/",
        {"action": "retry", "_selected_action": [failed.pk]},
    )
    assert response.status_code == 302
    retried = DeliveryAttempt.objects.get(attempt=2)
    dispatch.run("webhook", [retried.pk])  # the after-commit enqueue does not run in this test transaction
    retried.refresh_from_db()
    assert retried.status == S.SENT and len(httpserver.log) == 2


def test_lost_task_is_swept(httpserver, user, send, django_capture_on_commit_callbacks, monkeypatch):
    from platform_notifications.core import queue

    _endpoint(user, httpserver)
    httpserver.expect_request("/hook").respond_with_data("ok")
    real = queue.enqueue
    monkeypatch.setattr(
        queue, "enqueue", lambda name, args, **kw: False if name == queue.DELIVER_ATTEMPTS else real(name, args, **kw)
    )
    send([user.id])
    row = DeliveryAttempt.objects.get()
    assert row.status == S.QUEUED
    monkeypatch.setattr(queue, "enqueue", real)
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert dispatch.sweep() == 1
    row.refresh_from_db()
    assert row.status == S.SENT


@pytest.mark.parametrize("recipients", [3, 12])
def test_a_webhook_batch_costs_the_same_queries_whatever_its_size(
    httpserver, send, recipients, django_assert_num_queries
):
    from tests.factories import UserFactory

    users = UserFactory.create_batch(recipients)
    for u in users:
        _endpoint(u, httpserver)
    httpserver.expect_request("/hook").respond_with_data("ok")
    send([u.id for u in users])
    ids = list(DeliveryAttempt.objects.values_list("pk", flat=True))
    DeliveryAttempt.objects.update(status=S.QUEUED)
    # Claim, load, the endpoints; in a savepoint pair one UPDATE of the statuses and one of the message ids;
    # the failure counters reset.
    with django_assert_num_queries(8):
        dispatch.run("webhook", ids)
    assert DeliveryAttempt.objects.filter(status=S.SENT).count() == recipients
