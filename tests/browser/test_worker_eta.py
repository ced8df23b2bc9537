"""The demo's Celery worker on kombu's SQLAlchemy transport (no Redis) runs ETA tasks at their ETA."""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import datetime

import pytest

pytestmark = pytest.mark.browser

DELAY = 5  # seconds between enqueueing and the task's ETA

ENQUEUE = """
import json, uuid
from django.contrib.auth import get_user_model
from django.utils import timezone
from platform_notifications.models import NotificationRequest
from platform_notifications.tasks import fan_out
user = get_user_model().objects.get(username="chloe")
request = NotificationRequest.objects.create(
    event_id=uuid.uuid4(), kind="users", app_name="grading", notification_type="ora_reminder",
    context={"ora_name": "ETA probe", "pending_step": "self"}, user_ids=[user.pk],
)
eta = timezone.now() + timezone.timedelta(seconds=%d)
fan_out.apply_async(args=[request.pk], eta=eta)
print(json.dumps({"request": request.pk, "user": user.pk, "eta": eta.isoformat()}))
"""


def test_eta_task_runs_at_its_eta(demo):
    sent = json.loads(demo.manage(ENQUEUE % DELAY).strip().splitlines()[-1])
    eta = datetime.fromisoformat(sent["eta"])
    db = sqlite3.connect(demo.var_dir / "dev.sqlite3", timeout=30)
    query = (
        "select created from platform_notifications_notification where user_id = ? "
        "and notification_type = 'ora_reminder' and content_context like '%ETA probe%'"
    )
    try:
        time.sleep(DELAY / 2)
        assert db.execute(query, (sent["user"],)).fetchall() == [], "the task ran before its ETA"
        deadline = time.monotonic() + DELAY + 15
        rows = []
        while not rows and time.monotonic() < deadline:
            time.sleep(0.25)
            rows = db.execute(query, (sent["user"],)).fetchall()
    finally:
        db.close()
    assert rows, "the ETA task never ran"
    created = datetime.fromisoformat(rows[0][0]).replace(tzinfo=eta.tzinfo)
    lateness = (created - eta).total_seconds()
    assert 0 <= lateness < 5, f"ran {lateness:.2f}s after its ETA"
