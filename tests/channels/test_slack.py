"""Slack incoming webhooks: Block Kit message, per-user and per-app channels with a minimum level."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from platform_notifications.channels.message import Message, at_least
from platform_notifications.channels.webhook.channel import SlackChannel, slack_blocks
from platform_notifications.models import DeliveryAttempt, WebhookEndpoint

pytestmark = pytest.mark.django_db


def test_user_slack_endpoint_gets_block_kit(httpserver, send, user):
    WebhookEndpoint.objects.create(user=user, kind="slack", url=httpserver.url_for("/slack"))
    httpserver.expect_request("/slack").respond_with_data("ok")
    send([user.id])
    ((request, _),) = httpserver.log
    body = json.loads(request.get_data())
    header, section, actions = body["blocks"]
    assert header["type"] == "header" and header["text"]["text"] == "Activity in the course discussion forums"
    assert "Ana" in section["text"]["text"]
    assert actions["elements"][0]["url"] == "http://localhost:8000/courses/x/posts/1"
    assert body["text"].startswith("[INFO]")
    assert "webhook-signature" not in request.headers
    assert DeliveryAttempt.objects.get(channel="slack").status == "sent"


def test_a_users_webhook_and_slack_endpoints_each_get_their_own_delivery(httpserver, send, user, other):
    """Both channels share one read of the chunk's endpoints; each keeps to its own kind and users."""
    WebhookEndpoint.objects.create(user=user, kind="slack", url=httpserver.url_for("/slack"))
    WebhookEndpoint.objects.create(
        user=user, kind="webhook", url=httpserver.url_for("/hook"), secret="whsec_" + "A" * 32
    )
    WebhookEndpoint.objects.create(user=other, kind="slack", url=httpserver.url_for("/not-sent-to"))
    httpserver.expect_request("/slack").respond_with_data("ok")
    httpserver.expect_request("/hook").respond_with_data("ok")
    send([user.id])
    assert sorted(r.path for r, _ in httpserver.log) == ["/hook", "/slack"]
    assert sorted(DeliveryAttempt.objects.values_list("channel", "user_id", "status")) == [
        ("slack", user.id, "sent"),
        ("webhook", user.id, "sent"),
    ]


def test_team_channel_with_minimum_level(httpserver, send, user, settings):
    settings.NOTIFICATIONS_SLACK_CHANNELS = [
        {"url": httpserver.url_for("/info"), "apps": ["discussion"], "min_level": "INFO"},
        {"url": httpserver.url_for("/warn"), "min_level": "WARNING"},
        {"url": httpserver.url_for("/other"), "apps": ["grading"]},
        {"url": httpserver.url_for("/team-b"), "courses": ["course-v1:Other+Team+B"]},
    ]
    httpserver.expect_request("/info").respond_with_data("ok")
    send([user.id])  # an Open edX notification: INFO
    assert [r.path for r, _ in httpserver.log] == ["/info"]
    assert DeliveryAttempt.objects.get().user_id is None


@pytest.mark.parametrize(
    ("level", "minimum", "expected"),
    [("ERROR", "WARNING", True), ("WARNING", "WARNING", True), ("INFO", "WARNING", False), ("CRITICAL", "ERROR", True),
     ("INFO", "INFO", True), ("ERROR", "bogus", True)],
)  # fmt: skip
def test_levels(level, minimum, expected):
    assert at_least(level, minimum) is expected


def test_a_level_field_is_read_when_notifications_have_one():
    endpoint = WebhookEndpoint(kind="slack", min_level="WARNING")
    error = SimpleNamespace(app_name="discussion", notification_type="new_response", level="error")
    info = SimpleNamespace(app_name="discussion", notification_type="new_response")
    assert SlackChannel()._accepts(endpoint, error) and not SlackChannel()._accepts(endpoint, info)


def test_link_buttons_and_unsafe_links_dropped():
    message = Message(
        "T", "B", "https://x.test/n/1", 1, links={"Bot": "https://x.test/bot", "Bad": "javascript:alert(1)"}
    )
    buttons = slack_blocks(message)["blocks"][-1]["elements"]
    assert [b["text"]["text"] for b in buttons] == ["Open", "Bot"]
