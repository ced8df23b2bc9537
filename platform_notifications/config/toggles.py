"""Waffle flags (edx-toggles) that switch the product's features on and off."""

from __future__ import annotations

import logging

from edx_toggles.toggles import WaffleFlag

log = logging.getLogger(__name__)


class NotificationFlag(WaffleFlag):
    """A WaffleFlag that, outside a request (Celery, signals in scripts), reads the flag's
    "everyone" value through django-waffle's cached model lookup instead of warning on every call."""

    def _get_flag_active_no_request(self) -> bool:
        from waffle import get_waffle_flag_model

        return get_waffle_flag_model().get(self.name).everyone is True


# .. toggle_name: notifications.enable_notifications
# .. toggle_implementation: WaffleFlag
# .. toggle_default: False
# .. toggle_description: Master switch. Off: no notification is created and the tray API reports
#   ``show_notifications_tray: false``, so the front end renders nothing.
# .. toggle_use_cases: open_edx
# .. toggle_creation_date: 2026-11-21
ENABLE_NOTIFICATIONS = NotificationFlag("notifications.enable_notifications", __name__)

# .. toggle_name: notifications.enable_email_notifications
# .. toggle_implementation: WaffleFlag
# .. toggle_default: False
# .. toggle_description: Sends notification emails (immediate, buffered and digests) and shows the email
#   column in preferences. Off: nothing is scheduled or sent.
# .. toggle_use_cases: open_edx
# .. toggle_creation_date: 2026-11-21
ENABLE_EMAIL_NOTIFICATIONS = NotificationFlag("notifications.enable_email_notifications", __name__)

# .. toggle_name: notifications.enable_notification_grouping
# .. toggle_implementation: WaffleFlag
# .. toggle_default: False
# .. toggle_description: Collapses a new notification into the user's unseen row of the same type, course
#   and ``group_by_id`` through the type's grouper. Off: every notification is its own row.
# .. toggle_use_cases: open_edx
# .. toggle_creation_date: 2026-11-21
ENABLE_NOTIFICATION_GROUPING = NotificationFlag("notifications.enable_notification_grouping", __name__)

# .. toggle_name: notifications.enable_push_notifications
# .. toggle_implementation: WaffleFlag
# .. toggle_default: False
# .. toggle_description: Records the push channel on notifications and shows the push column.
# .. toggle_use_cases: open_edx
# .. toggle_creation_date: 2026-11-21
ENABLE_PUSH_NOTIFICATIONS = NotificationFlag("notifications.enable_push_notifications", __name__)


def log_dropped(flag: WaffleFlag, what: str, *args: object) -> None:
    """Say once, at INFO, that ``flag`` being off dropped ``what`` (one line per event, not per user)."""
    log.info("%s is off: dropped " + what, flag.name, *args)
