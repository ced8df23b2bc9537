"""System checks for kinds registered from code: every bad registration is reported by ``manage.py check``."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, register

from platform_notifications.config.checks import TAG
from platform_notifications.config.kinds import registry as kinds


@register(TAG)
def check_kinds(app_configs: Any = None, **kwargs: Any) -> list:
    return [
        Error(problem, hint="Fix the registry.register(...) call.", id="platform_notifications.E020")
        for found in kinds.problems().values()
        for problem in found
    ]
