"""``GET|PATCH /api/notifications/user-settings/``: time zone, language, levels, do-not-disturb, quiet hours.

A PATCH names the fields it changes. Every value is checked before anything is written: one bad field is a 400
with field errors (``{"quiet_hours_start": ["..."]}``) and nothing changes. ``do_not_disturb`` takes a duration
(``"1h"``, ``"8h"``, ``"1d"``, ``"1w"``, ``"1m"`` (4 weeks), ``"forever"``) or ``null`` to end it; its end is the
read-only ``do_not_disturb_until`` (``null`` for ``forever``). Quiet hours are ``"HH:MM"`` local times, both or
neither. On an Open edX host the time zone and language default to the account page's preferences (the values
emails use: ``channels.email.locale``).

Side effects after a change: the unread count is recomputed (the web level decides what counts) and email and
push held by do-not-disturb or quiet hours are released to be decided again under the new setting.
"""

from __future__ import annotations

import re
from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from platform_notifications.api.base import ApiView
from platform_notifications.channels import dispatch
from platform_notifications.channels.email import hold, locale, schedule
from platform_notifications.config.kinds import Level
from platform_notifications.inbox import counts
from platform_notifications.models import UserNotificationSettings
from platform_notifications.preferences.attention import DND_DURATIONS, DND_FOREVER

LEVELS = [level.name for level in Level]  # "INFO", "WARNING", "ERROR"
LEVEL_FIELDS = ("web_min_level", "email_min_level", "push_min_level")
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
#: BCP 47, the shapes Django and Open edX use: a language, then subtags ("en", "pt-br", "zh-Hans", "es-419").
BCP47 = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
WRITABLE = (
    "timezone",
    "language",
    *LEVEL_FIELDS,
    "do_not_disturb",
    "quiet_hours_start",
    "quiet_hours_end",
)


def _hhmm(value: str | None) -> time | None:
    if value is None:
        return None
    if not isinstance(value, str) or not HHMM.match(value):
        raise serializers.ValidationError('a local time "HH:MM" (00:00 to 23:59), or null')
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


class UserSettingsSerializer(serializers.Serializer):
    timezone = serializers.CharField(max_length=64, allow_blank=True, required=False, help_text="IANA; '': UTC")
    language = serializers.CharField(max_length=16, allow_blank=True, required=False, help_text="BCP 47")
    web_min_level = serializers.ChoiceField(choices=LEVELS, required=False)
    email_min_level = serializers.ChoiceField(choices=LEVELS, required=False)
    push_min_level = serializers.ChoiceField(choices=LEVELS, required=False)
    do_not_disturb = serializers.ChoiceField(choices=list(DND_DURATIONS), allow_null=True, required=False)
    do_not_disturb_until = serializers.DateTimeField(read_only=True, allow_null=True)
    quiet_hours_start = serializers.CharField(allow_null=True, required=False, help_text='"HH:MM" or null')
    quiet_hours_end = serializers.CharField(allow_null=True, required=False, help_text='"HH:MM" or null')

    def validate_timezone(self, value: str) -> str:
        if value:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError, OSError):
                raise serializers.ValidationError(f"unknown time zone {value[:64]!r} (an IANA name)") from None
        return value

    def validate_language(self, value: str) -> str:
        if value and not BCP47.match(value):
            raise serializers.ValidationError("a BCP 47 language tag such as 'en' or 'pt-BR'")
        return value

    def validate_quiet_hours_start(self, value):
        return _hhmm(value)

    def validate_quiet_hours_end(self, value):
        return _hhmm(value)


def represent(user, own: UserNotificationSettings | None) -> dict:
    """The answer: stored values, the host's locale for an unset time zone or language, the active DND."""
    now = timezone.now()
    zone_name = own.timezone if own else ""
    language = own.language if own else ""
    source = locale.source()
    if type(source) is not locale.StoredLocale:
        zone_name = source.time_zones([user.pk]).get(user.pk) or zone_name
        language = source.language(user) or language
    until = own.do_not_disturb_until if own else None
    active = until is not None and until > now
    return {
        "timezone": zone_name,
        "language": language,
        **{name: (getattr(own, name) if own else Level.INFO.value).upper() for name in LEVEL_FIELDS},
        "do_not_disturb": (own.do_not_disturb or None) if active else None,
        "do_not_disturb_until": until if active and until < DND_FOREVER else None,
        "quiet_hours_start": own.quiet_hours_start.strftime("%H:%M") if own and own.quiet_hours_start else None,
        "quiet_hours_end": own.quiet_hours_end.strftime("%H:%M") if own and own.quiet_hours_end else None,
    }


def _own(user) -> UserNotificationSettings | None:
    return UserNotificationSettings.objects.filter(user=user).first()


class UserSettingsView(ApiView):
    @extend_schema(responses={200: UserSettingsSerializer}, summary="The caller's notification settings")
    def get(self, request):
        return Response(represent(request.user, _own(request.user)))

    @extend_schema(
        request=UserSettingsSerializer,
        responses={200: UserSettingsSerializer, 400: dict},
        summary="Change some of the caller's notification settings (nothing changes on a 400)",
    )
    def patch(self, request):
        data = request.data
        if not isinstance(data, dict):
            raise ValidationError({"non_field_errors": ["expected a JSON object"]})
        unknown = sorted(set(data) - set(WRITABLE) - {"do_not_disturb_until"})
        if unknown:
            raise ValidationError({name[:64]: ["unknown field"] for name in unknown[:20]})
        serializer = UserSettingsSerializer(data=data, partial=True)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        own = _own(request.user)
        start = values.get("quiet_hours_start", own.quiet_hours_start if own else None)
        end = values.get("quiet_hours_end", own.quiet_hours_end if own else None)
        if (start is None) != (end is None):
            missing = "quiet_hours_end" if end is None else "quiet_hours_start"
            raise ValidationError({missing: ["quiet hours need both a start and an end (or neither)"]})
        if start is not None and start == end:
            raise ValidationError({"quiet_hours_end": ["the end must differ from the start"]})
        with transaction.atomic():
            own, _ = UserNotificationSettings.objects.select_for_update().get_or_create(user=request.user)
            for name in ("timezone", "language", "quiet_hours_start", "quiet_hours_end"):
                if name in values:
                    setattr(own, name, values[name])
            for name in LEVEL_FIELDS:
                if name in values:
                    setattr(own, name, values[name].lower())
            if "do_not_disturb" in values:
                duration = values["do_not_disturb"]
                length = DND_DURATIONS.get(duration) if duration else None
                own.do_not_disturb = duration or ""
                if duration is None:
                    own.do_not_disturb_until = None
                else:
                    own.do_not_disturb_until = timezone.now() + length if length is not None else DND_FOREVER
            own.save()
            attention_changed = {"do_not_disturb", "quiet_hours_start", "quiet_hours_end", "timezone"} & set(values)
            if attention_changed:
                # Held email and push are decided again under the new setting (held again if it still says so).
                hold.release(request.user.pk)
                dispatch.release_quiet(request.user.pk)
            if "timezone" in values:
                # Open digests follow the new local clock.
                schedule.reschedule_user(request.user.pk)
        if set(LEVEL_FIELDS) & set(values):
            counts.changed(request.user.pk)
        return Response(represent(request.user, own))
