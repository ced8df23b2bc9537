"""SQLite connections report their real parameter limit, so a chunk's bulk writes stay one statement."""

import sqlite3

import pytest
from django.db import connection

from platform_notifications.core.dbfeatures import use_real_sqlite_parameter_limit
from platform_notifications.models import DigestSchedule
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only")
def test_bulk_create_of_a_large_chunk_is_one_insert(django_assert_num_queries):
    users = UserFactory.create_batch(400)
    rows = [DigestSchedule(user=u, cadence="Daily", delivery_time="2026-01-01T17:00Z") for u in users]
    # 400 rows x 9 columns: 3,600 parameters, over the 999 Django assumes for SQLite.
    with django_assert_num_queries(1):
        DigestSchedule.objects.bulk_create(rows, ignore_conflicts=True)
    assert DigestSchedule.objects.count() == 400


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only")
def test_receiver_reads_the_limit_from_the_connection(monkeypatch):
    connection.ensure_connection()
    monkeypatch.setattr(connection.features, "max_query_params", 999)
    use_real_sqlite_parameter_limit(connection=connection)
    assert connection.features.max_query_params == connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    assert connection.features.max_query_params > 999
