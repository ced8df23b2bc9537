"""Archive, unarchive and open one notification (the inbox page's actions and the emails' links)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseRedirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from platform_notifications.api import serializers as s
from platform_notifications.api.base import ApiView
from platform_notifications.api.errors import TrayError
from platform_notifications.config.settings import get_setting
from platform_notifications.inbox import counts, live
from platform_notifications.inbox.actions import NOTIFICATION_ID, path_id
from platform_notifications.inbox.views import ERRORS, own_notification
from platform_notifications.models import Notification

ID = NOTIFICATION_ID


class ArchiveView(ApiView):
    @extend_schema(parameters=[ID], request=None, responses={200: s.MessageSerializer, **ERRORS}, summary="Archive")
    def post(self, request, notification_id: str):
        # Archived rows leave the tray and the counts; archiving also marks the row seen (it was dealt with).
        now = timezone.now()
        rows = own_notification(request, path_id(notification_id))
        archived = rows.filter(archived_at__isnull=True).update(archived_at=now)
        rows.filter(last_seen__isnull=True).update(last_seen=now)
        counts.changed(request.user.pk)
        if archived:
            live.record(request.user.pk, live.Kind.ARCHIVED, {"ids": [int(notification_id)]})
        return Response({"message": "Notification archived."})


class UnarchiveView(ApiView):
    @extend_schema(parameters=[ID], request=None, responses={200: s.MessageSerializer, **ERRORS}, summary="Unarchive")
    def post(self, request, notification_id: str):
        pk = path_id(notification_id)
        restored = own_notification(request, pk).filter(archived_at__isnull=False).update(archived_at=None)
        counts.changed(request.user.pk)
        if restored:  # back in the tray: announced again, as the list shows it
            live.record_notifications([(request.user.pk, pk)], timezone.now())
        return Response({"message": "Notification moved back to the inbox."})


def allowed_hosts() -> set[str]:
    """Hosts ``open/`` may redirect to: ``NOTIFICATION_OPEN_REDIRECT_HOSTS`` and the site's own host."""
    from urllib.parse import urlsplit

    hosts = set(get_setting("NOTIFICATION_OPEN_REDIRECT_HOSTS"))
    site = urlsplit(get_setting("NOTIFICATIONS_SITE_URL") or "").netloc
    if site:
        hosts.add(site)
    return hosts


def safe_target(url: str, request) -> bool:
    """A relative path on this site, or http(s) on an allowed host; never ``//evil`` or ``javascript:``."""
    hosts = {*allowed_hosts(), request.get_host()}
    return bool(url) and url_has_allowed_host_and_scheme(url, allowed_hosts=hosts, require_https=False)


class OpenView(ApiView):
    # Anonymous callers (an email link opened in a signed-out browser) are sent to sign in, not given a 401.
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[ID],
        request=None,
        responses={302: OpenApiResponse(description="To the notification's URL"), **ERRORS},
        summary="Mark read and go to the notification's URL",
    )
    def get(self, request, notification_id: str):
        # A GET that changes state, on purpose: it is the link in emails and in the tray, and marking read is
        # idempotent and only ever the caller's own row.
        pk = path_id(notification_id)  # a malformed id is a 400 before anything else, signed in or not
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        rows = own_notification(request, pk)
        target = rows.values_list("content_url", flat=True).get() or (
            get_setting("NOTIFICATIONS_VIEW_ALL_URL") or "/notifications/"
        )
        if not safe_target(target, request):
            # Refused: a row pointing elsewhere must not turn this site into an open redirect.
            raise TrayError("This notification's link points to a site that is not allowed.")
        if Notification.objects.filter(pk=pk).mark_read():
            live.record(request.user.pk, live.Kind.READ, {"ids": [pk]})
        counts.changed(request.user.pk)
        return HttpResponseRedirect(target)
