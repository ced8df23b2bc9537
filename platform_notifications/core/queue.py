"""The task queue as the stages see it: the task names and one publish that never raises.

Stages enqueue by name through this module, so that ``tasks.py`` (which imports the stages) is never imported
back by them. The task object is looked up in the Celery app's registry, so eager mode and the app's routing
still apply exactly as with ``task.apply_async``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from celery import current_app

log = logging.getLogger(__name__)

FAN_OUT = "platform_notifications.tasks.fan_out"
DELIVER_EMAIL_INSTANT = "platform_notifications.tasks.deliver_email_instant"
DELIVER_EMAIL_SCHEDULE = "platform_notifications.tasks.deliver_email_schedule"
DELIVER_CRITICAL_EMAIL = "platform_notifications.tasks.deliver_critical_email"


def enqueue(name: str, args: Sequence[Any], *, eta: datetime | None = None, task_id: str | None = None) -> bool:
    """Publish task ``name``; False (logged) when the broker refused it: the caller's sweep recovers the work."""
    try:
        current_app.tasks[name].apply_async(args=list(args), eta=eta, task_id=task_id, retry=False)
    except Exception:  # kombu raises many kinds of connection errors; every caller has a sweep behind it
        log.warning("could not enqueue %s%s", name, tuple(args), exc_info=True)
        return False
    return True
