"""A host app of the services suite: registers the kinds its tests send, in the test process and in the workers.

A worker is another process: it knows a kind only if an ``AppConfig.ready()`` registered it there, as a host's
would. ``tests.services.kinds_settings`` installs the app for the workers; the test process calls ``register``.
"""

from __future__ import annotations

from platform_notifications import service
from platform_notifications.config.kinds import registry as kinds

APPROVAL = "svcapprovals.requested"
ALERT = "svcalerts.health_check"
#: The permission that narrows the approval audience.
PERMISSION = "auth.change_group"


def register() -> None:
    """Register the suite's kinds (idempotent: the test process may already hold them)."""
    if kinds.get(APPROVAL) is None:
        service.registry.register(APPROVAL, "Approval requests", email_cadence="Immediately")
    if kinds.get(ALERT) is None:
        service.registry.register(ALERT, "Health checks", email_cadence="Immediately")


def unregister() -> None:
    for kind in (APPROVAL, ALERT):
        kinds.unregister(kind)
