"""Muting a thread: ``POST <id>/mute/`` (``{"duration": "8h" | "1d" | "1w" | "1m" | "forever"}``), ``<id>/unmute/``.

A mute names the thread of the caller's notification (its kind and event data, in its scope), not the row:
until it ends, new occurrences are recorded in the thread's history but the row is not re-opened, emailed,
pushed or counted (``fanout.attention``, ``NotificationQuerySet.counted``). ``mute``/``unmute`` are the same
from code (``platform_notifications.service``). Someone else's notification is a 404.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from platform_notifications.api.base import ApiView
from platform_notifications.api.errors import TrayError
from platform_notifications.config.kinds import thread_key
from platform_notifications.inbox import counts
from platform_notifications.inbox.actions import NOTIFICATION_ID, path_id
from platform_notifications.inbox.views import ERRORS, own_notification
from platform_notifications.models import ThreadMute

#: The team alerts app's durations; ``forever`` lasts until unmuted.
MUTE_DURATIONS: dict[str, timedelta | None] = {
    "8h": timedelta(hours=8),
    "1d": timedelta(days=1),
    "1w": timedelta(weeks=1),
    "1m": timedelta(weeks=4),
    "forever": None,
}


def mute_thread(user_id: int, key: str, scope: str = "", duration: str = "forever") -> datetime | None:
    """Mute thread ``key`` in ``scope`` for the user; returns when the mute ends (None: forever).

    ``duration`` outside ``MUTE_DURATIONS`` raises ``ValueError`` and changes nothing.
    """
    if duration not in MUTE_DURATIONS:
        raise ValueError(f"unknown duration {duration!r}; one of {', '.join(MUTE_DURATIONS)}")
    length = MUTE_DURATIONS[duration]
    until = timezone.now() + length if length is not None else None
    try:
        with transaction.atomic():
            _, _created = ThreadMute.objects.update_or_create(
                user_id=user_id, thread_key=key, scope=scope, defaults={"until": until}
            )
    except IntegrityError:  # a concurrent mute of the same thread created it first
        ThreadMute.objects.filter(user_id=user_id, thread_key=key, scope=scope).update(until=until)
    counts.changed(user_id)
    return until


def unmute_thread(user_id: int, key: str, scope: str = "") -> bool:
    """End the user's mute of thread ``key`` in ``scope``; returns whether one was active or set."""
    deleted, _ = ThreadMute.objects.filter(user_id=user_id, thread_key=key, scope=scope).delete()
    counts.changed(user_id)
    return bool(deleted)


def _user_id(user: Any) -> int:
    return user if isinstance(user, int) else user.pk


def _scope_key(scope: Any) -> str:
    if scope is None or isinstance(scope, str):
        return scope or ""
    return f"{scope._meta.label_lower}:{scope.pk}"


def mute(user: Any, kind: str, event_data: Any, duration: str = "forever", scope: Any = "") -> datetime | None:
    """Mute the thread of ``kind`` and ``event_data`` (in ``scope``) for ``user``; returns when it ends."""
    return mute_thread(_user_id(user), thread_key(kind, event_data), _scope_key(scope), duration)


def unmute(user: Any, kind: str, event_data: Any, scope: Any = "") -> bool:
    """End ``user``'s mute of the thread of ``kind`` and ``event_data`` (in ``scope``)."""
    return unmute_thread(_user_id(user), thread_key(kind, event_data), _scope_key(scope))


class MuteSerializer(serializers.Serializer):
    duration = serializers.ChoiceField(choices=list(MUTE_DURATIONS), required=False, default="forever")


MUTE_ANSWER = inline_serializer(
    "MuteAnswer", {"muted": serializers.BooleanField(), "muted_until": serializers.DateTimeField(allow_null=True)}
)


def _thread_of(request, notification_id: str) -> tuple[str, str]:
    row = own_notification(request, path_id(notification_id)).values_list("thread_key", "scope").first()
    if row is None or not row[0]:
        raise TrayError("this notification is not part of a thread (it has no event data to mute)")
    return row


class MuteView(ApiView):
    @extend_schema(
        parameters=[NOTIFICATION_ID],
        request=MuteSerializer,
        responses={200: MUTE_ANSWER, **ERRORS},
        summary="Mute the notification's thread (8h, 1d, 1w, 1m or forever)",
    )
    def post(self, request, notification_id: str):
        key, scope = _thread_of(request, notification_id)
        data = request.data if isinstance(request.data, dict) else None
        if data is None:
            raise ValidationError({"non_field_errors": ["expected a JSON object"]})
        serializer = MuteSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        until = mute_thread(request.user.pk, key, scope, serializer.validated_data["duration"])
        return Response({"muted": True, "muted_until": until})


class UnmuteView(ApiView):
    @extend_schema(parameters=[NOTIFICATION_ID], request=None, responses={200: MUTE_ANSWER, **ERRORS}, summary="Unmute")
    def post(self, request, notification_id: str):
        key, scope = _thread_of(request, notification_id)
        unmute_thread(request.user.pk, key, scope)
        return Response({"muted": False, "muted_until": None})
