"""Receivers for the openedx-events notification signals.

A receiver never raises into the producer: ``send_event`` swallows receiver exceptions only while
``DEBUG`` is off, and a producer's page must not break on a notification either way. Bad input is logged and
recorded as a refusal (Django admin: Refused notifications) instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from platform_notifications.exceptions import NotificationRequestError
from platform_notifications.intake.outbox import SendSpec, record_refusal, submit
from platform_notifications.models import NotificationRequest

log = logging.getLogger(__name__)


def _event_id(metadata: Any) -> Any:
    return getattr(metadata, "id", None)


def _receive(source: str, build: Callable[[], tuple[SendSpec, dict[str, Any]]]) -> None:
    payload: dict[str, Any] = {}
    event_id: Any = ""
    try:
        spec, payload = build()
        event_id = spec.event_id
        submit(spec)
    except NotificationRequestError as error:
        record_refusal(source, error, payload, event_id)
    except Exception as error:  # an event object that cannot even be read: still never the producer's problem
        log.exception("could not read a %s event", source)
        record_refusal(source, error, payload, event_id)


def handle_user_notification_requested(
    signal: Any = None, sender: Any = None, notification_data: Any = None, metadata: Any = None, **kwargs: Any
) -> None:
    """``USER_NOTIFICATION_REQUESTED``: notify a list of users."""

    def build() -> tuple[SendSpec, dict[str, Any]]:
        data = notification_data
        names = ("user_ids", "notification_type", "content_url", "app_name", "course_key", "context")
        spec = SendSpec(
            app_name=getattr(data, "app_name", None),
            notification_type=getattr(data, "notification_type", None),
            content_url=getattr(data, "content_url", None),
            course_key=getattr(data, "course_key", None),
            context=getattr(data, "context", None),
            user_ids=getattr(data, "user_ids", None),
            event_id=_event_id(metadata),
        )
        return spec, _payload(data, names)

    _receive("USER_NOTIFICATION_REQUESTED", build)


def handle_course_notification_requested(
    signal: Any = None,
    sender: Any = None,
    course_notification_data: Any = None,
    metadata: Any = None,
    **kwargs: Any,
) -> None:
    """``COURSE_NOTIFICATION_REQUESTED``: notify a course-wide audience (resolved later, in the task)."""

    def build() -> tuple[SendSpec, dict[str, Any]]:
        data = course_notification_data
        names = ("course_key", "app_name", "notification_type", "content_url", "content_context", "audience_filters")
        spec = SendSpec(
            app_name=getattr(data, "app_name", None),
            notification_type=getattr(data, "notification_type", None),
            content_url=getattr(data, "content_url", None),
            course_key=getattr(data, "course_key", None),
            context=getattr(data, "content_context", None),
            audience_filters=getattr(data, "audience_filters", None),
            event_id=_event_id(metadata),
            kind=NotificationRequest.Kind.COURSE,
        )
        return spec, _payload(data, names)

    _receive("COURSE_NOTIFICATION_REQUESTED", build)


def _payload(data: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(data, name, None) for name in names}


#: Open edX's built-in notifications app receives the same signals; when both are installed, only this
#: plugin may create notifications, or every learner would get each one twice.
BUILTIN_OPENEDX_RECEIVERS = (
    (
        "openedx.core.djangoapps.notifications.handlers",
        "generate_user_notifications",
        "openedx_events.learning.signals.USER_NOTIFICATION_REQUESTED",
    ),
    (
        "openedx.core.djangoapps.notifications.handlers",
        "generate_course_notifications",
        "openedx_events.learning.signals.COURSE_NOTIFICATION_REQUESTED",
    ),
)


def disconnect_builtin_openedx_receivers() -> int:
    """Disconnect Open edX's own notification receivers if that app is installed; returns how many."""
    from importlib import import_module

    from django.apps import apps
    from django.utils.module_loading import import_string

    if not apps.is_installed("openedx.core.djangoapps.notifications"):
        return 0
    disconnected = 0
    for module_path, name, signal_path in BUILTIN_OPENEDX_RECEIVERS:
        try:
            handler = getattr(import_module(module_path), name)
        except (ImportError, AttributeError):
            continue
        disconnected += bool(import_string(signal_path).disconnect(handler))
    if disconnected:
        log.info("disconnected %s built-in Open edX notification receivers", disconnected)
    return disconnected
