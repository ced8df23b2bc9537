"""A producer's transaction survives whatever it sends, on PostgreSQL and MariaDB (the engines that refuse
NaN, NUL and lone surrogates differently from SQLite): every event ends as a request or a refusal.

The cases and properties are those of tests/foundation/test_intake_faults.py (shared in tests/intake_faults.py).
"""

from __future__ import annotations

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from waffle.models import Flag

from platform_notifications import exceptions as errors
from tests.factories import UserFactory
from tests.intake_faults import UNSTORABLE, Event, assert_accounted_for, emit_in_producer_transaction, events

pytestmark = [
    pytest.mark.services,
    pytest.mark.skipif(connection.vendor == "sqlite", reason="needs PostgreSQL or MariaDB (DATABASE_URL)"),
    pytest.mark.django_db,
]

#: Bounded: each example is a few round trips to the server; 60 per path keep the run to a few seconds.
PROPERTY = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
KNOWN_USERS = [101, 102, 103]


@pytest.fixture(autouse=True)
def master_flag():
    Flag.objects.create(name="notifications.enable_notifications", everyone=True)


@pytest.fixture
def known_users():
    return [UserFactory(id=uid).id for uid in KNOWN_USERS]


def _event(field: str, value) -> Event:
    event = Event(user_ids=[UserFactory().id])
    setattr(event, field, value)
    return event


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
@pytest.mark.parametrize(("case", "field", "value", "reason"), UNSTORABLE, ids=[c[0] for c in UNSTORABLE])
def test_signal_with_an_unstorable_value_records_a_refusal_and_spares_the_producer(
    settings, debug, case, field, value, reason
):
    settings.DEBUG = debug
    outcome = emit_in_producer_transaction(_event(field, value), "signal")
    assert outcome.requests == []
    [refusal] = outcome.refusals
    assert reason in refusal.reason


@pytest.mark.parametrize(("case", "field", "value", "reason"), UNSTORABLE, ids=[c[0] for c in UNSTORABLE])
def test_api_refuses_an_unstorable_value_with_a_clear_reason(case, field, value, reason):
    outcome = emit_in_producer_transaction(_event(field, value), "api")
    assert isinstance(outcome.error, errors.NotificationRequestError)
    assert reason in str(outcome.error)


@pytest.mark.usefixtures("known_users")
@pytest.mark.parametrize("via", ["signal", "api"])
@PROPERTY
@given(event=events(KNOWN_USERS))
def test_any_event_is_a_request_or_a_refusal_and_the_producer_keeps_its_row(via, event):
    assert_accounted_for(emit_in_producer_transaction(event, via), via)


def test_a_repeated_event_inside_the_producers_transaction_is_found_by_its_conflict(known_users):
    import uuid

    from django.contrib.auth.models import Group
    from django.db import transaction

    from platform_notifications import notify
    from platform_notifications.models import NotificationRequest

    key = uuid.uuid4()
    with transaction.atomic():
        Group.objects.create(name="producer")
        first = notify(
            known_users,
            "new_response",
            "/x",
            "discussion",
            "course-v1:a+b+c",
            {"post_title": "t", "replier_name": "r"},
            idempotency_key=key,
        )
        again = notify(
            known_users,
            "new_response",
            "/x",
            "discussion",
            "course-v1:a+b+c",
            {"post_title": "t", "replier_name": "r"},
            idempotency_key=key,
        )
        assert Group.objects.filter(name="producer").count() == 1
    assert first.pk == again.pk
    assert NotificationRequest.objects.filter(event_id=key).count() == 1
