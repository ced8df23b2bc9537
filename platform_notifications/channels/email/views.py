"""Unsubscribe views: RFC 8058 one-click (POST) with a confirmation page on GET, and Open edX's path.

No login and no CSRF token: the signed token is the credential, and mail providers POST without cookies.
GET never changes anything, because link scanners and previews follow GETs. An invalid, expired or revoked
link changes nothing either and points to the preferences page. A signed-in user can revoke every link
sent to them so far (``unsubscribe-links/revoke/``).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from platform_notifications.api import serializers as s
from platform_notifications.api.base import ApiView
from platform_notifications.channels.email import ratelimit, tokens
from platform_notifications.channels.email.message import absolute
from platform_notifications.channels.email.tokens import ALL, InvalidToken, read_token
from platform_notifications.channels.email.unsubscribe import describe, unsubscribe
from platform_notifications.config.settings import get_setting
from platform_notifications.operations import events

TEMPLATE = "platform_notifications/unsubscribe/page.html"
RATE_LIMITED = "Too many unsubscribe requests from your address. Please try again in a minute."


def _limited(request: HttpRequest) -> bool:
    return not ratelimit.allow("unsubscribe", request, get_setting("ONE_CLICK_UNSUBSCRIBE_RATE_LIMIT"))


@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def one_click(request: HttpRequest, token: str) -> HttpResponse:
    """GET: a confirmation page with a form that POSTs here. POST: unsubscribe (the RFC 8058 request)."""
    if _limited(request):
        return render(request, TEMPLATE, {"state": "error", "message": RATE_LIMITED}, status=429)
    return _page(request, token)


def _page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user_id, scope = read_token(token)
        if request.method == "POST":
            unsubscribe(user_id, scope)
            events.unsubscribed(user_id, scope)
    except InvalidToken as error:
        return _refused(request, error)
    state = "done" if request.method == "POST" else "confirm"
    context = {"state": state, "what": describe(scope), "everything": scope.kind == ALL, "action": request.path}
    return render(request, TEMPLATE, context)


def _refused(request: HttpRequest, error: InvalidToken) -> HttpResponse:
    # 410 for a genuine link that no longer works (expired, revoked): mail providers stop retrying it.
    status = 410 if isinstance(error, tokens.ExpiredToken | tokens.RevokedToken) else 400
    context = {"state": "error", "message": str(error), "preferences_url": preferences_url()}
    return render(request, TEMPLATE, context, status=status)


def preferences_url() -> str:
    return get_setting("NOTIFICATIONS_PREFERENCES_URL") or absolute("/account/notifications/")


@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def openedx_update(request: HttpRequest, token: str) -> HttpResponse:
    """Open edX's ``preferences/update/<token>/``: POST answers ``{"result": "success"}``; GET only confirms."""
    if _limited(request):
        return JsonResponse({"error": RATE_LIMITED}, status=429)
    if request.method != "POST":
        return _page(request, token)
    try:
        user_id, scope = read_token(token)
        unsubscribe(user_id, scope)
        events.unsubscribed(user_id, scope)
    except InvalidToken as error:
        status = 410 if isinstance(error, tokens.ExpiredToken | tokens.RevokedToken) else 400
        return JsonResponse({"error": str(error), "preferences_url": preferences_url()}, status=status)
    return JsonResponse({"result": "success"})


class RevokeLinksView(ApiView):
    """The signed-in user revokes every unsubscribe link sent to them so far (a forwarded email, say)."""

    @extend_schema(request=None, responses={200: s.MessageSerializer}, summary="Revoke my unsubscribe links")
    def post(self, request: Request) -> Response:
        tokens.revoke(request.user.pk)
        return Response({"message": "Every unsubscribe link sent to you so far no longer works."})
