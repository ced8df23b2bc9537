"""Email scheduling on real PostgreSQL and MariaDB: the covered users' read stays one index probe per user.

Run with ``DJANGO_SETTINGS_MODULE=settings.services DATABASE_URL=... pytest -m services``.
"""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from platform_notifications.channels.email import schedule
from platform_notifications.config import Cadence
from platform_notifications.models import DigestSchedule

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor == "sqlite", reason="needs PostgreSQL or MariaDB (DATABASE_URL)"),
]


def test_covered_users_of_a_large_chunk_against_a_table_without_statistics():
    """Thousands of pending schedules written since the last ANALYZE: the read is still right and per user."""
    User = get_user_model()
    users = User.objects.bulk_create([User(username=f"sched-{n}") for n in range(3000)])
    ids = {user.pk for user in users}
    now = timezone.now()
    ahead, past = now + timedelta(hours=5), now - timedelta(hours=1)
    DigestSchedule.objects.bulk_create(
        [DigestSchedule(user=u, cadence=Cadence.DAILY, delivery_time=ahead) for u in users[::2]]
        + [DigestSchedule(user=u, cadence=Cadence.DAILY, delivery_time=past) for u in users[1::2]]  # behind: not
        + [DigestSchedule(user=u, cadence=Cadence.WEEKLY, delivery_time=ahead) for u in users[1::2]]  # other cadence
    )
    with CaptureQueriesContext(connection) as ctx:
        found = schedule.covered(Cadence.DAILY, ids, now)
    assert found == {user.pk for user in users[::2]}
    (sql,) = [q["sql"] for q in ctx.captured_queries]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
        # One probe of the unique index per user, never a pass over the users' document per pending schedule.
        assert "pn_digest_unique" in plan, plan
        assert "Join Filter" not in plan, plan
