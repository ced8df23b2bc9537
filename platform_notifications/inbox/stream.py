"""``GET stream/``: the signed-in user's live events as server-sent events (an async view for ASGI servers).

Events: ``notification`` (the item as the list API shows it, also an unarchived one), ``read``, ``seen``,
``unread``, ``archived`` and ``removed`` (changes made elsewhere, e.g. in another tab), each with the log's id,
and ``counts`` (``count/``'s body) after each batch and on connecting. A comment every
``NOTIFICATION_WEB_PUSH_TIMEOUT_SECONDS`` keeps proxies from closing the connection. ``Last-Event-ID`` replays
what was missed, at most ``NOTIFICATION_LIVE_REPLAY_LIMIT`` events.

Under WSGI a stream would hold a worker thread for its whole life, so the view answers 204 (which tells an
``EventSource`` not to reconnect) and clients keep polling ``count/``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.utils import translation
from django.views.decorators.http import require_GET
from rest_framework.exceptions import APIException
from rest_framework.request import Request

from platform_notifications.api.authentication import SESSION_CHALLENGE, authentication_classes
from platform_notifications.config.bounds import bounded
from platform_notifications.inbox import hub as hubs
from platform_notifications.inbox.hub import Connection, db, dumps, sse

#: Sent first: how long a browser waits before reconnecting after the connection dropped (milliseconds).
RETRY_MS = 2000


def authenticate(request: HttpRequest) -> tuple[int | None, str]:
    """The user id behind ``request`` through the API's own authentication classes (JWT, host's, session)."""
    authenticators = [cls() for cls in authentication_classes()]
    challenge = next((h for a in authenticators if (h := a.authenticate_header(request))), SESSION_CHALLENGE)
    try:
        user = Request(request, authenticators=authenticators).user
    except APIException:  # a forged or expired token: refused like no credentials at all
        return None, challenge
    return (user.pk if user is not None and user.is_authenticated else None), challenge


def last_event_id(request: HttpRequest) -> int | None:
    """The ``Last-Event-ID`` header (or ``?last_event_id=``, for clients that cannot set headers), if valid."""
    raw = request.headers.get("Last-Event-ID") or request.GET.get("last_event_id") or ""
    raw = raw.strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else None


async def events(user_id: int, resume: int | None, language: str | None = None) -> AsyncIterator[str]:
    hub = hubs.hub()
    top = await db(hubs.latest_id)()
    # The hub renders notifications in each stream's language, as the list API renders them for this request.
    conn = Connection(user_id, after=top, language=language)
    hub.connect(conn)
    try:
        # Rows the hub read before this stream joined it (ids up to its cursor) come from the log instead.
        upto = max(top, hub.cursor)
        missed = await db(hubs.replay)(user_id, top if resume is None else resume, upto, language)
        conn.after = upto
        from platform_notifications.inbox.views import user_counts

        counts = await db(user_counts)(user_id)
        keepalive = bounded("NOTIFICATION_WEB_PUSH_TIMEOUT_SECONDS")
        yield f"retry: {RETRY_MS}\n\n" + "".join(missed) + sse("counts", dumps(counts))
        while True:
            text = await conn.next(keepalive)
            yield ": keepalive\n\n" if text is None else text
    finally:
        hub.disconnect(conn)


@require_GET
async def stream(request: HttpRequest) -> HttpResponse:
    user_id, challenge = await sync_to_async(authenticate)(request)
    if user_id is None:
        response = JsonResponse({"detail": "Authentication credentials were not provided."}, status=401)
        response["WWW-Authenticate"] = challenge
        return response
    if not isinstance(request, ASGIRequest):
        return HttpResponse(status=204)
    response = StreamingHttpResponse(
        events(user_id, last_event_id(request), translation.get_language()), content_type="text/event-stream"
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response
