"""``GET|POST webhooks/`` and ``DELETE webhooks/<id>/``: a user's own webhook and Slack endpoints."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from platform_notifications.api import serializers as s
from platform_notifications.api.base import ApiView
from platform_notifications.channels.message import LEVELS
from platform_notifications.channels.webhook.ssrf import UnsafeURL, check_url
from platform_notifications.config import registry
from platform_notifications.models import WebhookEndpoint

MAX_ENDPOINTS = 20  # per user: each one multiplies every delivery


def new_secret() -> str:
    """A Standard Webhooks signing secret: ``whsec_`` and 24 random bytes in base64."""
    import base64
    import secrets

    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


class WebhookSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    url = serializers.URLField(max_length=2048)
    kind = serializers.ChoiceField(choices=WebhookEndpoint.Kind.choices, default=WebhookEndpoint.Kind.WEBHOOK)
    apps = serializers.ListField(child=serializers.CharField(max_length=64), required=False, default=list)
    kinds = serializers.ListField(child=serializers.CharField(max_length=64), required=False, default=list)
    min_level = serializers.ChoiceField(choices=LEVELS, default="INFO")
    active = serializers.BooleanField(read_only=True)

    def validate_url(self, value: str) -> str:
        try:
            check_url(value)
        except UnsafeURL as error:
            raise serializers.ValidationError(str(error)) from error
        return value

    def validate_apps(self, value: list[str]) -> list[str]:
        unknown = [name for name in value if registry.get_app(name) is None]
        if unknown:
            raise serializers.ValidationError(f"unknown notification apps: {', '.join(unknown)}")
        return sorted(set(value))

    def validate_kinds(self, value: list[str]) -> list[str]:
        unknown = [name for name in value if registry.get_type(name) is None]
        if unknown:
            raise serializers.ValidationError(f"unknown notification types: {', '.join(unknown)}")
        return sorted(set(value))


def _as_dict(endpoint: WebhookEndpoint) -> dict:
    return {"id": endpoint.pk, "url": endpoint.url, "kind": endpoint.kind, "apps": endpoint.apps,
            "kinds": endpoint.kinds, "min_level": endpoint.min_level, "active": endpoint.active}  # fmt: skip


class WebhookListView(ApiView):
    @extend_schema(responses={200: WebhookSerializer(many=True)}, summary="List my webhook and Slack endpoints")
    def get(self, request):
        return Response([_as_dict(e) for e in WebhookEndpoint.objects.filter(user=request.user).order_by("pk")])

    @extend_schema(
        request=WebhookSerializer,
        responses={201: WebhookSerializer, 400: s.FIELD_ERRORS},
        summary="Register an endpoint",
    )
    def post(self, request):
        body = WebhookSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if WebhookEndpoint.objects.filter(user=request.user).count() >= MAX_ENDPOINTS:
            raise serializers.ValidationError({"url": f"at most {MAX_ENDPOINTS} endpoints per user"})
        data = body.validated_data
        secret = new_secret() if data["kind"] == WebhookEndpoint.Kind.WEBHOOK else ""
        endpoint = WebhookEndpoint.objects.create(user=request.user, secret=secret, **data)
        # The secret is shown once, here: receivers verify signatures with it.
        return Response({**_as_dict(endpoint), "secret": secret}, status=status.HTTP_201_CREATED)


class WebhookDetailView(ApiView):
    @extend_schema(request=None, responses={204: None, 404: s.NOT_YOURS}, summary="Remove one of my endpoints")
    def delete(self, request, endpoint_id: int):
        if not WebhookEndpoint.objects.filter(user=request.user, pk=endpoint_id).delete()[0]:
            raise NotFound("No such endpoint of yours.")
        return Response(status=status.HTTP_204_NO_CONTENT)
