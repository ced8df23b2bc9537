"""Applying an unsubscribe: store the user's choice at the level the token names.

Only choices are stored (see ``preferences``): one type writes its preference row; one app also writes the
app-wide ``*`` row, and all email sets the global opt-out, so types added later are covered too.
"""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.db import transaction

from platform_notifications.channels.email.tokens import ALL, APP, TYPE, InvalidToken, Scope
from platform_notifications.config.enums import APP_WIDE_TYPE, BUNDLED_TYPE
from platform_notifications.models import NotificationPreference, UserNotificationSettings

log = logging.getLogger(__name__)


def unsubscribe(user_id: int, scope: Scope) -> None:
    """Turn email off for ``user_id`` over ``scope``; idempotent."""
    if not get_user_model().objects.filter(pk=user_id).exists():
        raise InvalidToken("This unsubscribe link belongs to an account that no longer exists.")
    prefs = NotificationPreference.objects.filter(user_id=user_id)
    with transaction.atomic():
        if scope.kind == TYPE:
            NotificationPreference.objects.update_or_create(
                user_id=user_id, app_name=scope.app_name, notification_type=scope.key, defaults={"email": False}
            )
        elif scope.kind == APP:
            prefs.filter(app_name=scope.app_name).update(email=False)
            NotificationPreference.objects.update_or_create(
                user_id=user_id, app_name=scope.app_name, notification_type=APP_WIDE_TYPE, defaults={"email": False}
            )
        elif scope.kind == ALL:
            prefs.update(email=False)
            UserNotificationSettings.objects.update_or_create(user_id=user_id, defaults={"email_opt_out": True})
        else:
            raise InvalidToken("This unsubscribe link is malformed.")
    log.info("user %s unsubscribed from email: %s %s %s", user_id, scope.kind, scope.app_name, scope.key)


def describe(scope: Scope) -> str:
    """What the scope covers, for the confirmation page: the app and the kinds by their display names."""
    from django.utils.translation import gettext as _

    from platform_notifications.config import registry

    if scope.kind == ALL:
        return _("all notification emails")
    app = registry.get_app(scope.app_name)
    app_label = str(app.info or app.name) if app else scope.app_name
    if scope.kind == APP:
        return _("notification emails about: %(app)s") % {"app": app_label}
    if scope.key == BUNDLED_TYPE:
        # The bundled row stands for several types: name each, so the reader knows exactly what stops.
        names = [str(t.info or t.name) for t in registry.types_of(scope.app_name) if t.use_app_defaults]
        return _("emails about %(types)s (%(app)s)") % {"types": ", ".join(names), "app": app_label}
    ntype = registry.get_type(scope.key)
    type_label = str(ntype.info or ntype.name) if ntype else scope.key
    return _("emails about “%(type)s” (%(app)s)") % {"type": type_label, "app": app_label}
