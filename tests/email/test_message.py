"""The message: escaping, links, headers, sender, language, grouping with counts and a "more" link."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail

from platform_notifications.channels.email import digest
from platform_notifications.channels.email.message import MAX_ITEMS_PER_GROUP, Recipient, absolute, compose
from platform_notifications.channels.email.tokens import read_token
from platform_notifications.config.enums import Cadence
from platform_notifications.models import DigestSchedule
from tests.email.conftest import set_settings, utc
from tests.factories import NotificationFactory, UserFactory

pytestmark = pytest.mark.django_db

NOON = utc(2026, 5, 4, 12, 0)


@pytest.fixture
def site(settings):
    # Through pytest-django's settings fixture: an override_settings decorator combined with that fixture in one
    # test restores the decorator's settings at teardown, leaking them into later tests.
    settings.NOTIFICATIONS_SITE_URL = "https://lms.example.com/"


def html_of(message):
    return message.alternatives[0][0]


@pytest.mark.usefixtures("site")
def test_every_value_is_escaped_in_html():
    user = UserFactory(first_name="<img src=x onerror=alert(1)>")
    row = NotificationFactory(
        user=user,
        content_context={"replier_name": "<script>alert(1)</script>", "post_title": 'x" onmouseover="y'},
        course_id="course-v1:<b>Org</b>+1+2",
    )
    message = compose(Recipient(user.pk, user.email, user.get_full_name()), Cadence.IMMEDIATELY, [row])
    body = html_of(message)
    assert "<script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "<img" not in body and "&lt;img src=x onerror=alert(1)&gt;" in body
    assert 'onmouseover="y' not in body
    assert "<b>Org</b>" not in body
    # The text part carries the plain words, unescaped.
    assert "<script>alert(1)</script> replied to your post" in message.body


@pytest.mark.usefixtures("site")
def test_headers_sender_and_absolute_links(settings):
    settings.NOTIFICATIONS_DEFAULT_FROM_EMAIL = "Learning <notify@example.com>"
    user = UserFactory()
    row = NotificationFactory(user=user, content_url="/courses/x/posts/7")
    message = compose(Recipient(user.pk, user.email, ""), Cadence.IMMEDIATELY, [row])
    assert message.from_email == "Learning <notify@example.com>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = message.extra_headers["List-Unsubscribe"]
    assert link.startswith("<https://lms.example.com/api/notifications/unsubscribe/") and link.endswith("/>")
    token = link.rsplit("/", 2)[-2]
    assert read_token(token)[0] == user.pk
    assert read_token(token)[1].kind == "type"  # one notification: its own type
    # The item links through open/, which marks it read and redirects to its URL (tests/api/test_archive_open.py).
    opened = f"https://lms.example.com/api/notifications/{row.pk}/open/"
    assert f'href="{opened}"' in html_of(message)
    assert opened in message.body


def test_sender_falls_back_to_default_from_email(settings):
    settings.NOTIFICATIONS_DEFAULT_FROM_EMAIL = None
    settings.DEFAULT_FROM_EMAIL = "site@example.com"
    row = NotificationFactory()
    assert compose(Recipient(row.user_id, "a@example.com", ""), Cadence.DAILY, [row]).from_email == "site@example.com"


@pytest.mark.usefixtures("site")
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/a/b", "https://lms.example.com/a/b"),
        ("https://other.example.org/x", "https://other.example.org/x"),
        ("javascript:alert(1)", "https://lms.example.com/"),
        ("//evil.example.com/x", "https://lms.example.com/"),
        ("", "https://lms.example.com/"),
    ],
)
def test_absolute(url, expected):
    assert absolute(url) == expected


def test_digest_groups_by_app_and_course_with_counts_and_more_link():
    user = UserFactory()
    rows = [NotificationFactory(user=user, course_id="course-v1:A+1+1") for _ in range(MAX_ITEMS_PER_GROUP + 2)]
    rows.append(
        NotificationFactory(
            user=user,
            app_name="updates",
            notification_type="course_updates",
            content_context={"course_update_content": "Exam moved"},
        )
    )
    message = compose(Recipient(user.pk, user.email, ""), Cadence.WEEKLY, rows)
    body = html_of(message)
    assert message.subject == "Your weekly digest: 8 new notifications"
    assert "(7)" in body and "(1)" in body
    assert body.count("replied to your post") == MAX_ITEMS_PER_GROUP
    assert "and 2 more" in body and "and 2 more" in message.body
    assert "Exam moved" in body
    # Two apps: the one-click header unsubscribes from all notification email.
    token = message.extra_headers["List-Unsubscribe"].rsplit("/", 2)[-2]
    assert read_token(token)[1].kind == "all"


def test_message_in_the_users_language(email_on):
    user = UserFactory()
    set_settings(user, language="fr")
    schedule = DigestSchedule.objects.create(user=user, cadence="Daily", delivery_time=NOON)
    NotificationFactory(user=user, email=True, email_cadence="Daily", created=NOON - timedelta(hours=1))
    import time_machine

    with time_machine.travel(NOON + timedelta(minutes=1), tick=False):
        digest.deliver(schedule.pk)
    assert '<html lang="fr">' in html_of(mail.outbox[0])


def test_message_in_the_default_language_without_a_choice():
    row = NotificationFactory()
    assert '<html lang="en">' in html_of(compose(Recipient(row.user_id, "a@example.com", ""), Cadence.DAILY, [row]))


@pytest.mark.usefixtures("site")
@pytest.mark.parametrize("cadence", [Cadence.IMMEDIATELY, Cadence.DAILY])
def test_view_all_links_to_the_notifications_page(cadence):
    user = UserFactory()
    message = compose(Recipient(user.pk, user.email, ""), cadence, [NotificationFactory(user=user)])
    assert (
        '<a href="https://lms.example.com/notifications/" style="color:#0a3055;">View all notifications</a>'
        in html_of(message)
    )
    assert "View all notifications: https://lms.example.com/notifications/" in message.body
    # The demo platform serves that page: tests/browser/test_inbox_and_settings.py.
