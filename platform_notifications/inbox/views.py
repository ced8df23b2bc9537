"""Tray endpoints: unseen counts, the paginated list, mark seen and mark read (the Open edX tray's calls)."""

from __future__ import annotations

from django.db.models import Count, Q
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.response import Response

from platform_notifications.api import serializers as s
from platform_notifications.api.base import ApiView, enabled_app_names, known_app
from platform_notifications.api.errors import TrayError, TrayNotFound
from platform_notifications.config import toggles
from platform_notifications.config.bounds import bounded
from platform_notifications.config.kinds import Level
from platform_notifications.config.kinds import registry as kinds
from platform_notifications.inbox import counts, live
from platform_notifications.inbox.pagination import MAX_PAGE_NUMBER, MAX_PAGE_SIZE, TrayPagination
from platform_notifications.models import Notification
from platform_notifications.operations import events

ERRORS = {400: s.ErrorSerializer, 404: s.ErrorSerializer}


def first_error(serializer) -> str:
    """One readable line from a serializer's errors (the tray's error body is a single string)."""
    field, messages = next(iter(serializer.errors.items()))
    message = messages[0] if isinstance(messages, list) else messages
    return str(message) if field == "non_field_errors" else f"{field}: {message}"


def scoped_rows(request, archived: bool = False):
    """The caller's tray rows, narrowed to ``?scope=`` when given (``scope`` of ``service`` sends)."""
    rows = Notification.objects.for_user(request.user).in_tray(archived=archived)
    scope = request.query_params.get("scope")
    if scope is not None:
        if len(scope) > 255 or not scope.isprintable():
            raise TrayError("scope must be a printable string of at most 255 characters")
        rows = rows.filter(scope=scope)
    return rows


def count_body(
    show: bool, by_app: dict[str, int], unseen: dict[str, int] | None = None, expiry_days: int | None = None
) -> dict:
    """The body of ``count/`` (and of the live stream's ``counts`` event) for ``unseen`` counts per app.

    ``expiry_days``: ``NOTIFICATIONS_EXPIRY`` when the caller already read it (once for a thousand bodies).
    """
    if show and unseen is not None:
        by_app.update({app: unseen[app] for app in by_app if app in unseen})
    return {
        "show_notifications_tray": show,
        "count": sum(by_app.values()),
        "count_by_app_name": by_app,
        "notification_expiry_days": bounded("NOTIFICATIONS_EXPIRY") if expiry_days is None else expiry_days,
        # The tray layout this API serves is the established one; no newer view is offered.
        "is_new_notification_view_enabled": False,
    }


def user_counts(user_id: int) -> dict:
    """``count/``'s body for ``user_id`` (no scope): the counts are cached per user (inbox/counts.py)."""
    show = toggles.ENABLE_NOTIFICATIONS.is_enabled()
    return count_body(show, dict.fromkeys(enabled_app_names(), 0), counts.unseen_by_app(user_id) if show else None)


def users_counts(user_ids: list[int]) -> dict[int, dict]:
    """``count/``'s body for each of ``user_ids`` in one query (the live stream after a fan-out to all of them).

    The same rows as ``counts.query_unseen_by_app``, grouped by user; uses index (user, last_seen, web).
    """
    show = toggles.ENABLE_NOTIFICATIONS.is_enabled()
    unseen: dict[int, dict[str, int]] = {uid: {} for uid in user_ids}
    if show and user_ids:
        rows = (
            Notification.objects.filter(user_id__in=user_ids)
            .in_tray()
            .unseen()
            .counted()
            .values("user_id", "app_name")
            .annotate(unseen=Count("id"))
            .order_by()
        )
        for row in rows:
            unseen[row["user_id"]][row["app_name"]] = row["unseen"]
    apps, expiry = enabled_app_names(), bounded("NOTIFICATIONS_EXPIRY")
    return {
        uid: count_body(show, dict.fromkeys(apps, 0), by_app if show else None, expiry)
        for uid, by_app in unseen.items()
    }


