"""Typed API errors and the one exception handler that renders them in the bodies the front ends expect.

Tray endpoints answer ``{"error": "..."}``; the preferences PUT answers ``{"status": "error", "message": {...}}``
(field errors); a body that is not JSON is refused in the same shape. Everything else (authentication, method,
media type) keeps Django REST framework's ``{"detail": "..."}``.
"""

from __future__ import annotations

from typing import Any

from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.response import Response
from rest_framework.views import exception_handler


class TrayError(APIException):
    """A refused tray request; rendered as ``{"error": message}``."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "Invalid request."
    default_code = "invalid"

    def body(self) -> dict[str, Any]:
        return {"error": str(self.detail)}


class TrayNotFound(TrayError):
    """The notification does not exist or belongs to someone else (never distinguished, so nothing leaks)."""

    status_code = status.HTTP_404_NOT_FOUND
    default_detail = "Notification not found."
    default_code = "not_found"


class PreferenceInvalid(APIException):
    """A refused preference change; rendered as ``{"status": "error", "message": {field: message}}``."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"

    def __init__(self, errors: dict[str, str], extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail="invalid preference change")
        self.errors = errors
        #: Keys a front end reads from every answer (the show switches, the row as it stands), so a refusal
        #: leaves its page as it was.
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        return {"status": "error", "message": dict(self.errors), **self.extra}


def handle_exception(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Render typed errors with their own body; defer to Django REST framework for everything else."""
    if isinstance(exc, ParseError):
        # Malformed JSON: the body the endpoint's schema documents for a 400, not DRF's own.
        if getattr(context.get("view"), "preference_errors", False):
            exc = PreferenceInvalid({"non_field_errors": str(exc.detail)})
        else:
            exc = TrayError(str(exc.detail))
    if isinstance(exc, TrayError | PreferenceInvalid):
        return Response(exc.body(), status=exc.status_code)
    return exception_handler(exc, context)
