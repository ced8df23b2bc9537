"""``GET deliveries/``: the signed-in user's own delivery log (``?status=failed`` for what did not arrive)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from platform_notifications.api import serializers as s
from platform_notifications.api.base import ApiView
from platform_notifications.api.errors import TrayError
from platform_notifications.models import DeliveryAttempt

LIMIT = 100
FIELDS = ("id", "channel", "notification_id", "kind", "status", "attempt", "error", "created", "finished_at")


class DeliverySerializer(serializers.ModelSerializer):
    notification_id = serializers.IntegerField(allow_null=True)

    class Meta:
        model = DeliveryAttempt
        fields = FIELDS


class DeliveryListView(ApiView):
    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=list(DeliveryAttempt.Status.values))],
        responses={200: DeliverySerializer(many=True), 400: s.ErrorSerializer},
        summary="My latest deliveries on the outbound channels",
    )
    def get(self, request):
        rows = DeliveryAttempt.objects.for_user(request.user).order_by("-created", "-pk")
        wanted = request.query_params.get("status")
        if wanted is not None:
            if wanted not in DeliveryAttempt.Status.values:
                raise TrayError(f"status must be one of {', '.join(DeliveryAttempt.Status.values)}")
            rows = rows.filter(status=wanted)
        # ``target`` is left out: it names endpoints and device sets, internal to the channels.
        return Response(DeliverySerializer(rows[:LIMIT], many=True).data)
