"""Purge old rows of every growing table (NOTIFICATIONS_EXPIRY, NOTIFICATIONS_RETENTION_DAYS), in short batches."""

from django.core.management.base import BaseCommand

from platform_notifications.operations.retention import purge


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=None, help="consecutive primary keys per DELETE")

    def handle(self, *args, batch_size=None, **options):
        deleted = purge(batch_size)
        self.stdout.write(f"Deleted {deleted['notifications']} expired notifications.")
        for table, count in deleted.items():
            if table != "notifications":
                self.stdout.write(f"Deleted {count} old {table}.")
