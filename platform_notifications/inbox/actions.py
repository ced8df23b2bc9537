"""Endpoints beyond Open edX's tray, on their own paths: mark unread, mark everything read, remove one."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from platform_notifications.api import serializers as s
from platform_notifications.api.base import ApiView
from platform_notifications.api.errors import TrayError
from platform_notifications.inbox import counts, live
from platform_notifications.inbox.views import ERRORS, first_error, own_notification
from platform_notifications.models import Notification

#: A path id has at most 18 digits (it must fit a signed 64-bit column); 0 is no id.
MAX_ID_DIGITS = 18
NOTIFICATION_ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": 10**MAX_ID_DIGITS - 1}
NOTIFICATION_ID = OpenApiParameter("notification_id", NOTIFICATION_ID_SCHEMA, OpenApiParameter.PATH)


def path_id(notification_id: str) -> int:
    """A notification id from the path, matched as text so that a malformed id is a clear 400, not a bare 404."""
    if not (notification_id.isascii() and notification_id.isdigit()) or len(notification_id) > MAX_ID_DIGITS:
        raise TrayError("notification_id must be a positive integer")
    if int(notification_id) < 1:
        raise TrayError("notification_id must be a positive integer")
    return int(notification_id)


class MarkUnreadView(ApiView):
    @extend_schema(
        request=s.NotificationIdSerializer,
        responses={200: s.MessageSerializer, **ERRORS},
        summary="Mark one notification unread",
    )
    def patch(self, request):
        body = s.NotificationIdSerializer(data=request.data)
        if not body.is_valid():
            raise TrayError(first_error(body))
        # Seen stays seen: unread brings the row back to attention without raising the unseen count.
        notification_id = body.validated_data["notification_id"]
        changed = own_notification(request, notification_id).filter(last_read__isnull=False).update(last_read=None)
        counts.changed(request.user.pk)
        if changed:
            live.record(request.user.pk, live.Kind.UNREAD, {"ids": [notification_id]})
        return Response({"message": "Notification marked unread."})


class MarkAllReadView(ApiView):
    @extend_schema(request=None, responses={200: s.MessageSerializer}, summary="Mark every notification read")
    def patch(self, request):
        changed = Notification.objects.for_user(request.user).mark_read()
        counts.changed(request.user.pk)
        if changed:
            live.record(request.user.pk, live.Kind.READ)
        return Response({"message": f"{changed} notifications marked read."})


class RemoveView(ApiView):
    @extend_schema(
        parameters=[NOTIFICATION_ID],
        request=None,
        responses={204: None, **ERRORS},
        summary="Remove one notification (deletes the row)",
    )
    def delete(self, request, notification_id: str):
        pk = path_id(notification_id)
        own_notification(request, pk).delete()
        counts.changed(request.user.pk)
        live.record(request.user.pk, live.Kind.REMOVED, {"ids": [pk]})
        return Response(status=status.HTTP_204_NO_CONTENT)
