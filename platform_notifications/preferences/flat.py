"""Flat preferences: one row per kind for clients that are not the Open edX account page, globally or per scope.

``GET|PATCH /api/notification-preferences/`` (``?scope=`` reads and writes the scope's overrides, which apply ahead
of the global choice inside that scope). Kinds that cannot be suppressed are not listed.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from platform_notifications.api.base import ApiView
from platform_notifications.api.errors import PreferenceInvalid
from platform_notifications.config import Channel, registry
from platform_notifications.config.kinds import KindInfo
from platform_notifications.config.kinds import registry as kinds
from platform_notifications.models import ScopedPreference
from platform_notifications.preferences import changes, scoped
from platform_notifications.preferences.roles import user_roles

FIELDS = ("web", "email", "push", "email_cadence")
SCOPE = OpenApiParameter("scope", str, description="Read or write this scope's overrides")


def _scope(request) -> str:
    scope = request.query_params.get("scope", "")
    if len(scope) > 255 or not scope.isprintable():
        raise PreferenceInvalid({"scope": "must be a printable string of at most 255 characters"})
    return scope


def visible_kinds(user) -> list[KindInfo]:
    """The kinds whose row this user may see and change (enabled app, suppressible, ``visible_to`` honoured)."""
    roles = user_roles(user)
    found = []
    for info in kinds.all():
        app = registry.get_app(info.app)
        ntype = registry.get_type(info.type_name)
        if (
            app is None
            or not app.enabled
            or not info.can_suppress
            or ntype.preference_key not in changes.editable_rows(info.app, roles)
        ):
            continue
        found.append(info)
    return found


def row(user_id: int, info: KindInfo, scope: str) -> dict[str, Any]:
    ntype = registry.get_type(info.type_name)
    eff = scoped.for_users(ntype, [user_id], scope)[user_id]
    locked = registry.type_defaults(ntype).non_editable
    return {
        "kind": info.kind,
        "app": info.app,
        "display_name": info.display_name,
        "web": eff.web,
        "email": eff.emails,
        "push": eff.push,
        "email_cadence": eff.email_cadence.value,
        "editable": sorted(channel.value for channel in Channel if channel not in locked),
    }


class FlatPreferencesView(ApiView):
    @extend_schema(parameters=[SCOPE], responses={200: dict}, summary="One row per kind the user may see")
    def get(self, request):
        scope = _scope(request)
        return Response(
            {"scope": scope, "results": [row(request.user.pk, i, scope) for i in visible_kinds(request.user)]}
        )

    @extend_schema(parameters=[SCOPE], request=dict, responses={200: dict}, summary="Change channels of one kind")
    def patch(self, request):
        scope = _scope(request)
        body = request.data
        if not isinstance(body, dict):
            raise PreferenceInvalid({"non_field_errors": "expected a JSON object"})
        info = kinds.get(body.get("kind"))
        if info is None or info not in visible_kinds(request.user):
            raise PreferenceInvalid({"kind": f"unknown notification kind {str(body.get('kind'))[:100]!r}"})
        wanted = {name: body[name] for name in FIELDS if name in body}
        unknown = sorted(set(body) - {"kind", *FIELDS})
        if unknown or not wanted:
            raise PreferenceInvalid(
                {"non_field_errors": f"name the kind and the channels to change ({', '.join(FIELDS)})"}
            )
        key = registry.get_type(info.type_name).preference_key
        roles = user_roles(request.user)
        try:
            checked = [
                changes.validate(
                    info.app,
                    key,
                    name,
                    None if name == changes.CADENCE_CHANNEL else value,
                    value if name == changes.CADENCE_CHANNEL else None,
                    roles,
                )
                for name, value in wanted.items()
            ]
        except changes.PreferenceChangeError as error:
            raise PreferenceInvalid(error.errors) from error
        with transaction.atomic():
            if scope:
                ScopedPreference.objects.update_or_create(
                    user_id=request.user.pk,
                    scope=scope,
                    app_name=info.app,
                    notification_type=key,
                    defaults={change.channel: change.value for change in checked},
                )
            else:
                for change in checked:
                    changes.apply(request.user.pk, change)
        return Response(row(request.user.pk, info, scope))
