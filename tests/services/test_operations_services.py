"""Retention and health on PostgreSQL and MariaDB: the same scenarios as the SQLite suite, on the real engines."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.operations import test_health, test_retention_policies

pytestmark = [
    pytest.mark.services,
    pytest.mark.skipif(connection.vendor == "sqlite", reason="needs PostgreSQL or MariaDB (DATABASE_URL)"),
    pytest.mark.django_db,
]

backlog = test_health.backlog
test_health_figures_on_the_server = test_health.test_figures_come_from_the_rows_in_two_queries
test_retention_policies_on_the_server = (
    test_retention_policies.test_each_table_follows_its_setting_and_pending_work_is_kept
)
test_retention_ranges_on_the_server = (
    test_retention_policies.test_gaps_in_the_keys_only_add_statements_never_rows_per_statement
)
