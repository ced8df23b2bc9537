"""``POST bulk/``: mark several of the caller's notifications read or unread, archive or unarchive them at once.

The inbox page's "select several" actions. One ``UPDATE`` per action whatever the number of ids (at most
``MAX_BULK_IDS``, a page of the list); ids that are not the caller's are ignored, never changed, and counted out
of ``changed``.
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from platform_notifications.api.base import ApiView
from platform_notifications.api.errors import TrayError
from platform_notifications.api.serializers import StrictIntegerField
from platform_notifications.inbox import counts, live
from platform_notifications.inbox.pagination import MAX_PAGE_SIZE
from platform_notifications.inbox.views import ERRORS, first_error
from platform_notifications.models import Notification
from platform_notifications.operations import events

#: One page of the list at its largest: what the inbox can select at once.
MAX_BULK_IDS = MAX_PAGE_SIZE
ACTIONS = ("read", "unread", "archive", "unarchive")


class BulkSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=ACTIONS)
    ids = serializers.ListField(
        child=StrictIntegerField(min_value=1, max_value=2**63 - 1), min_length=1, max_length=MAX_BULK_IDS
    )


BULK_ANSWER = inline_serializer(
    "BulkAnswer", {"message": serializers.CharField(), "changed": serializers.IntegerField()}
)


def apply(rows, action: str) -> int:
    """Apply ``action`` to ``rows`` (the caller's own); returns how many rows changed."""
    now = timezone.now()
    if action == "read":
        return rows.mark_read()
    if action == "unread":
        # As for one row (``unread/``): seen stays seen, so the unseen count does not jump back.
        return rows.filter(last_read__isnull=False).update(last_read=None)
    if action == "archive":
        # As ``<id>/archive/``: archived rows were dealt with, so they are seen too.
        rows.filter(archived_at__isnull=True, last_seen__isnull=True).update(last_seen=now)
        return rows.filter(archived_at__isnull=True).update(archived_at=now)
    return rows.filter(archived_at__isnull=False).update(archived_at=None)


class BulkView(ApiView):
    @extend_schema(
        request=BulkSerializer,
        responses={200: BULK_ANSWER, **ERRORS},
        summary="Mark read or unread, archive or unarchive several notifications",
    )
    def post(self, request):
        body = BulkSerializer(data=request.data if isinstance(request.data, dict) else {})
        if not body.is_valid():
            if isinstance(body.errors.get("ids"), dict):  # errors of single items, keyed by position
                raise TrayError("ids: every id must be a positive integer")
            raise TrayError(first_error(body))
        action, ids = body.validated_data["action"], sorted(set(body.validated_data["ids"]))
        rows = Notification.objects.for_user(request.user).filter(pk__in=ids)
        if action == "read":
            events.read(request.user, rows.unread())
        # The rows the action will change, for the other open tabs (the caller's own only).
        affected = list(rows.filter(**CHANGES[action]).values_list("pk", flat=True))
        changed = apply(rows, action)
        counts.changed(request.user.pk)
        if affected:
            _tell_streams(request.user.pk, action, affected)
        return Response({"message": f"{changed} notifications changed.", "changed": changed})


#: The rows each action changes (``apply`` filters the same way).
CHANGES = {
    "read": {"last_read__isnull": True},
    "unread": {"last_read__isnull": False},
    "archive": {"archived_at__isnull": True},
    "unarchive": {"archived_at__isnull": False},
}


def _tell_streams(user_id: int, action: str, ids: list[int]) -> None:
    if action == "unarchive":  # back in the tray: announced again, as the list shows it
        live.record_notifications([(user_id, pk) for pk in ids], timezone.now())
        return
    kind = {"read": live.Kind.READ, "unread": live.Kind.UNREAD, "archive": live.Kind.ARCHIVED}[action]
    live.record(user_id, kind, {"ids": ids})
