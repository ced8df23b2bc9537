"""System checks for kinds registered from code: every bad registration is reported by ``manage.py check``."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, register

from platform_notifications.config.checks import TAG
from platform_notifications.config.kinds import registry as kinds


@register(TAG)
def check_kinds(app_configs: Any = None, **kwargs: Any) -> list:
    from platform_notifications.config import senders

    known = senders.configured()
    unknown_senders = [
        Error(
            f"kind {info.kind!r} names sender {info.sender!r}, which is not in NOTIFICATION_SENDERS",
            hint=f"Known senders: {', '.join(sorted(known)) or 'none'}.",
            id="platform_notifications.E021",
        )
        for info in kinds.registered()
        if info.sender and info.sender not in known
    ]
    return [
        *(
            Error(problem, hint="Fix the registry.register(...) call.", id="platform_notifications.E020")
            for found in kinds.problems().values()
            for problem in found
        ),
        *unknown_senders,
    ]
