"""The health view (staff only) and command: backlog figures from the real rows, thresholds, exit status."""

from __future__ import annotations

import io
import json
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from platform_notifications.models import DigestSchedule, NotificationRequest
from platform_notifications.operations import health
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/notifications/health/"


def _request(state: str, minutes_ago: float) -> None:
    NotificationRequest.objects.create(
        event_id=uuid.uuid4(), kind="users", state=state, created=timezone.now() - timedelta(minutes=minutes_ago)
    )


def _schedule(state: str, minutes_from_now: float) -> None:
    DigestSchedule.objects.create(
        user=UserFactory(),
        cadence="Daily",
        state=state,
        delivery_time=timezone.now() + timedelta(minutes=minutes_from_now),
    )


@pytest.fixture
def backlog():
    _request("pending", 42)
    _request("pending", 1)
    _request("failed", 5)
    _request("done", 500)
    _schedule("pending", 60)  # not due yet
    _schedule("pending", -10)  # due, within the sweep's reach
    _schedule("pending", -45)  # overdue
    _schedule("sending", -1)
    _schedule("failed", -100)
    _schedule("sent", -100)


def test_figures_come_from_the_rows_in_two_queries(backlog):
    with CaptureQueriesContext(connection) as captured:
        figures = health.current()
    assert len(captured) == 2
    assert 42 * 60 - 5 < figures.oldest_pending_request_seconds < 42 * 60 + 60
    assert (figures.pending_requests, figures.failed_requests) == (2, 1)
    assert (figures.email_pending, figures.email_sending, figures.email_failed) == (3, 1, 1)
    assert figures.digests_overdue == 1


def test_no_backlog_reports_nothing_pending():
    figures = health.current()
    assert figures.oldest_pending_request_seconds is None
    assert figures.over(health.THRESHOLDS) == []


def test_staff_get_json(backlog):
    client = APIClient()
    client.force_authenticate(UserFactory(is_staff=True))
    body = client.get(URL).json()
    assert body["pending_requests"] == 2
    assert body["channels"]["email"] == {"pending": 3, "sending": 1, "failed": 1, "overdue": 1}
    assert set(body["over_thresholds"]) == {
        f"oldest_pending_request_seconds={body['oldest_pending_request_seconds']:g}>900",
        "failed_requests=1>0",
        "email_failed=1>0",
        "digests_overdue=1>0",
    }


def test_anonymous_get_401_and_learners_403(backlog):
    assert APIClient().get(URL).status_code == 401
    client = APIClient()
    client.force_authenticate(UserFactory())
    response = client.get(URL)
    assert response.status_code == 403
    assert "pending_requests" not in response.json()


def test_state_changes_are_refused(backlog):
    client = APIClient()
    client.force_authenticate(UserFactory(is_staff=True))
    assert client.post(URL).status_code == 405


def test_command_prints_the_figures_and_fails_over_thresholds(backlog):
    out = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("notifications_health", stdout=out)
    assert exited.value.code == 1
    assert "pending_requests: 2" in out.getvalue()
    assert "digests_overdue=1>0" in out.getvalue()


def test_command_passes_within_thresholds(backlog):
    out = io.StringIO()
    call_command(
        "notifications_health",
        "--json",
        "--max-oldest-pending-request-seconds=86400",
        "--max-failed-requests=5",
        "--max-email-failed=5",
        "--max-digests-overdue=5",
        stdout=out,
    )
    body = json.loads(out.getvalue())
    assert body["over_thresholds"] == []
    assert body["email_failed"] == 1
