"""Archive, unarchive and open: own rows only, archived rows leave the tray and counts, no open redirect."""

import pytest
from django.test.utils import override_settings

from platform_notifications.models import Notification

pytestmark = pytest.mark.django_db(transaction=True)


def post(api, path):
    return api.client.post("/api/notifications/" + path)


def test_archive_takes_the_row_out_of_the_tray_and_the_counts(api, user, make_notifications, notifications_on):
    rows = make_notifications(user, 3)
    assert api.get("count/").json()["count"] == 3
    response = post(api, f"{rows[0].id}/archive/")
    assert response.status_code == 200
    assert api.get("count/").json()["count"] == 2
    listed = [item["id"] for item in api.get("").json()["results"]]
    assert rows[0].id not in listed and len(listed) == 2
    archived = api.get("", {"archived": "true"}).json()["results"]
    assert [item["id"] for item in archived] == [rows[0].id]
    assert Notification.objects.get(pk=rows[0].id).archived_at is not None


def test_unarchive_brings_it_back(api, user, make_notifications, notifications_on):
    rows = make_notifications(user, 2)
    post(api, f"{rows[1].id}/archive/")
    assert post(api, f"{rows[1].id}/unarchive/").status_code == 200
    assert {item["id"] for item in api.get("").json()["results"]} == {r.id for r in rows}
    assert api.get("", {"archived": "true"}).json()["results"] == []


@pytest.mark.parametrize("action", ["archive", "unarchive", "open"])
def test_another_users_row_is_a_404_and_unchanged(api, other, make_notifications, notifications_on, action):
    row = make_notifications(other, 1)[0]
    call = api.client.get if action == "open" else api.client.post
    response = call(f"/api/notifications/{row.id}/{action}/")
    assert response.status_code == 404
    fresh = Notification.objects.get(pk=row.id)
    assert fresh.archived_at is None and fresh.last_read is None


def test_archive_needs_post_and_a_signed_in_user(api, anonymous, user, make_notifications):
    row = make_notifications(user, 1)[0]
    assert api.get(f"{row.id}/archive/").status_code == 405
    assert post(anonymous, f"{row.id}/archive/").status_code == 401
    assert Notification.objects.get(pk=row.id).archived_at is None


def test_archive_with_a_session_needs_the_csrf_token(user, make_notifications):
    from tests.api.conftest import ApiClient

    row = make_notifications(user, 1)[0]
    strict = ApiClient(user, enforce_csrf_checks=True)
    assert post(strict, f"{row.id}/archive/").status_code == 403
    assert Notification.objects.get(pk=row.id).archived_at is None


def test_archived_value_is_validated(api, notifications_on):
    response = api.get("", {"archived": "maybe"})
    assert response.status_code == 400
    assert "archived" in response.json()["error"]


def test_open_marks_read_and_redirects_to_a_relative_url(api, user, make_notifications, notifications_on):
    row = make_notifications(user, 1, content_url="/courses/x/posts/7")[0]
    assert api.get("count/").json()["count"] == 1
    response = api.get(f"{row.id}/open/")
    assert response.status_code == 302
    assert response["Location"] == "/courses/x/posts/7"
    fresh = Notification.objects.get(pk=row.id)
    assert fresh.last_read is not None and fresh.last_seen is not None
    assert api.get("count/").json()["count"] == 0


def test_open_without_a_url_goes_to_the_inbox(api, user, make_notifications):
    row = make_notifications(user, 1, content_url="")[0]
    assert api.get(f"{row.id}/open/")["Location"] == "/notifications/"


@override_settings(NOTIFICATION_OPEN_REDIRECT_HOSTS=["forum.example.org"])
def test_open_follows_an_allowed_host(api, user, make_notifications):
    row = make_notifications(user, 1, content_url="https://forum.example.org/t/1")[0]
    assert api.get(f"{row.id}/open/")["Location"] == "https://forum.example.org/t/1"


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example.com/phish",
        "//evil.example.com/phish",
        "/\\evil.example.com",
        "\\\\evil.example.com",
        "javascript:alert(1)",
        "https://forum.example.org.evil.com/",
        "ftp://forum.example.org/x",
    ],
)
@override_settings(NOTIFICATION_OPEN_REDIRECT_HOSTS=["forum.example.org"])
def test_open_refuses_an_open_redirect(api, user, make_notifications, url):
    row = make_notifications(user, 1, content_url=url)[0]
    response = api.get(f"{row.id}/open/")
    assert response.status_code == 400
    assert "Location" not in response
    assert Notification.objects.get(pk=row.id).last_read is None


def test_open_signed_out_goes_to_sign_in_and_changes_nothing(anonymous, user, make_notifications):
    row = make_notifications(user, 1)[0]
    response = anonymous.get(f"{row.id}/open/")
    assert response.status_code == 302
    assert "next=/api/notifications/" in response["Location"]
    assert Notification.objects.get(pk=row.id).last_read is None


def test_reading_from_an_email_marks_read(api, user, send, notifications_on, flags, settings):
    flags("notifications.enable_email_notifications")
    settings.NOTIFICATIONS_SITE_URL = "http://testserver"
    from platform_notifications.channels.email.message import Recipient, compose
    from platform_notifications.config.enums import Cadence

    send([user.id])
    row = Notification.objects.get(user=user)
    message = compose(Recipient(user.pk, user.email, ""), Cadence.IMMEDIATELY, [row])
    link = f"http://testserver/api/notifications/{row.pk}/open/"
    assert link in message.body
    response = api.client.get(link)
    assert response.status_code == 302 and response["Location"] == row.content_url
    assert Notification.objects.get(pk=row.pk).last_read is not None
