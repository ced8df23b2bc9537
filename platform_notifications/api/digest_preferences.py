"""``GET|PATCH /api/digest-preferences/``: when the caller's digests go out (``digest_frequency``) and in which zone.

``digest_frequency`` is ``default`` (the operator's Open edX digest settings) or one of ``DigestFrequency``'s
schedules (``daily_morning`` 07:00, ``daily_evening`` 18:00, ``twice_daily``, ``weekly_friday``,
``weekly_saturday``, ``weekly_sunday`` 07:00), at local time in ``timezone`` (IANA; "" for UTC), the same time
zone ``user-settings/`` shows. Every value is checked before anything is written: a bad one is a 400 with field
errors and nothing changes. After a change the caller's open digests move to the new clock.
"""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from platform_notifications.api.base import ApiView
from platform_notifications.api.user_settings import UserSettingsSerializer, represent
from platform_notifications.channels.email import schedule
from platform_notifications.config.enums import DigestFrequency
from platform_notifications.models import UserNotificationSettings

WRITABLE = ("digest_frequency", "timezone")


class DigestPreferencesSerializer(serializers.Serializer):
    digest_frequency = serializers.ChoiceField(choices=[f.value for f in DigestFrequency], required=False)
    timezone = serializers.CharField(max_length=64, allow_blank=True, required=False, help_text="IANA; '': UTC")

    validate_timezone = UserSettingsSerializer.validate_timezone


def _represent(user, own: UserNotificationSettings | None) -> dict:
    return {
        "digest_frequency": own.digest_frequency if own else DigestFrequency.DEFAULT.value,
        "timezone": represent(user, own)["timezone"],
    }


class DigestPreferencesView(ApiView):
    @extend_schema(responses={200: DigestPreferencesSerializer}, summary="When the caller's digests go out")
    def get(self, request):
        return Response(_represent(request.user, UserNotificationSettings.objects.filter(user=request.user).first()))

    @extend_schema(
        request=DigestPreferencesSerializer,
        responses={200: DigestPreferencesSerializer, 400: dict},
        summary="Change the caller's digest frequency or time zone (nothing changes on a 400)",
    )
    def patch(self, request):
        data = request.data
        if not isinstance(data, dict):
            raise ValidationError({"non_field_errors": ["expected a JSON object"]})
        unknown = sorted(set(data) - set(WRITABLE))
        if unknown:
            raise ValidationError({str(name)[:64]: ["unknown field"] for name in unknown[:20]})
        serializer = DigestPreferencesSerializer(data=data, partial=True)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        with transaction.atomic():
            own, _ = UserNotificationSettings.objects.select_for_update().get_or_create(user=request.user)
            changed = {name for name in WRITABLE if name in values and getattr(own, name) != values[name]}
            for name in changed:
                setattr(own, name, values[name])
            if changed:
                own.save(update_fields=sorted(changed))
                schedule.reschedule_user(request.user.pk)
        return Response(_represent(request.user, own))
