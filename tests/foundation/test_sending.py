"""The Python send API: bad input raises a specific error with nothing created; recipients are cleaned."""

from __future__ import annotations

import logging

import pytest

from platform_notifications import exceptions as errors
from platform_notifications import notify, notify_course
from platform_notifications.models import Notification, NotificationRequest
from tests.factories import UserFactory
from tests.foundation.conftest import COURSE_KEY, RESPONSE_CONTEXT, recipients

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("notifications_on")]


def _notify(**overrides):
    kwargs = {
        "user_ids": [1],
        "notification_type": "new_response",
        "content_url": "/courses/x/posts/1",
        "app_name": "discussion",
        "course_key": COURSE_KEY,
        "context": dict(RESPONSE_CONTEXT),
        **overrides,
    }
    return notify(**kwargs)


def _assert_nothing_created():
    assert not NotificationRequest.objects.exists()
    assert not Notification.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        ({"notification_type": "no_such_type"}, errors.UnknownNotificationType, "unknown notification type"),
        ({"notification_type": None}, errors.UnknownNotificationType, "unknown notification type"),
        ({"app_name": "grading"}, errors.AppTypeMismatch, "belongs to app 'discussion', not 'grading'"),
        ({"app_name": "nowhere"}, errors.UnknownNotificationApp, "unknown notification app 'nowhere'"),
        ({"context": {"replier_name": "Ana"}}, errors.MissingContextVariables, "post_title"),
        ({"context": {"post_title": None, "replier_name": "A"}}, errors.MissingContextVariables, "post_title"),
        ({"context": None}, errors.MissingContextVariables, "post_title, replier_name"),
        ({"context": ["Ana"]}, errors.InvalidNotificationData, "context must be a dict"),
        ({"context": {**RESPONSE_CONTEXT, "when": object()}}, errors.InvalidNotificationData, "JSON"),
        ({"context": {**RESPONSE_CONTEXT, 3: "x"}}, errors.InvalidNotificationData, "keys"),
        ({"context": {**RESPONSE_CONTEXT, "sender_id": "7"}}, errors.InvalidRecipients, "sender_id"),
        ({"user_ids": ["1"]}, errors.InvalidRecipients, "integer user id, got '1'"),
        ({"user_ids": [1.0]}, errors.InvalidRecipients, "integer user id, got 1.0"),
        ({"user_ids": [True]}, errors.InvalidRecipients, "integer user id, got True"),
        ({"user_ids": [None]}, errors.InvalidRecipients, "integer user id, got None"),
        ({"user_ids": [1, "2"]}, errors.InvalidRecipients, "integer user id"),
        ({"user_ids": None}, errors.InvalidRecipients, "list of integers"),
        ({"user_ids": "123"}, errors.InvalidRecipients, "list of integers"),
        ({"user_ids": 5}, errors.InvalidRecipients, "list of integers"),
        ({"user_ids": [2**70]}, errors.InvalidRecipients, "out of range"),
        ({"user_ids": [0]}, errors.InvalidRecipients, "out of range"),
        ({"course_key": "c" * 256}, errors.InvalidNotificationData, "course_key"),
        ({"idempotency_key": "not-a-uuid"}, errors.InvalidNotificationData, "UUID"),
    ],
)
def test_bad_input_is_refused_with_nothing_created(overrides, error, message):
    UserFactory(id=1)
    with pytest.raises(error, match=message):
        _notify(**overrides)
    _assert_nothing_created()


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "javascript\n:alert(1)",
        "\x00javascript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "vbscript:msgbox(1)",
        "//evil.com/x",
        "\\\\evil.com",
        "/\\evil.com",
        "https:evil.com",
        "http://",
        "ftp://files.example.com/x",
        "/ok\x7f",
        "/" + "a" * 2048,
        ["/x"],
    ],
)
def test_unsafe_content_url_is_refused(url, users):
    with pytest.raises(errors.InvalidContentUrl):
        _notify(user_ids=[users[0].id], content_url=url)
    _assert_nothing_created()


@pytest.mark.parametrize(
    "url",
    ["https://lms.example.com/courses/x", "HTTP://lms.example.com/x", "/courses/x/posts/1?a=1#b", "posts/1", ""],
)
def test_safe_content_url_is_accepted(url, send, users):
    send([users[0].id], content_url=url)
    assert Notification.objects.get().content_url == url


