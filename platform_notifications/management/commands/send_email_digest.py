"""Deprecated: digests now schedule themselves; kept so old cron jobs do not fail."""

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Deprecated no-op: digest emails are now scheduled automatically."

    def add_arguments(self, parser):
        # Old cron lines may pass options (e.g. --cadence Daily); accept and ignore them.
        parser.add_argument("args", nargs="*")
        parser.add_argument("--cadence", required=False)

    def handle(self, *args, **options):
        self.stdout.write(
            "WARNING: This command is deprecated. Digest emails are now scheduled automatically. "
            "Please remove cron jobs using this command."
        )
