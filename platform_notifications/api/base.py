"""The base of every API view: who may call it, how they authenticate, and how errors are rendered."""

from __future__ import annotations

from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from platform_notifications.api.authentication import SESSION_CHALLENGE, authentication_classes
from platform_notifications.api.errors import TrayError, handle_exception
from platform_notifications.config import registry


class ApiView(APIView):
    # Always authenticated, whatever the host's default permission is: every endpoint is per user.
    permission_classes = [IsAuthenticated]
    # The front ends send JSON; any other body is a 415 (and the schema names only JSON).
    parser_classes = [JSONParser]

    def get_authenticators(self) -> list:
        return [cls() for cls in authentication_classes()]

    def get_exception_handler(self):
        # Set per view (not through REST_FRAMEWORK) so a host project's global handler is left alone.
        return handle_exception

    def get_authenticate_header(self, request) -> str:
        # Session authentication names no scheme, which would turn "not logged in" into a 403; the
        # front ends (and RFC 9110) expect 401 with a challenge.
        return super().get_authenticate_header(request) or SESSION_CHALLENGE


def known_app(name: object, field: str = "app_name") -> str:
    """``name`` if it is a configured, enabled app; a 400 otherwise."""
    app = registry.get_app(name) if isinstance(name, str) else None
    if app is None or not app.enabled:
        shown = name if isinstance(name, str) and len(name) <= 64 else "(invalid)"
        raise TrayError(f"{field}: unknown notification app {shown!r}")
    return app.name


def enabled_app_names() -> list[str]:
    return [name for name, app in registry.apps().items() if app.enabled]
