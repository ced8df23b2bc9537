"""Print the notification health figures; exit 1 when one is over its threshold (for monitoring)."""

import json

from django.core.management.base import BaseCommand

from platform_notifications.operations import health


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        for name, default in health.THRESHOLDS.items():
            parser.add_argument(f"--max-{name.replace('_', '-')}", type=float, default=default, dest=name)
        parser.add_argument("--json", action="store_true", help="print the figures as one JSON document")

    def handle(self, *args, **options):
        figures = health.current()
        over = figures.over({name: options[name] for name in health.THRESHOLDS})
        if options["json"]:
            self.stdout.write(json.dumps({**figures.as_dict(), "over_thresholds": over}))
        else:
            for name, value in figures.as_dict().items():
                if name != "channels":
                    self.stdout.write(f"{name}: {'none' if value is None else value}")
            self.stdout.write("over thresholds: " + (", ".join(over) if over else "none"))
        if over:
            raise SystemExit(1)
