"""The openedx-events receivers: signals in, notifications out; refusals recorded, never raised."""

from __future__ import annotations

import uuid

import pytest
from openedx_events.data import EventsMetadata
from openedx_events.learning.data import CourseNotificationData, UserNotificationData
from openedx_events.learning.signals import COURSE_NOTIFICATION_REQUESTED, USER_NOTIFICATION_REQUESTED

from platform_notifications.models import Notification, NotificationRequest, RefusedNotification
from tests.factories import MembershipFactory
from tests.foundation.conftest import COURSE_KEY, RESPONSE_CONTEXT, recipients

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("notifications_on")]


def user_data(user_ids, **overrides):
    fields = {
        "user_ids": user_ids,
        "notification_type": "new_response",
        "content_url": "/courses/x/posts/1",
        "app_name": "discussion",
        "course_key": COURSE_KEY,
        "context": dict(RESPONSE_CONTEXT),
        **overrides,
    }
    return UserNotificationData(**fields)


def course_data(**overrides):
    fields = {
        "course_key": COURSE_KEY,
        "app_name": "discussion",
        "notification_type": "new_response",
        "content_url": "/courses/x/posts/1",
        "content_context": dict(RESPONSE_CONTEXT),
        "audience_filters": {},
        **overrides,
    }
    return CourseNotificationData(**fields)


@pytest.fixture
def emit(django_capture_on_commit_callbacks):
    """Send a signal the way a producer does, with the after-commit fan-out run."""

    def _emit(signal, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return signal.send_event(**kwargs)

    return _emit


def metadata_for(signal) -> EventsMetadata:
    return signal.generate_signal_metadata()


def test_user_signal_creates_notifications(emit, users):
    emit(USER_NOTIFICATION_REQUESTED, notification_data=user_data([u.id for u in users[:2]]))
    assert recipients() == [users[0].id, users[1].id]
    assert RefusedNotification.objects.count() == 0


def test_course_signal_creates_notifications_for_the_course(emit, users):
    MembershipFactory(user=users[0])
    MembershipFactory(user=users[1], course_id="course-v1:Other+Num+Run")
    emit(COURSE_NOTIFICATION_REQUESTED, course_notification_data=course_data())
    assert recipients() == [users[0].id]


def test_event_id_is_the_events_metadata_id(emit, users, monkeypatch):
    metadata = metadata_for(USER_NOTIFICATION_REQUESTED)
    monkeypatch.setattr(USER_NOTIFICATION_REQUESTED, "generate_signal_metadata", lambda time=None: metadata)
    emit(USER_NOTIFICATION_REQUESTED, notification_data=user_data([users[0].id]))
    assert NotificationRequest.objects.get().event_id == uuid.UUID(str(metadata.id))


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"notification_type": "no_such_type"}, "UnknownNotificationType: unknown notification type 'no_such_type'"),
        ({"app_name": "grading"}, "AppTypeMismatch: notification type 'new_response' belongs to app 'discussion'"),
        ({"context": {"replier_name": "Ana"}}, "MissingContextVariables"),
        ({"user_ids": ["1", "2"]}, "InvalidRecipients"),
        ({"content_url": "javascript:alert(1)"}, "InvalidContentUrl"),
    ],
)
def test_user_signal_with_bad_input_records_a_refusal(emit, users, overrides, reason, caplog):
    overrides.setdefault("user_ids", [users[0].id])
    responses = emit(USER_NOTIFICATION_REQUESTED, notification_data=user_data(**overrides))
    # The producer sees no exception (send_event would have caught it and returned it instead).
    assert all(not isinstance(response, Exception) for _receiver, response in responses)
    refusal = RefusedNotification.objects.get()
    assert refusal.source == "USER_NOTIFICATION_REQUESTED"
    assert refusal.reason.startswith(reason)
    assert refusal.payload["notification_type"] == overrides.get("notification_type", "new_response")
    assert refusal.event_id  # the metadata id, to trace the producer's event
    assert not Notification.objects.exists()
    assert not NotificationRequest.objects.exists()
    assert any("refused notification request" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("filters", "reason"),
    [
        ({"planets": ["earth"]}, "UnknownAudienceFilter"),
        ({"cohorts": ["first"]}, "InvalidNotificationData"),
    ],
)
def test_course_signal_with_bad_input_records_a_refusal(emit, users, filters, reason):
    MembershipFactory(user=users[0])
    emit(COURSE_NOTIFICATION_REQUESTED, course_notification_data=course_data(audience_filters=filters))
    refusal = RefusedNotification.objects.get()
    assert (refusal.source, refusal.reason.split(":")[0]) == ("COURSE_NOTIFICATION_REQUESTED", reason)
    assert refusal.payload["audience_filters"] == filters
    assert not Notification.objects.exists()


