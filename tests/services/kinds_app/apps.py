"""App config of the services suite's host app: registers its kinds when Django starts (a worker included)."""

from __future__ import annotations

from django.apps import AppConfig


class KindsAppConfig(AppConfig):
    name = "tests.services.kinds_app"
    label = "services_kinds_app"

    def ready(self) -> None:
        from tests.services.kinds_app.kinds import register

        register()
