"""platform-notifications: in-app, email and push notifications for Django and Open edX platforms.

The public Python API: ``notify`` and ``notify_course`` send, ``register_grouper``/``BaseGrouper`` group,
and ``NotificationRequestError`` (and its subclasses in ``exceptions``) report refused requests.
"""

from __future__ import annotations

from typing import Any

__all__ = ["BaseGrouper", "NotificationRequestError", "notify", "notify_course", "register_grouper"]


def __getattr__(name: str) -> Any:
    # Lazy so that importing the package (e.g. from settings or setup tooling) never loads Django models.
    if name in ("notify", "notify_course"):
        from platform_notifications.intake import send

        return getattr(send, name)
    if name in ("BaseGrouper", "register_grouper"):
        from platform_notifications.fanout import grouping

        return getattr(grouping, name)
    if name == "NotificationRequestError":
        from platform_notifications.exceptions import NotificationRequestError

        return NotificationRequestError
    raise AttributeError(name)
