"""Throttling of interrupting channels: past a limit deliveries are held, then sent as one summary."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from platform_notifications.channels import dispatch, throttle
from platform_notifications.channels.webhook.channel import WebhookChannel
from platform_notifications.models import DeliveryAttempt, WebhookEndpoint
from tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db
S = DeliveryAttempt.Status


@pytest.fixture
def limited(settings):
    settings.NOTIFICATIONS_THROTTLE = {"window_seconds": 600, "per_kind": 2, "overall": 3}


@pytest.fixture
def hook(user, httpserver):
    WebhookEndpoint.objects.create(user=user, url=httpserver.url_for("/h"), secret="whsec_" + "A" * 32)
    httpserver.expect_request("/h").respond_with_data("ok")


def test_past_the_per_kind_limit_items_are_held_then_summarised(
    limited, hook, send, user, httpserver, django_capture_on_commit_callbacks
):
    for _ in range(5):
        send([user.id])
    statuses = list(DeliveryAttempt.objects.order_by("pk").values_list("status", flat=True))
    assert statuses == [S.SENT, S.SENT, S.HELD, S.HELD, S.HELD]
    assert len(httpserver.log) == 2
    with time_machine.travel(timezone.now() + timedelta(seconds=601)), django_capture_on_commit_callbacks(execute=True):
        assert dispatch.release_held("webhook") == 1
    assert DeliveryAttempt.objects.filter(status=S.SUMMARIZED).count() == 3
    summary = DeliveryAttempt.objects.get(kind="summary")
    assert summary.status == S.SENT and summary.payload == {"count": 3}
    body = json.loads(httpserver.log[-1][0].get_data())
    assert body["type"] == "notification.summary" and body["data"]["title"] == "3 more notifications"
    assert body["data"]["count"] == 3


def test_overall_limit_spans_kinds(limited, hook, send, user):
    send([user.id], "new_response")
    send([user.id], "new_response")
    send([user.id], "new_comment", context={"replier_name": "A", "author_name": "B", "post_title": "T"})
    send([user.id], "new_comment", context={"replier_name": "A", "author_name": "B", "post_title": "T"})
    statuses = list(DeliveryAttempt.objects.order_by("pk").values_list("status", flat=True))
    assert statuses == [S.SENT, S.SENT, S.SENT, S.HELD]


def test_nothing_is_held_before_its_window_ends(limited, hook, send, user):
    for _ in range(3):
        send([user.id])
    assert dispatch.release_held("webhook") == 0
    assert DeliveryAttempt.objects.filter(status=S.HELD).count() == 1


def test_off_means_nothing_held(hook, send, user, settings):
    settings.NOTIFICATIONS_THROTTLE = None
    for _ in range(4):
        send([user.id])
    assert not DeliveryAttempt.objects.exclude(status=S.SENT).exists()


def test_critical_is_never_held(limited, user):
    now = timezone.now()
    rows = []
    for index in range(4):
        notification = NotificationFactory(user=user)
        notification.priority = "CRITICAL" if index == 3 else ""
        rows.append(
            DeliveryAttempt(channel="webhook", user=user, notification=notification, kind="discussion/new_response")
        )
    throttle.apply(WebhookChannel(), rows, now)
    assert [row.status for row in rows] == [S.QUEUED, S.QUEUED, S.HELD, S.QUEUED]


def test_the_sweep_releases_held_rows_whose_task_was_lost(
    limited, hook, send, user, httpserver, django_capture_on_commit_callbacks
):
    for _ in range(3):
        send([user.id])
    with time_machine.travel(timezone.now() + timedelta(seconds=601)), django_capture_on_commit_callbacks(execute=True):
        dispatch.sweep()
    assert DeliveryAttempt.objects.get(kind="summary").status == S.SENT
