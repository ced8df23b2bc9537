"""User retirement: remove every row this package holds about one user, in a fixed number of statements.

Each table is one registered step (a set-based statement keyed by user id), so a table added later joins the
retirement with one ``register_step`` call. Retiring twice is harmless: the second run finds nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models, transaction

from platform_notifications.models import (
    CourseMembership,
    DeliveryAttempt,
    DigestSchedule,
    LiveEvent,
    Notification,
    NotificationPreference,
    NotificationRequest,
    RefusedNotification,
    ScopedPreference,
    Subscription,
    ThreadMute,
    UserNotificationSettings,
    WebhookEndpoint,
    WebPushSubscription,
)

log = logging.getLogger(__name__)

#: A step takes a user id and returns how many rows it deleted or scrubbed.
Step = Callable[[int], int]


class UnknownUserError(LookupError):
    """Raised by ``retire_user`` for a user that does not exist; nothing was changed."""


@dataclass(frozen=True)
class RetirementResult:
    """What one retirement removed, per step name (rows deleted or scrubbed)."""

    user_id: int
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


_STEPS: dict[str, Step] = {}


def register_step(name: str, step: Step) -> Step:
    """Add ``step`` to every retirement under ``name`` (a second registration under one name replaces it)."""
    _STEPS[name] = step
    return step


def register_model(model: type[models.Model], user_field: str = "user") -> None:
    """Retire ``model`` by deleting every row whose ``user_field`` is the user: one DELETE statement."""

    def delete_rows(user_id: int) -> int:
        # No model points at these tables and none has delete signals, so Django deletes them with one
        # "DELETE ... WHERE user_id = %s" (its fast path) instead of loading the rows.
        return model._default_manager.filter(**{f"{user_field}_id": user_id}).delete()[0]

    register_step(model._meta.label_lower, delete_rows)


def steps() -> dict[str, Step]:
    """The registered steps, in the order they run."""
    return dict(_STEPS)


def _requests(user_id: int) -> int:
    # A request addressed to this user alone says who was notified of what: delete it. A request of several
    # users keeps its id list (the others still need it; fan-out skips a retired, inactive user, and retention
    # removes the row later), but forgets that this user was its sender.
    deleted = NotificationRequest.objects.filter(kind=NotificationRequest.Kind.USERS, user_ids=[user_id]).delete()[0]
    return deleted + NotificationRequest.objects.filter(sender_id=user_id).update(sender_id=None)


def _refusals(user_id: int) -> int:
    # Refused events addressed to this user alone; a refusal names no one else, so it goes entirely.
    return RefusedNotification.objects.filter(payload__user_ids=[user_id]).delete()[0]


for _model in (Notification, NotificationPreference, UserNotificationSettings, DigestSchedule, CourseMembership):
    register_model(_model)
# The outbound channels' delivery log (addresses and tokens included), browser subscriptions, webhooks; what the
# user follows and their per-scope choices.
for _model in (DeliveryAttempt, WebPushSubscription, WebhookEndpoint, Subscription, ScopedPreference):
    register_model(_model)
# The threads the user muted.
register_model(ThreadMute)
# The live stream's log names the user and their notifications.
register_model(LiveEvent)


def _devices(user_id: int) -> int:
    # Mobile devices live in django-push-notifications' own tables (one per platform), when it is installed.
    from django.apps import apps

    if not apps.is_installed("push_notifications"):
        return 0
    from push_notifications.models import APNSDevice, GCMDevice

    return sum(model.objects.filter(user_id=user_id).delete()[0] for model in (GCMDevice, APNSDevice))


register_step("push_notifications.devices", _devices)
register_step("platform_notifications.notificationrequest", _requests)
register_step("platform_notifications.refusednotification", _refusals)


def _user_id(user: Any) -> int:
    user_id = getattr(user, "pk", user)
    if isinstance(user_id, bool) or not isinstance(user_id, int):
        raise UnknownUserError(f"not a saved user: {user!r}")
    return user_id


def retire_user(user: Any) -> RetirementResult:
    """Remove every row of ``user`` (a user instance or id) from every table of this package.

    Raises ``UnknownUserError`` (and changes nothing) when no such user exists. Idempotent.
    """
    user_id = _user_id(user)
    if not get_user_model()._default_manager.filter(pk=user_id).exists():
        raise UnknownUserError(f"no user with id {user_id}")
    return _run_steps(user_id)


def _run_steps(user_id: int) -> RetirementResult:
    with transaction.atomic():
        rows = {name: step(user_id) for name, step in _STEPS.items()}
    result = RetirementResult(user_id, rows)
    log.info("retired notification data of user %s: %s rows", user_id, result.total)
    return result


def on_user_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    """``pre_delete`` of the user model: the rows that are not foreign keys (requests, refusals) go too."""
    if instance.pk is not None:
        _run_steps(instance.pk)


def on_openedx_retirement(sender: Any = None, user: Any = None, **kwargs: Any) -> None:
    """Open edX's retirement signals (``USER_RETIRE_LMS_CRITICAL``, ``USER_RETIRE_LMS_MISC``) send ``user``."""
    if user is not None and getattr(user, "pk", None) is not None:
        _run_steps(user.pk)


#: The Open edX retirement signals this package listens to, when Open edX is installed.
OPENEDX_RETIREMENT_SIGNALS = (
    "openedx.core.djangoapps.user_api.accounts.signals.USER_RETIRE_LMS_CRITICAL",
    "openedx.core.djangoapps.user_api.accounts.signals.USER_RETIRE_LMS_MISC",
)


def connect_signals() -> int:
    """Connect user deletion and, when importable, Open edX's retirement signals; returns how many connected."""
    from django.db.models.signals import pre_delete
    from django.utils.module_loading import import_string

    pre_delete.connect(on_user_deleted, sender=get_user_model(), dispatch_uid="platform_notifications.retire_deleted")
    connected = 1
    for path in OPENEDX_RETIREMENT_SIGNALS:
        try:
            signal = import_string(path)
        except ImportError:
            continue  # not Open edX: a standalone host calls retire_user itself
        signal.connect(on_openedx_retirement, dispatch_uid=f"platform_notifications.retire.{path.rsplit('.', 1)[1]}")
        connected += 1
    return connected
