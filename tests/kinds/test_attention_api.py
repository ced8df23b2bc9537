"""``user-settings/`` and ``<id>/mute/``, ``<id>/unmute/``: values, bad input (400, nothing changed), 401, 404."""

from __future__ import annotations

import json
from datetime import time, timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from platform_notifications import service
from platform_notifications.models import Notification, ThreadMute, UserNotificationSettings
from tests.factories import NotificationFactory, UserFactory
from tests.kinds.conftest import ALERT

SETTINGS = "/api/notifications/user-settings/"


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def patch(client, body):
    return client.patch(SETTINGS, json.dumps(body), content_type="application/json")


@pytest.fixture
def user(db):
    return UserFactory()


def stored(user) -> dict:
    row = UserNotificationSettings.objects.filter(user=user).values().first() or {}
    row.pop("id", None)
    return row


def test_defaults(user):
    assert client_for(user).get(SETTINGS).json() == {
        "timezone": "",
        "language": "",
        "web_min_level": "INFO",
        "email_min_level": "INFO",
        "push_min_level": "INFO",
        "do_not_disturb": None,
        "do_not_disturb_until": None,
        "quiet_hours_start": None,
        "quiet_hours_end": None,
    }


def test_patch_changes_only_what_it_names(user):
    client = client_for(user)
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        body = patch(
            client,
            {
                "timezone": "Europe/Paris",
                "language": "fr-CA",
                "email_min_level": "WARNING",
                "do_not_disturb": "8h",
                "quiet_hours_start": "22:00",
                "quiet_hours_end": "07:30",
            },
        ).json()
    assert body["timezone"] == "Europe/Paris" and body["language"] == "fr-CA"
    assert (body["web_min_level"], body["email_min_level"]) == ("INFO", "WARNING")
    assert body["do_not_disturb"] == "8h"
    assert body["do_not_disturb_until"].startswith((now + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M"))
    assert (body["quiet_hours_start"], body["quiet_hours_end"]) == ("22:00", "07:30")
    row = UserNotificationSettings.objects.get(user=user)
    assert (row.quiet_hours_start, row.quiet_hours_end, row.email_min_level) == (time(22), time(7, 30), "warning")
    assert patch(client, {"push_min_level": "ERROR"}).json()["timezone"] == "Europe/Paris"
    assert patch(client, {"quiet_hours_start": None, "quiet_hours_end": None}).json()["quiet_hours_start"] is None
    assert patch(client, {"do_not_disturb": None}).json()["do_not_disturb"] is None
    # Read back as sent by a client that echoes the whole answer: the read-only field is ignored.
    echoed = client.get(SETTINGS).json()
    assert patch(client, echoed).status_code == 200


def test_do_not_disturb_ends_by_itself(user):
    client = client_for(user)
    patch(client, {"do_not_disturb": "1h"})
    with time_machine.travel(timezone.now() + timedelta(hours=1, seconds=1), tick=False):
        body = client.get(SETTINGS).json()
    assert (body["do_not_disturb"], body["do_not_disturb_until"]) == (None, None)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": "../../etc/passwd"}, "timezone"),
        ({"quiet_hours_start": "25:00", "quiet_hours_end": "07:00"}, "quiet_hours_start"),
        ({"quiet_hours_start": "22:00", "quiet_hours_end": "7am"}, "quiet_hours_end"),
        ({"quiet_hours_start": "22:00"}, "quiet_hours_end"),
        ({"quiet_hours_start": "22:00", "quiet_hours_end": "22:00"}, "quiet_hours_end"),
        ({"web_min_level": "CRITICAL"}, "web_min_level"),
        ({"email_min_level": "loud"}, "email_min_level"),
        ({"do_not_disturb": "2h"}, "do_not_disturb"),
        ({"language": "not a language"}, "language"),
        ({"volume": 11}, "volume"),
        # One bad field among good ones: nothing of the good ones is written either.
        ({"timezone": "Europe/Paris", "push_min_level": "ERROR", "do_not_disturb": "3d"}, "do_not_disturb"),
    ],
)
def test_bad_values_are_400_with_field_errors_and_change_nothing(user, body, field):
    client = client_for(user)
    patch(client, {"timezone": "America/New_York", "web_min_level": "WARNING"})
    before = stored(user)
    response = patch(client, body)
    assert response.status_code == 400
    assert field in response.json()
    assert stored(user) == before