def test_same_event_twice_creates_nothing_twice(emit, users, monkeypatch):
    metadata = metadata_for(USER_NOTIFICATION_REQUESTED)
    monkeypatch.setattr(USER_NOTIFICATION_REQUESTED, "generate_signal_metadata", lambda time=None: metadata)
    data = user_data([u.id for u in users])
    emit(USER_NOTIFICATION_REQUESTED, notification_data=data)
    emit(USER_NOTIFICATION_REQUESTED, notification_data=data)
    assert recipients() == sorted(u.id for u in users)
    assert NotificationRequest.objects.count() == 1


def test_same_course_event_twice_creates_nothing_twice(emit, users, monkeypatch):
    for user in users:
        MembershipFactory(user=user)
    metadata = metadata_for(COURSE_NOTIFICATION_REQUESTED)
    monkeypatch.setattr(COURSE_NOTIFICATION_REQUESTED, "generate_signal_metadata", lambda time=None: metadata)
    emit(COURSE_NOTIFICATION_REQUESTED, course_notification_data=course_data())
    emit(COURSE_NOTIFICATION_REQUESTED, course_notification_data=course_data())
    assert recipients() == sorted(u.id for u in users)


def test_sender_excluded_from_course_audience(emit, users):
    for user in users:
        MembershipFactory(user=user)
    context = {**RESPONSE_CONTEXT, "sender_id": users[2].id}
    emit(COURSE_NOTIFICATION_REQUESTED, course_notification_data=course_data(content_context=context))
    assert recipients() == sorted(u.id for u in users if u != users[2])


def test_receivers_connected_once(users, emit):
    # ready() and the plugin wiring share a dispatch_uid: one event, one notification per user.
    from platform_notifications.intake import receivers

    assert USER_NOTIFICATION_REQUESTED.has_listeners()
    connected = list(USER_NOTIFICATION_REQUESTED._live_receivers(None)[0])
    assert connected.count(receivers.handle_user_notification_requested) == 1
    emit(USER_NOTIFICATION_REQUESTED, notification_data=user_data([users[0].id]))
    assert recipients() == [users[0].id]


@pytest.mark.parametrize("flag_state", [False, None], ids=["flag-off", "flag-absent"])
def test_master_flag_off_drops_signal_with_one_log_line(
    flag_state, flags, users, caplog, django_capture_on_commit_callbacks
):
    if flag_state is None:
        from waffle.models import Flag

        Flag.objects.filter(name="notifications.enable_notifications").delete()
        from django.core.cache import cache

        cache.clear()
    else:
        flags("notifications.enable_notifications", active_value=False)
    with caplog.at_level("INFO"), django_capture_on_commit_callbacks(execute=True):
        USER_NOTIFICATION_REQUESTED.send_event(notification_data=user_data([u.id for u in users]))
        COURSE_NOTIFICATION_REQUESTED.send_event(course_notification_data=course_data())
    assert not NotificationRequest.objects.exists()
    assert not Notification.objects.exists()
    assert not RefusedNotification.objects.exists()
    dropped = [r.getMessage() for r in caplog.records if "notifications.enable_notifications is off" in r.getMessage()]
    assert len(dropped) == 2  # one per event
