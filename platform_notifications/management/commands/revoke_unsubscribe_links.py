"""Revoke every unsubscribe link sent so far to some users (by id or username), or to everyone (``--all``).

A revoked link changes nothing and shows a page pointing to the preferences page; emails sent afterwards carry
working links again. Use it when links leaked (a forwarded digest, a mailing-list archive).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db.models import F

from platform_notifications.channels.email import tokens
from platform_notifications.models import UserNotificationSettings

#: Users given a settings row per statement by ``--all``.
BATCH = 5000


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("users", nargs="*", help="user ids or usernames")
        parser.add_argument("--all", action="store_true", help="revoke the links of every user")

    def handle(self, *args, users, all, **options):
        if bool(users) == bool(all):
            raise CommandError("name some users, or pass --all")
        if all:
            count = self._revoke_everyone()
        else:
            ids = [self._user_id(name) for name in users]
            for user_id in ids:
                tokens.revoke(user_id)
            count = len(ids)
        self.stdout.write(f"Revoked the unsubscribe links of {count} users.")

    def _user_id(self, name: str) -> int:
        model = get_user_model()
        user = model.objects.filter(pk=int(name)).first() if name.isdigit() else None
        user = user or model.objects.filter(**{model.USERNAME_FIELD: name}).first()
        if user is None:
            raise CommandError(f"no user {name!r}")
        return user.pk

    def _revoke_everyone(self) -> int:
        # Users without a settings row get one first (their version is then raised like everyone's).
        ids = get_user_model().objects.order_by("pk").values_list("pk", flat=True)
        last = 0
        while batch := list(ids.filter(pk__gt=last)[:BATCH]):
            UserNotificationSettings.objects.bulk_create(
                [UserNotificationSettings(user_id=pk) for pk in batch], ignore_conflicts=True
            )
            last = batch[-1]
        return UserNotificationSettings.objects.update(unsubscribe_token_version=F("unsubscribe_token_version") + 1)
