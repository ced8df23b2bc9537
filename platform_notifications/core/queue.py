"""The task queue as the stages see it: the task names and one bounded publish that never raises.

Stages enqueue by name through this module, so that ``tasks.py`` (which imports the stages) is never imported
back by them. The task object is looked up in the Celery app's registry, so eager mode and the app's routing
still apply exactly as with ``task.apply_async``.

Every publish is bounded, because it runs in a producer's request (after its commit): ``apply_async(retry=False)``
alone still blocks for about six seconds on an unreachable broker, since kombu's ``Connection.default_channel``
calls ``_ensure_connection`` with the connection's failover options (no ``max_retries``: retry until
``broker_connection_timeout``, 4 s, plus the back-off sleeps). Here the publish uses its own pooled connection
that tries once (``max_retries=0``) with short socket timeouts, and after a failure the broker is skipped for a
short while (a circuit breaker), so an outage costs one producer one short timeout rather than every producer six
seconds. Nothing is lost: every caller has a sweep behind it that enqueues again what was not published.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from celery import current_app
from kombu import pools

log = logging.getLogger(__name__)

FAN_OUT = "platform_notifications.tasks.fan_out"
DELIVER_EMAIL_INSTANT = "platform_notifications.tasks.deliver_email_instant"
DELIVER_EMAIL_SCHEDULE = "platform_notifications.tasks.deliver_email_schedule"
DELIVER_ATTEMPTS = "platform_notifications.tasks.deliver_attempts"
RELEASE_HELD = "platform_notifications.tasks.release_held_deliveries"
WEBHOOK_DISABLED = "platform_notifications.tasks.notify_webhook_disabled"
DELIVER_CRITICAL_EMAIL = "platform_notifications.tasks.deliver_critical_email"

#: Seconds to open a broker connection: a broker on the local network answers in about a millisecond.
CONNECT_TIMEOUT = 0.1
#: Seconds a connected broker may take to accept one message.
SEND_TIMEOUT = 0.5
#: Seconds the broker is skipped after a failed publish (the sweeps deliver what was skipped).
BREAKER_SECONDS = 2.0

#: Broker URL schemes whose transport takes ``socket_connect_timeout`` and ``socket_timeout``.
SOCKET_TRANSPORTS = {"redis", "rediss", "sentinel"}

_lock = threading.Lock()
_templates: dict[tuple[int, str], Any] = {}
_broken_until = 0.0


def enqueue(name: str, args: Sequence[Any], *, eta: datetime | None = None, task_id: str | None = None) -> bool:
    """Publish task ``name``; False (logged) when the broker refused it: the caller's sweep recovers the work."""
    global _broken_until
    app = current_app
    task = app.tasks[name]
    if app.conf.task_always_eager:
        return _run(task, args, eta, task_id, connection=None)
    if time.monotonic() < _broken_until:
        log.warning("broker unavailable a moment ago: %s%s left to the sweep", name, tuple(args))
        return False
    try:
        connection = pools.connections[_template(app)].acquire(block=True, timeout=SEND_TIMEOUT)
    except Exception:  # every pooled connection busy (or a URL that cannot be parsed): not a broker failure
        log.warning("no broker connection free for %s%s: left to the sweep", name, tuple(args), exc_info=True)
        return False
    try:
        published = _run(task, args, eta, task_id, connection=connection)
        if not published:
            # A connection that failed may be half open (AMQP); the next publish opens a fresh one.
            _close(connection)
    finally:
        connection.release()
    if not published:
        _broken_until = time.monotonic() + BREAKER_SECONDS
    return published


def _run(task: Any, args: Sequence[Any], eta: datetime | None, task_id: str | None, connection: Any) -> bool:
    try:
        task.apply_async(args=list(args), eta=eta, task_id=task_id, retry=False, connection=connection)
    except Exception:  # kombu raises many kinds of connection errors; every caller has a sweep behind it
        log.warning("could not enqueue %s%s", task.name, tuple(args), exc_info=True)
        return False
    return True


def _close(connection: Any) -> None:
    try:
        connection.close()
    except Exception:  # closing a dead connection can fail too; it is discarded either way
        log.debug("closing a failed broker connection failed", exc_info=True)


def _template(app: Any) -> Any:
    """The bounded connection this app publishes with (one pool per app and broker URL, reset after fork)."""
    url = app.conf.broker_write_url or app.conf.broker_url
    key = (id(app), str(url))
    with _lock:
        template = _templates.get(key)
        if template is None:
            options = {**(app.conf.broker_transport_options or {}), "max_retries": 0}
            if str(url).split(":", 1)[0] in SOCKET_TRANSPORTS:
                # Socket timeouts are options of the Redis transport only; others (the SQLAlchemy broker of the
                # embedded default) refuse unknown options, so they get the retry limit alone.
                options.update(socket_connect_timeout=CONNECT_TIMEOUT, socket_timeout=SEND_TIMEOUT)
            template = app.connection_for_write(url, connect_timeout=CONNECT_TIMEOUT, transport_options=options)
            _templates[key] = template
        return template


def reset_breaker() -> None:
    """Forget a recent failure (tests, and operators after fixing the broker from a shell)."""
    global _broken_until
    _broken_until = 0.0
