"""Delete notifications older than NOTIFICATIONS_EXPIRY days, in batches."""

from django.core.management.base import BaseCommand

from platform_notifications.operations.retention import purge_expired


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=None, help="rows deleted per statement")

    def handle(self, *args, batch_size=None, **options):
        deleted = purge_expired(batch_size)
        self.stdout.write(f"Deleted {deleted} expired notifications.")
