"""A producer's transaction survives whatever it sends (SQLite): every event ends as a request or a refusal.

The same cases and properties run on PostgreSQL and MariaDB in tests/services/test_intake_services.py.
"""

from __future__ import annotations

import pytest
from django.db import DatabaseError
from hypothesis import HealthCheck, given, settings

from platform_notifications import exceptions as errors
from platform_notifications.intake import outbox
from platform_notifications.models import NotificationRequest, RefusedNotification
from tests.factories import UserFactory
from tests.intake_faults import UNSTORABLE, Event, assert_accounted_for, emit_in_producer_transaction, events

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("notifications_on")]

PROPERTY = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


def _event(field: str, value) -> Event:
    event = Event(user_ids=[UserFactory().id])
    setattr(event, field, value)
    return event


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
@pytest.mark.parametrize(("case", "field", "value", "reason"), UNSTORABLE, ids=[c[0] for c in UNSTORABLE])
def test_signal_with_an_unstorable_value_records_a_refusal_and_spares_the_producer(
    settings, debug, case, field, value, reason
):
    settings.DEBUG = debug  # with DEBUG on, openedx-events lets receiver exceptions reach the producer
    outcome = emit_in_producer_transaction(_event(field, value), "signal")
    assert outcome.requests == []
    [refusal] = outcome.refusals
    assert reason in refusal.reason
    refusal.refresh_from_db()  # what was stored reads back: NUL and surrogates escaped, NaN as its repr
    assert "\x00" not in str(refusal.payload) + refusal.notification_type + refusal.app_name


@pytest.mark.parametrize(("case", "field", "value", "reason"), UNSTORABLE, ids=[c[0] for c in UNSTORABLE])
def test_api_refuses_an_unstorable_value_with_a_clear_reason(case, field, value, reason):
    outcome = emit_in_producer_transaction(_event(field, value), "api")
    assert isinstance(outcome.error, errors.NotificationRequestError)
    assert reason in str(outcome.error)
    assert outcome.requests == [] and outcome.refusals == []


def test_refusal_payload_keeps_what_explains_the_refusal():
    outcome = emit_in_producer_transaction(_event("context", {"post_title": "a\x00b", "n": float("nan")}), "signal")
    payload = outcome.refusals[0].payload
    assert payload["context"] == {"post_title": "a\\x00b", "n": "nan"}
    assert payload["notification_type"] == "new_response"


def test_storable_copy_cuts_a_huge_id_list_and_escapes_surrogates():
    copy = outbox.storable_copy({"user_ids": list(range(10_000)), "k\ud800": 2**80})
    assert len(copy["user_ids"]) == outbox.MAX_STORED_ITEMS + 1
    assert copy["user_ids"][-1] == f"... {10_000 - outbox.MAX_STORED_ITEMS} more"
    assert copy == {"user_ids": copy["user_ids"], "k\\ud800": repr(2**80)}


class Unreadable:
    def __getattr__(self, name):
        raise RuntimeError("broken event object")


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
def test_an_event_object_that_cannot_be_read_is_recorded_not_raised(settings, debug):
    from platform_notifications.intake.receivers import handle_user_notification_requested

    settings.DEBUG = debug
    handle_user_notification_requested(notification_data=Unreadable())
    assert "RuntimeError: broken event object" in RefusedNotification.objects.get().reason


def test_api_raises_only_its_own_errors_for_objects_that_break_on_use():
    class Exploding:
        def __str__(self):
            raise RuntimeError("no")

    outcome = emit_in_producer_transaction(_event("course_key", Exploding()), "api")
    assert isinstance(outcome.error, errors.InvalidNotificationData)


def test_a_database_refusing_the_request_raises_notification_not_stored(monkeypatch):
    def refuse(*args, **kwargs):
        raise DatabaseError("value too long")

    monkeypatch.setattr(NotificationRequest, "save", refuse)
    outcome = emit_in_producer_transaction(_event("context", {"post_title": "t", "replier_name": "r"}), "api")
    assert isinstance(outcome.error, errors.NotificationNotStored)


def test_a_database_refusing_the_refusal_falls_back_to_a_bare_one(monkeypatch):
    real_create = RefusedNotification.objects.create

    def picky_create(**row):
        if row["payload"] != {"unstorable": True}:
            raise DatabaseError("payload refused")
        return real_create(**row)

    monkeypatch.setattr(RefusedNotification.objects, "create", picky_create)
    outcome = emit_in_producer_transaction(_event("notification_type", "nope"), "signal")
    assert [r.payload for r in outcome.refusals] == [{"unstorable": True}]


#: Users that exist, so that some generated events reach real recipients (created once per test).
KNOWN_USERS = [101, 102, 103]


@pytest.fixture
def known_users(db):
    return [UserFactory(id=uid).id for uid in KNOWN_USERS]


@pytest.mark.usefixtures("known_users")
@pytest.mark.parametrize("via", ["signal", "api"])
@PROPERTY
@given(event=events(KNOWN_USERS))
def test_any_event_is_a_request_or_a_refusal_and_the_producer_keeps_its_row(via, event):
    assert_accounted_for(emit_in_producer_transaction(event, via), via)
