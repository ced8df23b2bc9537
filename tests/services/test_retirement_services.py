"""Retirement on PostgreSQL and MariaDB: the JSON matches, the statement count at 100,000 rows, user deletion."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from platform_notifications import service
from platform_notifications.models import Notification
from tests.operations.retirement_cases import make_user, nothing_of, populate, rows_of
from tests.operations.test_retirement import RETIRE_QUERIES

pytestmark = [
    pytest.mark.services,
    pytest.mark.skipif(connection.vendor == "sqlite", reason="needs PostgreSQL or MariaDB (DATABASE_URL)"),
    pytest.mark.django_db,
]


def test_a_user_with_100000_notifications_is_retired_in_a_fixed_number_of_statements():
    user, kept = make_user("heavy"), make_user("kept")
    populate(user, notifications=100_000)
    populate(kept)
    before = rows_of(kept.pk)
    with CaptureQueriesContext(connection) as captured:
        result = service.retire_user(user)
    assert len(captured) == RETIRE_QUERIES
    assert result.rows["platform_notifications.notification"] == 100_000
    assert nothing_of(user.pk)
    assert rows_of(kept.pk) == before


def test_deleting_the_user_leaves_no_orphan():
    user, kept = make_user("deleted"), make_user("kept")
    populate(user, notifications=50)
    populate(kept)
    before = rows_of(kept.pk)
    user_id = user.pk
    user.delete()
    assert nothing_of(user_id)
    assert not Notification.objects.filter(user_id=user_id).exists()
    assert rows_of(kept.pk) == before
