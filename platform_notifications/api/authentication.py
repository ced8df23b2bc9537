"""Which authentication classes the API accepts: JWT where edx-drf-extensions is installed, the host's, and session.

Resolved on every request (never at import), so ``override_settings`` and host configuration always apply.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.settings import api_settings

#: Open edX's JWT (cookie or bearer) authentication, used when its package is installed.
JWT_AUTHENTICATION = "edx_rest_framework_extensions.auth.jwt.authentication.JwtAuthentication"

#: ``WWW-Authenticate`` value sent with a 401 when no configured class names its own scheme (session only).
SESSION_CHALLENGE = 'Session realm="api"'


def jwt_class() -> type[BaseAuthentication] | None:
    """edx-drf-extensions' ``JwtAuthentication`` where the host configures JWT keys, else None (sessions only).

    ``JWT_AUTH`` must name issuers and a non-empty ``JWT_PUBLIC_SIGNING_JWK_SET``: with no public keys,
    edx-drf-extensions 10.x checks the signature against an empty key set, which accepts any token
    (``tests/api/test_jwt.py`` shows a forged one being refused only because keys are configured).
    """
    conf = getattr(settings, "JWT_AUTH", None) or {}
    if not conf.get("JWT_ISSUERS") or not conf.get("JWT_PUBLIC_SIGNING_JWK_SET"):
        return None
    try:
        return import_string(JWT_AUTHENTICATION)
    except ImportError:
        return None


def authentication_classes() -> list[type[BaseAuthentication]]:
    """JWT first (its 401 challenge wins), then the host's defaults, then session (which enforces CSRF)."""
    classes: list[type[BaseAuthentication]] = []
    jwt = jwt_class()
    for cls in [jwt, *api_settings.DEFAULT_AUTHENTICATION_CLASSES, SessionAuthentication]:
        if cls is not None and cls not in classes:
            classes.append(cls)
    return classes


try:
    from drf_spectacular.extensions import OpenApiAuthenticationExtension
except ImportError:  # pragma: no cover - drf-spectacular is a dependency; guard for trimmed installs
    OpenApiAuthenticationExtension = None

if OpenApiAuthenticationExtension is not None:

    class JwtAuthenticationScheme(OpenApiAuthenticationExtension):
        """Documents edx-drf-extensions' JWT in the schema: a bearer header ``JWT <token>`` or the JWT cookie pair."""

        target_class = JWT_AUTHENTICATION
        name = "jwtAuth"

        def get_security_definition(self, auto_schema):
            return {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": "Open edX JWT: `Authorization: JWT <token>`, or the cookies "
                "`edx-jwt-cookie-header-payload` and `edx-jwt-cookie-signature` with `USE-JWT-COOKIE: true`.",
            }