def test_every_refusal_is_a_notification_request_error():
    from platform_notifications import NotificationRequestError

    for name in dir(errors):
        value = getattr(errors, name)
        if isinstance(value, type) and issubclass(value, Exception) and value is not NotificationRequestError:
            assert issubclass(value, NotificationRequestError), name


def test_unknown_ids_skipped_duplicates_collapsed(send, users):
    a, b = users[0].id, users[1].id
    request = send([b, a, b, 999_999, a])
    assert recipients() == [a, b]
    request.refresh_from_db()
    assert request.user_ids == [b, a, b, 999_999, a]  # stored as given; the fan-out sorts and deduplicates
    assert (request.state, request.created_count) == (NotificationRequest.State.DONE, 2)


def test_inactive_users_skipped(send, users):
    users[1].is_active = False
    users[1].save()
    send([u.id for u in users[:3]])
    assert recipients() == [users[0].id, users[2].id]


@pytest.mark.parametrize("empty", [[], (), set()])
def test_empty_audience_creates_nothing(empty, send):
    assert send(empty) is None
    _assert_nothing_created()


def test_created_row_carries_the_request(send, users):
    send([users[0].id], content_url="/courses/x/posts/9")
    row = Notification.objects.get()
    assert (row.user_id, row.app_name, row.notification_type) == (users[0].id, "discussion", "new_response")
    assert (row.course_id, row.content_url) == (str(COURSE_KEY), "/courses/x/posts/9")
    assert row.content_context == RESPONSE_CONTEXT
    assert (row.web, row.email, row.push) == (True, False, False)


def test_sender_never_notified_of_their_own_action(send, users):
    sender = users[0]
    send([u.id for u in users], context={**RESPONSE_CONTEXT, "sender_id": sender.id})
    assert recipients() == sorted(u.id for u in users[1:])
    assert "sender_id" not in Notification.objects.first().content_context


def test_group_by_id_has_its_own_column(send, users):
    # A type without a grouper stores the producer's context as given.
    send([users[0].id], "new_comment_on_response", context={**RESPONSE_CONTEXT, "group_by_id": "thread-42"})
    row = Notification.objects.get()
    assert row.group_by_id == "thread-42"
    assert row.content_context == RESPONSE_CONTEXT


def test_notify_course_refuses_unknown_filter():
    with pytest.raises(errors.UnknownAudienceFilter, match="'planets'"):
        notify_course(COURSE_KEY, "discussion", "new_response", "/x", RESPONSE_CONTEXT, {"planets": ["earth"]})
    _assert_nothing_created()


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"cohorts": "1"}, "must be a list"),
        ({"cohorts": ["one"]}, "cohorts"),
        ({"enrollments": [["audit"]]}, "enrollments"),
        ({"teams": [None]}, "teams"),
        ({"course_roles": [{"x": 1}]}, "course_roles"),
        (["cohorts"], "dict"),
    ],
)
def test_notify_course_refuses_malformed_filter_values(filters, message):
    with pytest.raises(errors.InvalidNotificationData, match=message):
        notify_course(COURSE_KEY, "discussion", "new_response", "/x", RESPONSE_CONTEXT, filters)
    _assert_nothing_created()


@pytest.mark.parametrize("course_key", [None, ""])
def test_notify_course_needs_a_course(course_key):
    with pytest.raises(errors.InvalidNotificationData, match="course_key"):
        notify_course(course_key, "discussion", "new_response", "/x", RESPONSE_CONTEXT)
    _assert_nothing_created()


def test_master_flag_off_creates_nothing_and_says_so(flags, users, caplog, django_capture_on_commit_callbacks):
    flags("notifications.enable_notifications", active_value=False)
    with caplog.at_level(logging.INFO), django_capture_on_commit_callbacks(execute=True):
        assert _notify(user_ids=[u.id for u in users]) is None
    _assert_nothing_created()
    dropped = [r for r in caplog.records if "notifications.enable_notifications is off" in r.getMessage()]
    assert len(dropped) == 1  # one line per event, not per user
    assert "new_response" in dropped[0].getMessage()


def test_disabled_app_creates_nothing(temp_registry, users, caplog, django_capture_on_commit_callbacks):
    temp_registry.app("wiki", enabled=False)
    temp_registry.type("page_edited", notification_app="wiki", use_app_defaults=True, content_template="x")
    with caplog.at_level(logging.INFO), django_capture_on_commit_callbacks(execute=True):
        assert _notify(app_name="wiki", notification_type="page_edited", user_ids=[users[0].id]) is None
    _assert_nothing_created()
    assert any("app wiki is disabled" in r.getMessage() for r in caplog.records)