class CountView(ApiView):
    @extend_schema(responses={200: s.CountSerializer}, summary="Unseen tray counts, per app")
    def get(self, request):
        by_app = dict.fromkeys(enabled_app_names(), 0)
        show = toggles.ENABLE_NOTIFICATIONS.is_enabled()
        if show:
            if request.query_params.get("scope") is None:
                # Cached per user and invalidated by every change (inbox/counts.py); one query on a miss.
                return Response(user_counts(request.user.pk))
            else:
                # One scope's counts are not cached: one query; uses index (user, last_seen, web).
                rows = (
                    scoped_rows(request)
                    .unseen()
                    .counted()
                    .filter(app_name__in=list(by_app))
                    .values("app_name")
                    .annotate(unseen=Count("id"))
                    .order_by()
                )
                by_app.update({row["app_name"]: row["unseen"] for row in rows})
        return Response(count_body(show, by_app))


BOOLEAN_VALUES = {"true": True, "false": False}
#: The limits the list enforces, stated in the schema (``pagination.positive_int``, the course id checks below).
PAGE_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_NUMBER}
PAGE_SIZE_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE}
COURSE_ID_MAX_LENGTH = 255
#: No C0 or C1 control character (PostgreSQL refuses NUL in text; no course id holds one).
COURSE_ID_SCHEMA = {"type": "string", "maxLength": COURSE_ID_MAX_LENGTH, "pattern": "^[^\\x00-\\x1f\\x7f-\\x9f]*$"}
#: The inbox page's search box: a few words, not a document.
SEARCH_MAX_LENGTH = 200
SEARCH_SCHEMA = {"type": "string", "maxLength": SEARCH_MAX_LENGTH, "pattern": "^[^\\x00-\\x1f\\x7f-\\x9f]*$"}
LEVELS = [level.value for level in Level]


def has_control_characters(value: str) -> bool:
    # PostgreSQL refuses NUL in text parameters; no course id, kind or search holds control characters anyway.
    return any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in value)


def kind_filter(kind: str) -> Q:
    """Rows of ``kind`` (``"app.type"``, a registered kind or a configured type); an unknown kind is a 400."""
    info = kinds.get(kind) if len(kind) <= 64 and not has_control_characters(kind) else None
    if info is None:
        raise TrayError("kind: unknown kind (a dotted name such as 'discussion.new_response')")
    return Q(app_name=info.app, notification_type=info.type_name)


def search_filter(text: str) -> Q:
    """Rows whose title, body or template context contains ``text`` (case-insensitive).

    Template types (the Open edX ones) keep their words in ``content_context``, free-text kinds in
    ``title`` and ``body``; the context is matched as its JSON text. A scan of the user's rows (uses index
    (user, created) to find them): the inbox is one user's, bounded by ``NOTIFICATIONS_EXPIRY``.
    """
    if len(text) > SEARCH_MAX_LENGTH:
        raise TrayError(f"q: at most {SEARCH_MAX_LENGTH} characters")
    if has_control_characters(text):
        raise TrayError("q contains invalid characters")
    return Q(title__icontains=text) | Q(body__icontains=text) | Q(content_context__icontains=text)


