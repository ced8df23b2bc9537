"""``GET|POST devices/`` and ``DELETE devices/<id>/``: a user's own FCM and APNs devices."""

from __future__ import annotations

import re

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from platform_notifications.api import serializers as s
from platform_notifications.api.base import ApiView

#: FCM registration tokens: URL-safe base64 with a colon-separated prefix, well over 100 characters.
FCM_TOKEN = re.compile(r"^[A-Za-z0-9_\-:]{100,4096}$")
#: APNs device tokens: 32 bytes as hex (longer tokens are allowed by Apple's docs, up to 100 bytes).
APNS_TOKEN = re.compile(r"^[0-9a-fA-F]{64,200}$")


class DeviceSerializer(serializers.Serializer):
    id = serializers.CharField(read_only=True)
    platform = serializers.ChoiceField(choices=["fcm", "apns"])
    registration_id = serializers.CharField(max_length=4096, trim_whitespace=True)
    name = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    active = serializers.BooleanField(read_only=True)

    def validate(self, data: dict) -> dict:
        pattern = FCM_TOKEN if data["platform"] == "fcm" else APNS_TOKEN
        if not pattern.match(data["registration_id"]):
            raise serializers.ValidationError(
                {"registration_id": f"not a valid {data['platform'].upper()} registration token"}
            )
        return data


def _models():
    from push_notifications.models import APNSDevice, GCMDevice

    return {"fcm": GCMDevice, "apns": APNSDevice}


def _as_dict(platform: str, device) -> dict:
    return {"id": f"{platform}-{device.pk}", "platform": platform, "registration_id": device.registration_id,
            "name": device.name or "", "active": device.active}  # fmt: skip


class DeviceListView(ApiView):
    @extend_schema(responses={200: DeviceSerializer(many=True)}, summary="List my push devices")
    def get(self, request):
        devices = [
            _as_dict(platform, device)
            for platform, model in _models().items()
            for device in model.objects.filter(user=request.user).order_by("pk")
        ]
        return Response(devices)

    @extend_schema(
        request=DeviceSerializer,
        responses={201: DeviceSerializer, 400: s.FIELD_ERRORS},
        summary="Register a push device",
    )
    def post(self, request):
        body = DeviceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        platform, token = body.validated_data["platform"], body.validated_data["registration_id"]
        model = _models()[platform]
        with transaction.atomic():
            # A token belongs to one phone: registered again (another user signed in on it), it moves.
            existing = list(model.objects.select_for_update().filter(registration_id=token).order_by("pk"))
            device = existing[0] if existing else model(registration_id=token)
            model.objects.filter(pk__in=[d.pk for d in existing[1:]]).delete()
            device.user, device.name, device.active = request.user, body.validated_data["name"], True
            if platform == "fcm":
                device.cloud_message_type = "FCM"
            device.save()
        return Response(_as_dict(platform, device), status=status.HTTP_201_CREATED)


class DeviceDetailView(ApiView):
    @extend_schema(request=None, responses={204: None, 404: s.NOT_YOURS}, summary="Remove one of my push devices")
    def delete(self, request, device_id: str):
        platform, _, pk = device_id.partition("-")
        model = _models().get(platform)
        # Someone else's device and a device that does not exist answer the same 404.
        if model is None or not pk.isdigit() or not model.objects.filter(user=request.user, pk=int(pk)).delete()[0]:
            raise NotFound("No such device of yours.")
        return Response(status=status.HTTP_204_NO_CONTENT)
