"""Re-enqueue notification requests whose fan-out never ran or stalled (e.g. the broker was down)."""

from django.core.management.base import BaseCommand

from platform_notifications.intake.sweep import requeue_stale_requests


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args, **options):
        self.stdout.write(f"Re-enqueued {requeue_stale_requests()} requests.")