@extend_schema(
    summary="The user's notifications, newest first",
    parameters=[
        OpenApiParameter("app_name", str, description="Only this app's notifications (a configured app; empty: all)"),
        OpenApiParameter("page", PAGE_SCHEMA, description="1-based page number; past the last page: 404"),
        OpenApiParameter("page_size", PAGE_SIZE_SCHEMA, description="Items per page (default 10, at most 100)"),
        OpenApiParameter("tray_opened", str, description="Sent by the tray when it opens: emits a tracking event"),
        OpenApiParameter("unread", str, enum=["true", "false"], description="true: only unread; false: only read"),
        OpenApiParameter("course_id", COURSE_ID_SCHEMA, description="Only this course's notifications"),
        OpenApiParameter("archived", str, enum=["true", "false"], description="true: only archived (default false)"),
        OpenApiParameter("scope", str, description="Only this scope's notifications"),
        OpenApiParameter("kind", str, description='Only this kind ("app.type", e.g. "discussion.new_response")'),
        OpenApiParameter("level", str, enum=LEVELS, description="Only this level"),
        OpenApiParameter("q", SEARCH_SCHEMA, description="Text search over title, body and context (ignores case)"),
    ],
    responses={200: s.NotificationSerializer(many=True), **ERRORS},
)
class NotificationListView(ApiView, ListAPIView):
    serializer_class = s.NotificationSerializer
    pagination_class = TrayPagination

    def get_queryset(self):
        params = self.request.query_params
        events.tray_opened(self.request.user, params)
        app_name = params.get("app_name") or None
        if app_name is not None:
            known_app(app_name)
        unread = params.get("unread")
        if unread is not None and unread not in BOOLEAN_VALUES:
            raise TrayError("unread must be true or false")
        course_id = params.get("course_id")
        if course_id is not None and len(course_id) > COURSE_ID_MAX_LENGTH:
            raise TrayError("course_id is too long")
        if course_id is not None and has_control_characters(course_id):
            raise TrayError("course_id contains invalid characters")
        # Unlike app_name (where the tray sends an empty value for all apps), an empty kind or level is a 400.
        kind = params.get("kind")
        only_kind = kind_filter(kind) if kind is not None else None
        level = params.get("level")
        if level is not None and level not in LEVELS:
            raise TrayError(f"level must be one of {', '.join(LEVELS)}")
        text = params.get("q", "").strip()
        matching = search_filter(text) if text else None
        archived = params.get("archived", "false")
        if archived not in BOOLEAN_VALUES:
            raise TrayError("archived must be true or false")
        if not toggles.ENABLE_NOTIFICATIONS.is_enabled():
            # Master switch off: the tray shows nothing (and the count says so).
            return Notification.objects.none()
        # Uses index (user, created): the count and the page both walk one user's rows newest first.
        rows = (
            scoped_rows(self.request, archived=BOOLEAN_VALUES[archived])
            .of_app(app_name)
            .only(*s.ITEM_FIELDS, "thread_key")
            .with_muted()
            .order_by("-created", "-id")
        )
        if unread is not None:
            rows = rows.filter(last_read__isnull=BOOLEAN_VALUES[unread])
        if course_id is not None:
            rows = rows.filter(course_id=course_id)
        if only_kind is not None:
            rows = rows.filter(only_kind)
        if level is not None:
            rows = rows.filter(level=level)
        if matching is not None:
            rows = rows.filter(matching)
        return rows


class MarkSeenView(ApiView):
    @extend_schema(request=None, responses={200: s.MessageSerializer, **ERRORS}, summary="Mark an app's rows seen")
    def put(self, request, app_name: str):
        app = known_app(app_name)
        # Uses index (user, last_seen, web).
        changed = Notification.objects.for_user(request.user).of_app(app).filter(web=True).mark_seen()
        counts.changed(request.user.pk)
        if changed:
            live.record(request.user.pk, live.Kind.SEEN, {"app_name": app})
        events.app_seen(request.user, app, changed)
        return Response({"message": f"{changed} notifications marked seen."})

    @extend_schema(request=None, responses={200: s.MessageSerializer, **ERRORS}, summary="Mark an app's rows seen")
    def patch(self, request, app_name: str):
        return self.put(request, app_name)


def own_notification(request, notification_id: int):
    """The caller's notification ``notification_id``; another user's is reported exactly like a missing one."""
    rows = Notification.objects.for_user(request.user).filter(pk=notification_id)
    if not rows.exists():
        raise TrayNotFound()
    return rows


class MarkReadView(ApiView):
    @extend_schema(
        request=s.MarkReadSerializer,
        responses={200: s.MessageSerializer, **ERRORS},
        summary="Mark one notification, or every unread row of an app, read",
    )
    def patch(self, request):
        body = s.MarkReadSerializer(data=request.data)
        if not body.is_valid():
            raise TrayError(first_error(body))
        if "notification_id" in body.validated_data:
            rows = own_notification(request, body.validated_data["notification_id"])
            if rows.mark_read():
                live.record(request.user.pk, live.Kind.READ, {"ids": [body.validated_data["notification_id"]]})
            counts.changed(request.user.pk)
            events.read(request.user, rows)
            return Response({"message": "Notification marked read."})
        if "app_name" in body.validated_data:
            app = known_app(body.validated_data["app_name"])
            changed = Notification.objects.for_user(request.user).of_app(app).mark_read()
            counts.changed(request.user.pk)
            if changed:
                live.record(request.user.pk, live.Kind.READ, {"app_name": app})
            events.app_all_read(request.user, app, changed)
            return Response({"message": f"{changed} notifications marked read."})
        raise TrayError("send notification_id or app_name")
