"""The staff health view: the figures of ``operations.health`` as JSON, for monitoring to poll."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response

from platform_notifications.api.base import ApiView
from platform_notifications.operations import health


class HealthView(ApiView):
    """``GET``: staff only (anonymous: 401, a signed-in non-staff user: 403)."""

    permission_classes = [IsAdminUser]

    # Operators' endpoint, not part of the learner-facing API schema.
    @extend_schema(exclude=True)
    def get(self, request: Request) -> Response:
        figures = health.current()
        return Response({**figures.as_dict(), "over_thresholds": figures.over(health.THRESHOLDS)})
