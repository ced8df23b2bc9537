"""The whole pipeline on real servers: a signal in, a real Celery worker on Redis, rows out; and a worker
killed mid fan-out (SIGKILL) and restarted, yielding each notification exactly once.

Runs on the database named by ``DATABASE_URL`` (PostgreSQL or MariaDB); ``.ci/run`` runs it on both.
"""

from __future__ import annotations

import itertools
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from opaque_keys.edx.keys import CourseKey
from openedx_events.learning.data import CourseNotificationData, UserNotificationData
from openedx_events.learning.signals import COURSE_NOTIFICATION_REQUESTED, USER_NOTIFICATION_REQUESTED
from waffle.models import Flag

from platform_notifications.models import CourseMembership, Notification, NotificationRequest, RefusedNotification
from tests.services.conftest import wait_for

pytestmark = [
    pytest.mark.services,
    pytest.mark.skipif(connection.vendor == "sqlite", reason="needs PostgreSQL or MariaDB (DATABASE_URL)"),
    pytest.mark.django_db(transaction=True),
]

COURSE = "course-v1:Services+Pipe+Run"
CONTEXT = {"replier_name": "Ana <b>", "post_title": "Week 1"}
_batches = itertools.count()


@pytest.fixture
def master_flag():
    # A real row: the worker is another process and reads flags from the database.
    Flag.objects.create(name="notifications.enable_notifications", everyone=True)


def make_users(count: int, course: str | None = COURSE) -> list[int]:
    """``count`` new users (enrolled in ``course`` unless None); returns their ids."""
    User = get_user_model()
    prefix = f"svc{next(_batches)}-"
    User.objects.bulk_create(
        [User(username=f"{prefix}{n}", email=f"{prefix}{n}@example.com", password="!") for n in range(count)],
        batch_size=5000,
    )
    ids = list(User.objects.filter(username__startswith=prefix).order_by("id").values_list("id", flat=True))
    if course:
        CourseMembership.objects.bulk_create(
            [CourseMembership(user_id=uid, course_id=course, mode="audit") for uid in ids], batch_size=5000
        )
    return ids


def course_event(course: str = COURSE, content_url: str = "/courses/pipe/posts/1", **filters) -> None:
    COURSE_NOTIFICATION_REQUESTED.send_event(
        course_notification_data=CourseNotificationData(
            course_key=CourseKey.from_string(course),
            app_name="discussion",
            notification_type="new_response",
            content_url=content_url,
            content_context=dict(CONTEXT),
            audience_filters=filters,
        )
    )


def request_done(timeout: float, worker) -> NotificationRequest:
    def done():
        request = NotificationRequest.objects.order_by("-pk").first()
        return request if request and request.state == NotificationRequest.State.DONE else None

    return wait_for(done, timeout, "the fan-out to finish", on_fail=worker.output)


def test_signals_in_worker_consumes_rows_out(master_flag, celery_worker_process):
    ids = make_users(30)
    sender, outsider = ids[0], make_users(1, course=None)[0]
    worker = celery_worker_process()

    course_event()
    request = request_done(60, worker)
    assert request.created_count == 30
    assert sorted(Notification.objects.values_list("user_id", flat=True)) == ids

    USER_NOTIFICATION_REQUESTED.send_event(
        notification_data=UserNotificationData(
            user_ids=[outsider, sender, outsider, 10**9],  # a duplicate and an unknown id
            notification_type="new_comment",
            content_url="/courses/pipe/posts/2",
            app_name="discussion",
            course_key=CourseKey.from_string(COURSE),
            context={"replier_name": "Bo", "author_name": "Cy", "post_title": "Week 2", "sender_id": sender},
        )
    )
    request_done(60, worker)
    comments = Notification.objects.filter(notification_type="new_comment")
    # The sender is never notified of their own act; duplicates collapse; unknown ids are skipped.
    assert list(comments.values_list("user_id", flat=True)) == [outsider]
    row = comments.get()
    assert row.content_context == {"replier_name": "Bo", "author_name": "Cy", "post_title": "Week 2"}
    assert "&lt;b&gt;" in Notification.objects.filter(notification_type="new_response").first().content


def test_bad_event_is_refused_by_the_receiver_and_nothing_reaches_the_worker(master_flag, celery_worker_process):
    make_users(3)
    worker = celery_worker_process()
    course_event(content_url="javascript:alert(1)")
    assert RefusedNotification.objects.count() == 1
    assert not NotificationRequest.objects.exists()
    course_event()  # a good one after it goes through the same worker
    request_done(60, worker)
    assert Notification.objects.count() == 3


def test_worker_killed_mid_fan_out_and_restarted_yields_each_notification_once(master_flag, celery_worker_process):
    total, chunk = 20_000, 100
    make_users(total)
    settings = {"NOTIFICATION_CREATION_BATCH_SIZE": chunk, "CELERY_VISIBILITY_TIMEOUT": 5}
    first = celery_worker_process(**settings)

    course_event()
    # Kill once some chunks are committed, well before the end.
    wait_for(
        lambda: NotificationRequest.objects.filter(created_count__gte=5 * chunk).exists(),
        60,
        "the first chunks",
        poll=0.01,
        on_fail=first.output,
    )
    first.kill()
    request = NotificationRequest.objects.get()
    assert request.state == NotificationRequest.State.PENDING, "the fan-out ended before the kill"
    assert 0 < request.created_count < total
    # Each committed chunk wrote its rows and moved the cursor together: nothing half done.
    assert Notification.objects.count() == request.created_count
    assert not Notification.objects.filter(user_id__gt=request.cursor).exists()

    # A new worker gets the unacknowledged message back from Redis once the visibility timeout passes.
    second = celery_worker_process(**settings)
    request = request_done(90, second)
    assert request.created_count == total
    per_user = Counter(Notification.objects.values_list("user_id", flat=True))
    assert len(per_user) == total
    assert set(per_user.values()) == {1}
