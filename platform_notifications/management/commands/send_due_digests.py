"""Deliver every notification email (digest or buffered) whose time has come and that was not sent yet.

Safe at any time and beside the ETA tasks: each schedule is claimed before it is sent.
"""

from django.core.management.base import BaseCommand

from platform_notifications.channels.email.batch import deliver_due


class Command(BaseCommand):
    help = "Deliver every due notification email that was not sent (e.g. after a broker lost its ETA messages)."

    def handle(self, *args, **options):
        outcome = deliver_due()
        summary = ", ".join(f"{count} {state}" for state, count in sorted(outcome.items())) or "nothing due"
        self.stdout.write(f"Due notification emails: {summary}.")
