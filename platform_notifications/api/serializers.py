"""Serializers: tray items and request bodies (validated) and the response shapes (documented in the schema)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from platform_notifications.models import Notification

#: Columns the tray reads; the list selects only these.
ITEM_FIELDS = (
    "id",
    "app_name",
    "notification_type",
    "content_context",
    "content_url",
    "course_id",
    "last_read",
    "last_seen",
    "created",
    # Kinds sent through ``service``: free text, urgency, action chips, scope and the thread's count.
    "title",
    "body",
    "level",
    "priority",
    "links",
    "scope",
    "occurrences",
)


class NotificationSerializer(serializers.ModelSerializer):
    # Rendered from the type's template with every context value HTML-escaped (see rendering.py).
    content = serializers.CharField(read_only=True, help_text="Server-rendered HTML; context values are escaped.")
    kind = serializers.CharField(read_only=True, help_text='The dotted kind, e.g. "discussion.new_response".')
    links = serializers.ListField(
        child=serializers.DictField(child=serializers.CharField()),
        read_only=True,
        help_text='Action chips: [{"label", "url"}]; URLs are relative or http(s).',
    )

    muted = serializers.SerializerMethodField(help_text="Whether the user muted this notification's thread now.")
    threaded = serializers.SerializerMethodField(help_text="Whether it belongs to a thread (it can be muted).")

    class Meta:
        model = Notification
        fields = (*ITEM_FIELDS, "content", "kind", "muted", "threaded")
        read_only_fields = fields

    def get_muted(self, obj: Notification) -> bool:
        # Annotated by the list (``NotificationQuerySet.with_muted``: one EXISTS per row, no query per item).
        return bool(getattr(obj, "muted", False))

    def get_threaded(self, obj: Notification) -> bool:
        return bool(obj.thread_key)


class StrictIntegerField(serializers.IntegerField):
    """An integer given as a JSON number (or digits): ``true``, ``1.5`` or ``"1e3"`` are refused."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or (isinstance(data, float) and not data.is_integer()):
            self.fail("invalid")
        return super().to_internal_value(data)


class NotificationIdSerializer(serializers.Serializer):
    notification_id = StrictIntegerField(min_value=1, max_value=2**63 - 1)


class MarkReadSerializer(serializers.Serializer):
    """``{"notification_id": int}`` or ``{"app_name": str}`` (the id wins when both are sent; one is required)."""

    notification_id = StrictIntegerField(min_value=1, max_value=2**63 - 1, required=False)
    app_name = serializers.CharField(min_length=1, max_length=64, required=False)


class MessageSerializer(serializers.Serializer):
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    error = serializers.CharField()


class CountSerializer(serializers.Serializer):
    show_notifications_tray = serializers.BooleanField()
    count = serializers.IntegerField()
    count_by_app_name = serializers.DictField(child=serializers.IntegerField())
    notification_expiry_days = serializers.IntegerField()
    is_new_notification_view_enabled = serializers.BooleanField()


class PreferenceUpdateSerializer(serializers.Serializer):
    """The body of a preferences PUT; values are checked against the configuration by the service."""

    notification_app = serializers.CharField(min_length=1, max_length=64)
    notification_type = serializers.CharField(min_length=1, max_length=64)
    notification_channel = serializers.ChoiceField(choices=["web", "email", "push", "email_cadence"])
    value = serializers.BooleanField(required=False, help_text="Required unless the channel is email_cadence.")
    email_cadence = serializers.ChoiceField(
        choices=["Immediately", "Daily", "Weekly", "Never"],
        required=False,
        help_text="Required when the channel is email_cadence.",
    )


class PreferenceRowSerializer(serializers.Serializer):
    web = serializers.BooleanField()
    push = serializers.BooleanField()
    email = serializers.BooleanField()
    email_cadence = serializers.ChoiceField(choices=["Immediately", "Daily", "Weekly", "Never"])
    info = serializers.CharField()


class PreferenceAppSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    notification_types = serializers.DictField(child=PreferenceRowSerializer())
    non_editable = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class PreferencesSerializer(serializers.Serializer):
    status = serializers.CharField()
    message = serializers.CharField()
    show_preferences = serializers.BooleanField()
    show_email_preferences = serializers.BooleanField()
    data = serializers.DictField(child=PreferenceAppSerializer())


class UpdatedValueSerializer(serializers.Serializer):
    updated_value = serializers.JSONField(help_text="The new boolean, or the new cadence.")
    notification_type = serializers.CharField()
    channel = serializers.CharField()
    app = serializers.CharField()


class PreferenceUpdatedSerializer(serializers.Serializer):
    status = serializers.CharField()
    message = serializers.CharField()
    show_preferences = serializers.BooleanField()
    data = UpdatedValueSerializer()


class PreferenceErrorSerializer(serializers.Serializer):
    status = serializers.CharField()
    message = serializers.DictField(child=serializers.CharField())


#: Responses of the channel endpoints that validate with serializers: 400 carries ``{field: [messages]}``,
#: 404 ``{"detail": "..."}`` (someone else's object and a missing one look the same).
FIELD_ERRORS = OpenApiResponse(description="Refused input: `{field: [message, ...]}`; nothing was stored")
NOT_YOURS = OpenApiResponse(description='No such object of yours: `{"detail": "..."}`')
