"""``manage.py seed_demo``: create the demo course, users, flags and first post (idempotent)."""

from django.core.management.base import BaseCommand

from demo.seed import DEMO_PASSWORD, DEMO_USERS, seed


class Command(BaseCommand):
    help = "Create the demo platform's course, users, waffle flags and first post where missing."

    def handle(self, *args, **options) -> None:
        created = seed()
        for item in created:
            self.stdout.write(f"created {item}")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for spec in DEMO_USERS:
            self.stdout.write(f"  {spec['username']:<6} {spec['role']}")
