"""One-click unsubscribe: signed tokens, GET changes nothing, POST without login or CSRF, rate limit, Open edX path."""

from __future__ import annotations

import pytest
from django.core import mail, signing
from django.test import Client
from django.urls import reverse

from platform_notifications.channels.email.tokens import SALT, Scope, make_token
from platform_notifications.config import registry
from platform_notifications.models import NotificationPreference, UserNotificationSettings
from platform_notifications.preferences import effective as preferences
from tests.factories import PreferenceFactory, UserFactory

pytestmark = pytest.mark.django_db

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def url(token, name="email_unsubscribe"):
    return reverse(f"platform_notifications:{name}", args=[token])


@pytest.fixture
def client():
    # Mail providers send no cookies and no CSRF token.
    return Client(enforce_csrf_checks=True)


def email_pref(user, ntype="new_response"):
    ntype = registry.get_type(ntype)
    return preferences.for_user(user.pk)[(ntype.app_name, ntype.preference_key)].email


def test_get_shows_a_confirmation_form_and_changes_nothing(client):
    user = UserFactory()
    token = make_token(user.pk, Scope.everything())
    response = client.get(url(token))
    assert response.status_code == 200
    assert b'<form method="post"' in response.content
    assert not NotificationPreference.objects.exists()
    assert not UserNotificationSettings.objects.exists()
    assert email_pref(user) is True


def test_one_click_post_for_one_type(client):
    user = UserFactory()
    token = make_token(user.pk, Scope.of_type("ora_grade_assigned"))
    response = client.post(url(token), ONE_CLICK)
    assert response.status_code == 200
    row = NotificationPreference.objects.get(user=user)
    assert (row.app_name, row.notification_type, row.email, row.web) == ("grading", "ora_grade_assigned", False, None)
    assert email_pref(user, "ora_grade_assigned") is False
    assert email_pref(user, "ora_reminder") is True


def test_bundled_type_unsubscribes_the_bundled_row(client):
    user = UserFactory()
    client.post(url(make_token(user.pk, Scope.of_type("new_response"))), ONE_CLICK)
    assert NotificationPreference.objects.get(user=user).notification_type == "grouped_notification"
    assert email_pref(user, "new_comment") is False  # same bundled row


def test_app_scope_covers_existing_rows_and_types_added_later(client):
    user = UserFactory()
    PreferenceFactory(user=user, app_name="discussion", notification_type="content_reported", email=True)
    client.post(url(make_token(user.pk, Scope.app("discussion"))), ONE_CLICK)
    rows = dict(NotificationPreference.objects.filter(user=user).values_list("notification_type", "email"))
    assert rows == {"content_reported": False, "*": False}
    assert email_pref(user, "content_reported") is False
    assert email_pref(user, "new_response") is False
    assert email_pref(user, "course_updates") is True


def test_all_scope_sets_the_opt_out(client, temp_type):
    user = UserFactory()
    PreferenceFactory(user=user, app_name="updates", notification_type="course_updates", email=True)
    response = client.post(url(make_token(user.pk, Scope.everything())), ONE_CLICK)
    assert response.status_code == 200
    assert UserNotificationSettings.objects.get(user=user).email_opt_out is True
    assert NotificationPreference.objects.get(user=user).email is False
    assert email_pref(user, "course_updates") is False
    # A type added after the unsubscribe is covered too.
    temp_type("late_type")
    assert email_pref(user, "late_type") is False


def test_repeated_post_is_harmless(client):
    user = UserFactory()
    token = make_token(user.pk, Scope.app("grading"))
    assert client.post(url(token)).status_code == 200
    assert client.post(url(token)).status_code == 200
    assert NotificationPreference.objects.filter(user=user).count() == 1


@pytest.mark.parametrize(
    "forge",
    [
        lambda uid: make_token(uid, Scope.everything())[:-2] + "xx",  # altered signature
        lambda uid: make_token(uid, Scope.everything()).replace(":", "x", 1),  # altered payload
        lambda uid: signing.dumps([uid, "all", "", ""], salt="another.purpose"),  # another app's token
        lambda uid: signing.dumps([uid, "all", "", ""], salt=SALT, key="another-secret-key-of-another-site"),
        lambda uid: signing.dumps({"user": uid}, salt=SALT),  # ours, wrong shape
        lambda uid: signing.dumps([uid, "app", "nosuchapp", ""], salt=SALT),
        lambda uid: "garbage",
    ],
)
def test_tampered_or_foreign_token_is_refused_and_changes_nothing(client, forge):
    user = UserFactory()
    for name in ("email_unsubscribe", "email_preferences_update"):
        response = client.post(url(forge(user.pk), name), ONE_CLICK)
        assert response.status_code == 400
        assert b"unsubscribe link" in response.content
    assert not NotificationPreference.objects.exists()
    assert not UserNotificationSettings.objects.exists()


