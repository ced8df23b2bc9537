"""The two LMS endpoints the Open edX front ends' platform library calls, for a standalone host.

``@edx/frontend-platform`` refreshes its JWT with ``POST /login_refresh`` and fetches a CSRF token with
``GET /csrf/api/v1/token`` on the LMS host before it calls any API. On Open edX the LMS answers both; a
standalone host mounts these views at the same paths (``settings/urls.py``) so the stock front ends run unchanged.

``login_refresh`` signs a JWT for the signed-in user with the first of ``JWT_AUTH["JWT_ISSUERS"]`` (HS256 with its
``SECRET_KEY``, or RS256 with ``JWT_PRIVATE_SIGNING_JWK`` when one is configured) and sets it as Open edX does, split
in two cookies: ``edx-jwt-cookie-header-payload`` (readable by the front end, which reads the expiry from it) and
``edx-jwt-cookie-signature`` (HttpOnly). edx-drf-extensions' ``JwtAuthCookieMiddleware`` joins them back and its
``JwtAuthentication`` verifies the result on every API view.
"""

from __future__ import annotations

import time
from typing import Any

import jwt
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.middleware.csrf import get_token
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

#: Lifetime of a refreshed JWT, seconds (Open edX's ``JWT_AUTH["JWT_EXPIRATION"]`` default is one hour).
DEFAULT_EXPIRATION = 3600
#: The claim version edx-drf-extensions expects of Open edX tokens.
JWT_VERSION = "1.2.0"


def _jwt_settings() -> dict[str, Any]:
    return getattr(settings, "JWT_AUTH", {})


def _cookie_names() -> tuple[str, str]:
    conf = _jwt_settings()
    return (
        conf.get("JWT_AUTH_COOKIE_HEADER_PAYLOAD") or "edx-jwt-cookie-header-payload",
        conf.get("JWT_AUTH_COOKIE_SIGNATURE") or "edx-jwt-cookie-signature",
    )


def user_jwt(user, now: int | None = None) -> tuple[str, int]:
    """A signed JWT for ``user`` with Open edX's claims, and its expiry (epoch seconds)."""
    conf = _jwt_settings()
    issuer = conf["JWT_ISSUERS"][0]
    now = int(time.time()) if now is None else now
    expires = now + int(conf.get("JWT_EXPIRATION", DEFAULT_EXPIRATION))
    payload = {
        "iss": issuer["ISSUER"],
        "aud": issuer["AUDIENCE"],
        "iat": now,
        "exp": expires,
        "version": JWT_VERSION,
        "preferred_username": user.get_username(),
        "user_id": user.pk,
        "email": user.email,
        "name": user.get_full_name(),
        "administrator": user.is_staff,
        "superuser": user.is_superuser,
        "scopes": ["user_id", "email", "profile"],
        "filters": [],
        "is_restricted": False,
    }
    private = conf.get("JWT_PRIVATE_SIGNING_JWK")
    if private:
        key = jwt.PyJWK.from_json(private)
        return jwt.encode(payload, key.key, algorithm=conf.get("JWT_SIGNING_ALGORITHM", "RS512")), expires
    return jwt.encode(payload, issuer["SECRET_KEY"], algorithm="HS256"), expires


# As in Open edX: the only effect is a fresh cookie for the session's own user, and the front end refreshes
# before it holds a CSRF token.
@csrf_exempt
@require_POST
def login_refresh(request: HttpRequest) -> JsonResponse:
    """Set the JWT cookie pair for the signed-in user; 401 when nobody is signed in."""
    if not request.user.is_authenticated:
        return JsonResponse("Unauthorized", status=401, safe=False)
    token, expires = user_jwt(request.user)
    header_payload, signature = token.rsplit(".", 1)
    response = JsonResponse({"success": True})
    header_payload_name, signature_name = _cookie_names()
    common = {
        "max_age": max(expires - int(time.time()), 0),
        "secure": request.is_secure(),
        "samesite": "Lax",
        "domain": getattr(settings, "SESSION_COOKIE_DOMAIN", None),
    }
    # The front end reads the expiry from the header and payload; the signature stays out of reach of scripts.
    response.set_cookie(header_payload_name, header_payload, httponly=False, **common)
    response.set_cookie(signature_name, signature, httponly=True, **common)
    return response


@require_GET
def csrf_token(request: HttpRequest) -> JsonResponse:
    """``{"csrfToken": ...}``, the token the front ends send as ``X-CSRFToken`` (its cookie is set too)."""
    return JsonResponse({"csrfToken": get_token(request)})
