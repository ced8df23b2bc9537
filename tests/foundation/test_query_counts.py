"""Query-count pins: a fan-out chunk costs the same fixed number of queries whatever its size or the audience's."""

from __future__ import annotations

import itertools

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from platform_notifications.channels.delivery import enabled_channels
from platform_notifications.fanout import run as fanout
from platform_notifications.intake import send as sending
from platform_notifications.models import Notification
from tests.factories import MembershipFactory, PreferenceFactory, UserFactory
from tests.foundation.conftest import RESPONSE_CONTEXT

pytestmark = pytest.mark.django_db

_courses = itertools.count()


def _fan_out(kind: str, audience: int, chunk: int, capture) -> tuple[int, int]:
    """Fan one request out to ``audience`` new users in chunks of ``chunk``; returns (queries, chunks)."""
    course = f"course-v1:Org+Q{next(_courses)}+Run"
    users = UserFactory.create_batch(audience)
    # Some users with stored choices, so the preference lookup has rows to combine.
    for user in users[::4]:
        PreferenceFactory(user=user, app_name="discussion", notification_type="grouped_notification", push=True)
    with capture(execute=False):
        if kind == "users":
            request = sending.notify(
                [u.id for u in users], "new_response", "/x", "discussion", course, RESPONSE_CONTEXT
            )
        else:
            for user in users:
                MembershipFactory(user=user, course_id=course)
            filters = {"enrollments": ["audit"], "course_roles": ["staff"]} if kind == "course_filtered" else None
            request = sending.notify_course(course, "discussion", "new_response", "/x", RESPONSE_CONTEXT, filters)
    with override_settings(NOTIFICATION_CREATION_BATCH_SIZE=chunk), CaptureQueriesContext(connection) as queries:
        result = fanout.process_request(request.pk)
    assert Notification.objects.filter(course_id=course).count() == audience
    return len(queries), result.chunks


@pytest.mark.parametrize("kind", ["users", "course", "course_filtered"])
@pytest.mark.parametrize("email", [False, True], ids=["email-off", "email-on"])
def test_queries_per_chunk_do_not_depend_on_chunk_or_audience_size(
    kind, email, flags, django_capture_on_commit_callbacks
):
    flags("notifications.enable_notifications")
    if email:
        flags("notifications.enable_email_notifications")
    enabled_channels()  # warm the flag cache, so every measurement below starts alike

    def measure(audience, chunk):
        return _fan_out(kind, audience, chunk, django_capture_on_commit_callbacks)

    two_small, two_large = measure(10, 5), measure(40, 20)
    three_small, three_large = measure(15, 5), measure(60, 20)
    four = measure(16, 4)
    assert (two_small[1], three_small[1], four[1]) == (2, 3, 4)
    # Same number of chunks, same number of queries, whatever the chunk and audience sizes.
    assert two_small == two_large
    assert three_small == three_large
    # Every further chunk costs the same.
    per_chunk = three_small[0] - two_small[0]
    assert four[0] - three_small[0] == per_chunk
    fixed = two_small[0] - 2 * per_chunk
    assert (fixed, per_chunk) == EXPECTED[kind, email]


# (fixed per request, per chunk), as measured inside a test transaction (so the chunk's atomic block is a
# savepoint pair). Per chunk, email off, user ids (12): savepoint, lock the request and read its cursor, read the
# chunk's recipients, the type's audit-expired filter (Open edX's ``filters`` of every discussion activity type),
# two preference reads (stored choices, email opt-outs), the attention read (levels, do-not-disturb, quiet hours
# of the chunk's users that set any: ``preferences.attention``), one INSERT, the live stream's events (one INSERT
# for every web row of the chunk: ``inbox.live``), one SELECT of the chunk's users' webhook and Slack endpoints
# for both channels (none here, so no savepoint), advance the cursor, release (the web channel's events belong to
# the chunk, so it needs no savepoint). A course audience reads each filter's next ids and then the candidates'
# active flags: one query more per chunk with one filter (13), two more with two filters (14). The
# email channel adds 5: its savepoint pair, the covered users, the users' timezones, one INSERT ... SELECT. Fixed: the
# request read, the last (empty) chunk's savepoint, lock and release, and the done mark; a course audience also
# reads its final empty chunk (one query per filter).
EXPECTED = {
    ("users", False): (5, 12),
    ("course", False): (6, 13),
    ("course_filtered", False): (7, 14),
    ("users", True): (5, 17),
    ("course", True): (6, 18),
    ("course_filtered", True): (7, 19),
}


@pytest.mark.parametrize("audience", [1, 10, 2000])
def test_receiving_a_request_costs_the_same_whatever_the_audience(
    audience, notifications_on, django_assert_num_queries
):
    from platform_notifications.config import toggles

    toggles.ENABLE_NOTIFICATIONS.is_enabled()  # warm the flag cache
    # Unknown ids are fine here: the producer's call never looks users up (the fan-out does, in chunks).
    with django_assert_num_queries(3):  # savepoint, insert the request, release (a repeat is found by its conflict)
        sending.notify(range(1, audience + 1), "new_response", "/x", "discussion", "course-v1:a+b+c", RESPONSE_CONTEXT)


@pytest.mark.parametrize("kind", ["users", "course", "course_filtered"])
def test_default_chunk_costs_under_one_statement_per_thousand_recipients_with_email_on(kind):
    """The default chunk amortises a chunk's fixed statements (email on: the most) to under one per 1,000."""
    from platform_notifications.config.bounds import bounded

    per_chunk = EXPECTED[kind, True][1]
    assert per_chunk * 1000 / bounded("NOTIFICATION_CREATION_BATCH_SIZE") < 1