def test_token_of_a_deleted_account_is_refused(client):
    user = UserFactory()
    token = make_token(user.pk, Scope.everything())
    user.delete()
    assert client.post(url(token)).status_code == 400
    assert not UserNotificationSettings.objects.exists()


def test_token_is_bound_to_its_user():
    alice, bob = UserFactory.create_batch(2)
    Client().post(url(make_token(alice.pk, Scope.everything())))
    assert UserNotificationSettings.objects.get().user == alice
    assert email_pref(bob) is True


def test_rate_limited_per_client(client, settings):
    settings.ONE_CLICK_UNSUBSCRIBE_RATE_LIMIT = "2/m"
    user = UserFactory()
    token = make_token(user.pk, Scope.everything())
    assert client.get(url(token)).status_code == 200
    assert client.get(url(token)).status_code == 200
    response = client.post(url(token), ONE_CLICK)
    assert response.status_code == 429
    assert not UserNotificationSettings.objects.exists()
    assert client.post(url(token, "email_preferences_update")).status_code == 429
    # Another client address has its own budget.
    assert client.post(url(token), ONE_CLICK, REMOTE_ADDR="10.0.0.9").status_code == 200


def test_openedx_path(client):
    user = UserFactory()
    token = make_token(user.pk, Scope.app("updates"))
    page = client.get(url(token, "email_preferences_update"))
    assert page.status_code == 200 and not NotificationPreference.objects.exists()
    response = client.post(url(token, "email_preferences_update"))
    assert (response.status_code, response.json()) == (200, {"result": "success"})
    assert email_pref(user, "course_updates") is False


def test_link_from_a_sent_email_unsubscribes(client, email_on, send):
    user = UserFactory()
    send([user.pk])
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from platform_notifications.channels.email import batch

    with time_machine.travel(timezone.now() + timedelta(days=2)):
        batch.deliver_due()
    header = mail.outbox[0].extra_headers["List-Unsubscribe"]
    path = header.strip("<>").split("://", 1)[1].split("/", 1)[1]
    assert client.post("/" + path, ONE_CLICK).status_code == 200
    assert email_pref(user) is False


def test_a_project_template_override_wins_over_the_package_copy(client, tmp_path, settings):
    """The top-level templates/ folder (and a host's own) is where copies of the package's templates override it."""
    from django.conf import settings as django_settings

    assert django_settings.BASE_DIR / "templates" in django_settings.TEMPLATES[0]["DIRS"]
    page = tmp_path / "platform_notifications" / "unsubscribe" / "page.html"
    page.parent.mkdir(parents=True)
    page.write_text("<p>Our own unsubscribe page for {{ user.username|default:'you' }}</p>")
    settings.TEMPLATES = [{**django_settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    user = UserFactory()
    response = client.get(url(make_token(user.pk, Scope.everything())))
    assert response.status_code == 200
    assert b"Our own unsubscribe page" in response.content


@pytest.mark.parametrize(
    ("scope", "says"),
    [
        (
            Scope.of_type("ora_grade_assigned"),
            [
                "Stop receiving emails about “Your grade on an assessment” (Grades and assessment reminders)?",
                "This stops these emails only, sent at once or in daily and weekly digests alike.",
            ],
        ),
        (
            Scope.of_type("new_response"),
            [
                "Someone replied to your post",
                "Your response was endorsed",
                "(Activity in the course discussion forums)?",
            ],
        ),
        (Scope.app("updates"), ["Stop receiving notification emails about: Announcements from the course team?"]),
        (
            Scope.everything(),
            ["Stop receiving all notification emails?", "for every kind of notification (ones added later included)"],
        ),
    ],
)
def test_the_page_says_exactly_what_it_stops(client, scope, says):
    user = UserFactory()
    token = make_token(user.pk, scope)
    confirm = client.get(url(token)).content.decode()
    for text in says:
        assert text in confirm
    assert "still appear on the site" in confirm
    assert "ora_grade_assigned" not in confirm and "new_response" not in confirm
    done = client.post(url(token), ONE_CLICK).content.decode()
    assert "You will no longer receive" in done and "still appear on the site" in done
