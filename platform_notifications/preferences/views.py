"""Account-settings preferences: ``GET|PUT v3/configurations/`` (and ``v2/`` with the same shapes)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from platform_notifications.api import serializers as s
from platform_notifications.api.base import ApiView
from platform_notifications.api.errors import PreferenceInvalid
from platform_notifications.config import registry, toggles
from platform_notifications.operations import events
from platform_notifications.preferences import changes as preference_changes
from platform_notifications.preferences.data import needs_roles, user_preferences
from platform_notifications.preferences.roles import user_roles

REQUIRED = ("notification_app", "notification_type", "notification_channel")


def check_body(body: Any) -> dict[str, Any]:
    """The PUT body as a dict with the always-required fields present, or a 400 listing what is missing."""
    if not isinstance(body, dict):
        raise PreferenceInvalid({"non_field_errors": "expected a JSON object"})
    missing = {name: "This field is required." for name in REQUIRED if body.get(name) in (None, "")}
    channel = body.get("notification_channel")
    if channel == preference_changes.CADENCE_CHANNEL and body.get("email_cadence") is None:
        missing["email_cadence"] = "This field is required when notification_channel is email_cadence."
    elif channel is not None and channel != preference_changes.CADENCE_CHANNEL and "value" not in body:
        missing["value"] = "This field is required."
    if missing:
        raise PreferenceInvalid(missing)
    return body


def show_switches() -> dict[str, bool]:
    """The keys every answer carries: a client that reads them from a PUT must see the GET's values."""
    return {
        "show_preferences": toggles.ENABLE_NOTIFICATIONS.is_enabled(),
        "show_email_preferences": toggles.ENABLE_EMAIL_NOTIFICATIONS.is_enabled(),
    }


def row_as_it_stands(user_id: int, body: dict[str, Any], roles) -> dict[str, Any]:
    """``data`` of a refused change: the row's current value of the named channel, when the row is the user's."""
    app, key, channel = body.get("notification_app"), body.get("notification_type"), body.get("notification_channel")
    if not isinstance(app, str) or not isinstance(key, str) or key not in user_preferences_keys(app, roles):
        return {}
    row = user_preferences(user_id, roles).get(app, {}).get("notification_types", {}).get(key)
    if row is None or channel not in row or channel == "info":
        return {}
    return {"updated_value": row[channel], "notification_type": key, "channel": channel, "app": app}


def user_preferences_keys(app: str, roles) -> list[str]:
    app_config = registry.get_app(app)
    return preference_changes.editable_rows(app, roles) if app_config is not None and app_config.enabled else []


class PreferencesView(ApiView):
    #: Refusals (malformed JSON included) use the account page's ``{"status": "error", "message": {...}}``.
    preference_errors = True

    def roles(self, request) -> frozenset[str] | None:
        return user_roles(request.user) if needs_roles() else None

    @extend_schema(responses={200: s.PreferencesSerializer}, summary="The user's notification preferences")
    def get(self, request):
        return Response(
            {
                "status": "success",
                "message": "Notification preferences retrieved successfully.",
                **show_switches(),
                "data": user_preferences(request.user.pk, self.roles(request)),
            }
        )

    @extend_schema(
        request=s.PreferenceUpdateSerializer,
        responses={200: s.PreferenceUpdatedSerializer, 400: s.PreferenceErrorSerializer},
        summary="Change one channel (or the email cadence) of one preference row",
    )
    def put(self, request):
        try:
            body = check_body(request.data)
        except PreferenceInvalid as exc:
            exc.extra = {**show_switches(), "data": {}}
            raise
        roles = self.roles(request)
        try:
            change = preference_changes.set_choice(
                request.user.pk,
                body["notification_app"],
                body["notification_type"],
                body["notification_channel"],
                value=body.get("value"),
                # Only the named channel changes: a cadence in an email toggle's body is ignored.
                cadence=body.get("email_cadence") if body["notification_channel"] == "email_cadence" else None,
                roles=roles,
            )
        except preference_changes.PreferenceChangeError as exc:
            extra = {**show_switches(), "data": row_as_it_stands(request.user.pk, body, roles)}
            raise PreferenceInvalid(exc.errors, extra) from exc
        events.preferences_updated(request.user, change)
        return Response(
            {
                "status": "success",
                "message": "Notification preferences update completed.",
                **show_switches(),
                "data": {
                    "updated_value": change.value,
                    "notification_type": change.preference_key,
                    "channel": change.channel,
                    "app": change.app_name,
                },
            }
        )
