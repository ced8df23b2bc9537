"""Remove every notification row of one user (notifications, preferences, settings, schedules, requests)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from platform_notifications.operations.retirement import retire_user


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = get_user_model()._default_manager.filter(**{get_user_model().USERNAME_FIELD: username}).first()
        if user is None:
            raise CommandError(f"no user named {username!r}; nothing was changed")
        result = retire_user(user)
        self.stdout.write(f"Retired user {username} (id {user.pk}): {result.total} rows removed or scrubbed.")
        for name, count in result.rows.items():
            self.stdout.write(f"  {name}: {count}")
