"""``POST|DELETE webpush-subscriptions/``: a browser's ``PushSubscription.toJSON()`` stored for its user."""

from __future__ import annotations

import base64
import binascii
import hashlib

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from platform_notifications.api import serializers as s
from platform_notifications.api.base import ApiView
from platform_notifications.channels.webhook.ssrf import UnsafeURL, check_url
from platform_notifications.config.settings import get_setting
from platform_notifications.models import WebPushSubscription


def _b64(value: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as error:
        raise serializers.ValidationError("not base64url") from error


class KeysSerializer(serializers.Serializer):
    p256dh = serializers.CharField(max_length=128)
    auth = serializers.CharField(max_length=64)

    def validate_p256dh(self, value: str) -> str:
        raw = _b64(value)
        if len(raw) != 65 or raw[0] != 4:
            raise serializers.ValidationError("must be an uncompressed P-256 public key (65 bytes, base64url)")
        return value

    def validate_auth(self, value: str) -> str:
        if len(_b64(value)) != 16:
            raise serializers.ValidationError("must be a 16-byte authentication secret (base64url)")
        return value


class SubscriptionSerializer(serializers.Serializer):
    endpoint = serializers.URLField(max_length=1024)
    keys = KeysSerializer()

    def validate_endpoint(self, value: str) -> str:
        if not value.startswith("https://") and not get_setting("NOTIFICATIONS_WEBHOOK_ALLOWED_HOSTS"):
            raise serializers.ValidationError("a push service endpoint must be https")
        try:
            check_url(value)
        except UnsafeURL as error:
            raise serializers.ValidationError(str(error)) from error
        return value


class EndpointSerializer(serializers.Serializer):
    endpoint = serializers.URLField(max_length=1024)


def endpoint_hash(endpoint: str) -> str:
    return hashlib.sha256(endpoint.encode()).hexdigest()


class WebPushSubscriptionView(ApiView):
    @extend_schema(request=None, responses={200: None}, summary="The VAPID public key and my subscription count")
    def get(self, request):
        # Browsers need the key as ``applicationServerKey`` before they can subscribe.
        mine = WebPushSubscription.objects.filter(user=request.user).count()
        return Response({"public_key": get_setting("NOTIFICATIONS_WEBPUSH_VAPID_PUBLIC_KEY"), "subscriptions": mine})

    @extend_schema(
        request=SubscriptionSerializer,
        responses={201: None, 400: s.FIELD_ERRORS},
        summary="Store this browser's push subscription",
    )
    def post(self, request):
        body = SubscriptionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        WebPushSubscription.objects.update_or_create(
            endpoint_hash=endpoint_hash(data["endpoint"]),
            defaults={"user": request.user, "endpoint": data["endpoint"], **data["keys"]},
        )
        return Response({"endpoint": data["endpoint"]}, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=EndpointSerializer,
        responses={204: None, 400: s.FIELD_ERRORS, 404: s.NOT_YOURS},
        summary="Remove this browser's subscription",
    )
    def delete(self, request):
        body = EndpointSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        mine = WebPushSubscription.objects.filter(
            user=request.user, endpoint_hash=endpoint_hash(body.validated_data["endpoint"])
        )
        if not mine.delete()[0]:
            raise NotFound("No such subscription of yours.")
        return Response(status=status.HTTP_204_NO_CONTENT)