def test_a_body_that_is_not_an_object_is_400(user):
    response = client_for(user).patch(SETTINGS, "[1, 2]", content_type="application/json")
    assert response.status_code == 400
    assert not UserNotificationSettings.objects.filter(user=user).exists()


def test_anonymous_is_401(db):
    client = client_for()
    assert client.get(SETTINGS).status_code == 401
    assert patch(client, {"timezone": "Europe/Paris"}).status_code == 401


class AccountLocale:
    """An Open edX-like locale source: the account page's time zone and language."""

    def time_zones(self, user_ids):
        return dict.fromkeys(user_ids, "Asia/Tokyo")

    def language(self, user):
        return "ja"


def test_on_an_open_edx_host_time_zone_and_language_default_to_the_account(user, settings):
    settings.NOTIFICATION_LOCALE_SOURCE = "tests.kinds.test_attention_api.AccountLocale"
    body = client_for(user).get(SETTINGS).json()
    assert (body["timezone"], body["language"]) == ("Asia/Tokyo", "ja")


# --- mute ----------------------------------------------------------------------------------------------------


@pytest.fixture
def thread_row(db, on, alert_kind, committed, user):
    committed(service.send, ALERT, {"users": [user]}, title="API down", event_data={"id": 1})
    return Notification.objects.get(user=user)


def test_mute_and_unmute_over_rest(user, thread_row):
    client = client_for(user)
    response = client.post(f"/api/notifications/{thread_row.pk}/mute/", "{}", content_type="application/json")
    assert response.status_code == 200 and response.json() == {"muted": True, "muted_until": None}
    assert client.get("/api/notifications/unread-count/").json() == {"count": 0}
    listed = client.get("/api/notifications/").json()["results"]
    assert [(item["id"], item["muted"]) for item in listed] == [(thread_row.pk, True)]
    response = client.post(
        f"/api/notifications/{thread_row.pk}/mute/", json.dumps({"duration": "1w"}), content_type="application/json"
    )
    until = ThreadMute.objects.get().until
    assert response.json()["muted_until"] is not None and until > timezone.now() + timedelta(days=6)
    response = client.post(f"/api/notifications/{thread_row.pk}/unmute/")
    assert response.json() == {"muted": False, "muted_until": None}
    assert client.get("/api/notifications/unread-count/").json() == {"count": 1}
    assert client.get("/api/notifications/").json()["results"][0]["muted"] is False


def test_an_unknown_duration_is_400_and_mutes_nothing(user, thread_row):
    response = client_for(user).post(
        f"/api/notifications/{thread_row.pk}/mute/", json.dumps({"duration": "2h"}), content_type="application/json"
    )
    assert response.status_code == 400 and "duration" in response.json()
    assert not ThreadMute.objects.exists()


def test_someone_elses_notification_is_404(user, thread_row):
    stranger = client_for(UserFactory())
    assert stranger.post(f"/api/notifications/{thread_row.pk}/mute/").status_code == 404
    ThreadMute.objects.create(user=user, thread_key=thread_row.thread_key)
    assert stranger.post(f"/api/notifications/{thread_row.pk}/unmute/").status_code == 404
    assert ThreadMute.objects.count() == 1
    assert client_for().post(f"/api/notifications/{thread_row.pk}/mute/").status_code == 401


def test_a_notification_without_a_thread_cannot_be_muted(user):
    row = NotificationFactory(user=user)
    response = client_for(user).post(f"/api/notifications/{row.pk}/mute/")
    assert response.status_code == 400
    assert not ThreadMute.objects.exists()
