"""Email on real servers: a Celery worker on Redis delivers a digest at its ETA; racing workers send each once."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import pytest

from tests.services.email_fixtures import email_database, email_services  # noqa: F401  (fixtures)

pytestmark = pytest.mark.services


def test_digest_is_delivered_at_its_eta(email_services):  # noqa: F811
    with email_services.workers(1):
        seeded = email_services.driver("seed", 3, 4, email_services.queue, 1)
        when = datetime.fromisoformat(seeded["delivery_time"])
        rows = email_services.wait_until_sent(3)
    assert sorted(email_services.recipients()) == sorted(seeded["emails"])
    assert {row["state"] for row in rows} == {"sent"}
    for row in rows:
        sent_at = datetime.fromisoformat(row["sent_at"])
        # Not before its time, and within a few seconds of it.
        assert when <= sent_at, (when, sent_at)
        assert (sent_at - when).total_seconds() < 15


def test_racing_workers_and_duplicate_messages_send_each_digest_once(email_services):  # noqa: F811
    with email_services.workers(2):
        # Each instant queued three times, plus two due-digest sweeps at the same ETA, across two workers.
        seeded = email_services.driver("seed", 30, 3, email_services.queue, 3)
        rows = email_services.wait_until_sent(30)
    counts = Counter(email_services.recipients())
    assert counts == Counter(dict.fromkeys(seeded["emails"], 1))
    assert {row["state"] for row in rows} == {"sent"}
