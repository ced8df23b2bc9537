"""Schemathesis against the committed OpenAPI schema: every operation, signed in, every check, zero failures.

Requests go through the project's real WSGI application (middleware, session authentication, CSRF), so what
the schema promises is checked against what a client of the deployed API gets.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
import yaml
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from hypothesis import HealthCheck, settings

from tests.factories import NotificationFactory, UserFactory

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"

schema = schemathesis.openapi.from_dict(yaml.safe_load(COMMITTED.read_text()))
schema.app = get_wsgi_application()

#: The signed-in session of the running test (set by the ``signed_in`` fixture, read by the auth provider).
SESSION: dict[str, str] = {}


@schema.auth(refresh_interval=None)
class SessionAuth:
    """Session cookie and CSRF token; schemathesis leaves them out itself when it tests unauthenticated calls."""

    def get(self, case, context):
        return dict(SESSION)

    def set(self, case, data, context):
        if not data:  # outside a test (collection): nothing to sign in with
            return
        case.cookies = {**(case.cookies or {}), "sessionid": data["sessionid"], "csrftoken": data["csrf"]}
        case.headers = {**(case.headers or {}), "X-CSRFToken": data["csrf"]}


#: Examples per operation (positive and negative): reaches every declared limit and keeps the run near 20 s.
EXAMPLES = 25


@pytest.fixture
def signed_in(db, all_flags_on):
    """Session and CSRF cookies of a user holding a few notifications (the WSGI app shares the test's database)."""
    user = UserFactory()
    NotificationFactory.create_batch(3, user=user)
    NotificationFactory(user=user, app_name="updates", notification_type="course_updates")
    client = Client()
    client.force_login(user)
    csrf = _get_new_csrf_string()
    # Django closes "obsolete" connections around each request, which would end the test's transaction;
    # its own test client turns that off the same way.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    SESSION.update(sessionid=client.cookies["sessionid"].value, csrf=csrf)
    yield
    SESSION.clear()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_operation_keeps_every_promise_of_the_schema(case, signed_in):
    case.call_and_validate()
