"""REST beside the Open edX paths: all-app list, read one, mark all read, unread count, scope, events, subscriptions,
flat preferences; someone else's rows are 404 and anonymous callers 401."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from platform_notifications import service
from platform_notifications.models import NotificationPreference, ScopedPreference, Subscription
from tests.factories import NotificationFactory, UserFactory
from tests.kinds.conftest import ALERT, PAYMENT

API = "/api/notifications/"
PREFS = "/api/notification-preferences/"


class Api:
    def __init__(self, user=None):
        self.client = Client()
        if user is not None:
            self.client.force_login(user)

    def call(self, method, path, body=None, **params):
        if method == "get":
            return self.client.get(path, params)
        query = "?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else ""
        data = json.dumps(body) if body is not None else ""
        return getattr(self.client, method)(path + query, data, content_type="application/json")


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def api(user):
    return Api(user)


@pytest.fixture
def sent(db, on, user, alert_kind, payment_kind, committed):
    """Two scopes, two kinds, plus an Open edX row."""
    team1 = committed(service.notify, user, ALERT, title="down", scope="team:1", event_data={"id": 1})
    team2 = committed(service.notify, user, ALERT, title="slow", scope="team:2", level="warning")
    bill = committed(service.notify, user, PAYMENT, title="Pay", links={"Pay": "/pay"})
    course = NotificationFactory(user=user)
    return {"team1": team1, "team2": team2, "bill": bill, "course": course}


def test_list_every_app_newest_first_with_kind_fields(api, sent):
    body = api.call("get", API).json()
    assert [item["id"] for item in body["results"]] == [sent[k].pk for k in ("course", "bill", "team2", "team1")]
    bill = body["results"][1]
    assert (bill["kind"], bill["title"], bill["links"], bill["level"], bill["priority"]) == (
        PAYMENT,
        "Pay",
        [{"label": "Pay", "url": "/pay"}],
        "info",
        3,
    )


def test_scope_on_list_count_unread_and_mark_all_read(api, sent):
    assert [i["id"] for i in api.call("get", API, scope="team:1").json()["results"]] == [sent["team1"].pk]
    assert api.call("get", API + "count/", scope="team:2").json()["count_by_app_name"]["alerts"] == 1
    assert api.call("get", API + "unread-count/").json() == {"count": 4}
    assert api.call("get", API + "unread-count/", scope="team:1").json() == {"count": 1}
    assert api.call("post", API + "mark-all-read/", scope="team:1").status_code == 200
    assert api.call("get", API + "unread-count/").json() == {"count": 3}
    assert api.call("post", API + "mark-all-read/").json()["count"] == 3
    assert api.call("get", API + "unread-count/").json() == {"count": 0}


def test_read_one_and_someone_elses_is_404(api, sent, db):
    assert api.call("patch", API + f"{sent['bill'].pk}/read/").status_code == 200
    sent["bill"].refresh_from_db()
    assert sent["bill"].last_read is not None
    theirs = NotificationFactory(user=UserFactory())
    assert api.call("patch", API + f"{theirs.pk}/read/").status_code == 404
    assert api.call("get", API + f"{theirs.pk}/events/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.last_read is None
    assert api.call("patch", API + "abc/read/").status_code == 400


def test_events_lists_every_occurrence(api, user, sent, committed):
    committed(service.notify, user, ALERT, title="up", level="info", scope="team:1", event_data={"id": 1})
    events = api.call("get", API + f"{sent['team1'].pk}/events/").json()["results"]
    assert [(e["title"], e["level"]) for e in events] == [("up", "info"), ("down", "info")]


def test_anonymous_is_401(db):
    anonymous = Api()
    for method, path in [
        ("get", API + "unread-count/"),
        ("post", API + "mark-all-read/"),
        ("patch", API + "1/read/"),
        ("get", API + "1/events/"),
        ("get", API + "subscriptions/"),
        ("get", PREFS),
        ("patch", PREFS),
    ]:
        assert anonymous.call(method, path, {}).status_code == 401, path


def test_subscriptions(api, user, settings):
    settings.NOTIFICATION_FOLLOWABLE_MODELS = ["auth.group"]
    group = Group.objects.create(name="forum-thread")
    target = {"object": "auth.group", "pk": group.pk}
    assert api.call("post", API + "subscriptions/", target).status_code == 201
    assert api.call("post", API + "subscriptions/", target).status_code == 200
    assert service.is_following(user, group)
    listed = api.call("get", API + "subscriptions/").json()["results"]
    assert [(r["object"], r["pk"]) for r in listed] == [("auth.group", str(group.pk))]
    # Not followable, or no such object: 400, nothing stored.
    assert api.call("post", API + "subscriptions/", {"object": "auth.user", "pk": user.pk}).status_code == 400
    assert api.call("post", API + "subscriptions/", {"object": "auth.group", "pk": 999}).status_code == 400
    # Someone else's subscription cannot be removed through mine.
    other = UserFactory()
    service.follow(other, group)
    assert api.call("delete", API + "subscriptions/", target).status_code == 204
    assert api.call("delete", API + "subscriptions/", target).status_code == 404
    assert Subscription.objects.filter(user=other).count() == 1


def test_flat_preferences_global_and_scoped(api, user, db, on, alert_kind, payment_kind, register_kind, committed):
    register_kind("security.login", "New login", can_suppress=False)
    rows = {r["kind"]: r for r in api.call("get", PREFS).json()["results"]}
    assert "security.login" not in rows  # cannot be suppressed: not shown
    assert rows[PAYMENT] == {
        "kind": PAYMENT,
        "app": "billing",
        "display_name": "Payment due",
        "web": True,
        "email": True,
        "push": False,
        "email_cadence": "Daily",
        "editable": ["email", "push", "web"],
    }
    assert "discussion.new_response" in rows or any(k.startswith("discussion.") for k in rows)
    changed = api.call("patch", PREFS, {"kind": PAYMENT, "email": False})
    assert changed.status_code == 200 and changed.json()["email"] is False
    assert NotificationPreference.objects.get(user=user, notification_type=PAYMENT).email is False
    # Off in-app for team 1 only.
    assert api.call("patch", PREFS, {"kind": ALERT, "web": False, "email": False}, scope="team:1").status_code == 200
    assert ScopedPreference.objects.get(user=user, scope="team:1").web is False
    assert api.call("get", PREFS, scope="team:1").json()["results"][0]["kind"]
    assert committed(service.notify, user, ALERT, title="x", scope="team:1") is None
    assert committed(service.notify, user, ALERT, title="x", scope="team:2") is not None
    assert committed(service.notify, user, ALERT, title="x") is not None
    # Refusals.
    assert api.call("patch", PREFS, {"kind": "security.login", "web": False}).status_code == 400
    assert api.call("patch", PREFS, {"kind": PAYMENT, "sms": True}).status_code == 400
    assert api.call("patch", PREFS, {"kind": PAYMENT, "email": "maybe"}).status_code == 400
