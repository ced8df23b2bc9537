"""Inbox endpoints beside the Open edX tray: unread count, mark one or all read, a thread's events.

Each reads and writes the caller's own rows only; another user's notification is a 404.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from platform_notifications.api.base import ApiView
from platform_notifications.api.errors import TrayError, TrayNotFound
from platform_notifications.inbox import counts, live
from platform_notifications.inbox.views import scoped_rows
from platform_notifications.models import Notification, ThreadEvent

SCOPE = OpenApiParameter("scope", str, description="Only this scope's notifications")


def notification_id(value: str) -> int:
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        raise TrayError("notification_id must be a positive integer")
    return int(value)


class UnreadCountView(ApiView):
    @extend_schema(parameters=[SCOPE], responses={200: dict}, summary='Unread notifications: {"count": n}')
    def get(self, request):
        # uses index (user, created); muted threads and rows below the web minimum are not counted
        return Response({"count": scoped_rows(request).unread().counted().count()})


class MarkAllReadScopedView(ApiView):
    @extend_schema(parameters=[SCOPE], request=None, responses={200: dict}, summary="Mark every notification read")
    def post(self, request):
        changed = scoped_rows(request).mark_read()
        counts.changed(request.user.pk)
        if changed:
            scope = request.query_params.get("scope")
            live.record(request.user.pk, live.Kind.READ, {} if scope is None else {"scope": scope})
        return Response({"message": f"{changed} notifications marked read.", "count": changed})


class ReadOneView(ApiView):
    @extend_schema(request=None, responses={200: dict}, summary="Mark one notification read")
    def patch(self, request, notification_id: str):
        rows = Notification.objects.for_user(request.user).filter(pk=globals()["notification_id"](notification_id))
        if not rows.exists():
            raise TrayNotFound()
        if rows.mark_read():
            live.record(request.user.pk, live.Kind.READ, {"ids": [int(notification_id)]})
        counts.changed(request.user.pk)
        return Response({"message": "Notification marked read."})


class EventsView(ApiView):
    @extend_schema(responses={200: dict}, summary="Every occurrence of a notification's thread, newest first")
    def get(self, request, notification_id: str):
        row = (
            Notification.objects.for_user(request.user)
            .filter(pk=globals()["notification_id"](notification_id))
            .values("thread_key", "scope", "first_created", "created", "title", "body", "level", "links")
            .first()
        )
        if row is None:
            raise TrayNotFound()
        if not row["thread_key"]:
            events = [{k: row[k] for k in ("title", "body", "level", "links", "created")}]
        else:
            # uses index (thread_key, created)
            events = list(
                ThreadEvent.objects.filter(
                    thread_key=row["thread_key"],
                    scope=row["scope"],
                    created__gte=row["first_created"] or row["created"],
                )
                .order_by("-created", "-pk")
                .values("title", "body", "level", "links", "created")[:200]
            )
        return Response({"results": events})
