"""The admin API's request and response shapes. Validation only: the writes are in
workspaces.provisioning."""

from collections.abc import Mapping

from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework import serializers

from workspaces import provider_choices
from workspaces.api import selectors
from workspaces.api.fields import (
    EmailListField,
    ProviderChoiceField,
    StrictBooleanField,
    StrictCharField,
    TimezoneField,
)
from workspaces.models import Workspace

MEMBER_HELP = (
    "The complete list of e-mail addresses holding this role. People not in it lose the role in "
    "this workspace; leave the key out to change nothing. New addresses receive an invitation."
)


class StrictSerializer(serializers.Serializer):
    """Refuses keys it does not declare, each with its own message, next to any other error."""

    def to_internal_value(self, data):
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, Mapping) else []
        errors = {key: ["Unknown field."] for key in unknown}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if not isinstance(exc.detail, Mapping):
                raise
            raise serializers.ValidationError({**exc.detail, **errors}) from None
        if errors:
            raise serializers.ValidationError(errors)
        return value


class StrictSerializerSchema(OpenApiSerializerExtension):
    """Says in the schema what StrictSerializer enforces: no keys beyond the declared ones."""

    target_class = StrictSerializer
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_basic_serializer(self.target, direction)
        return {**schema, "additionalProperties": False}


class WorkspaceWriteFields(StrictSerializer):
    name = StrictCharField(min_length=1, max_length=200)
    external_id = StrictCharField(
        min_length=1,
        max_length=200,
        allow_null=True,
        required=False,
        help_text="Your system's id for this client; POSTing it again updates the same workspace.",
    )
    timezone = TimezoneField()
    booking_provider = ProviderChoiceField(required=False)
    messaging_channel = serializers.ChoiceField(
        choices=Workspace.MessagingChannel.choices,
        required=False,
        allow_null=True,
        help_text="Where messages to leads go: a connected channel, or null for none chosen.",
    )
    auto_book_enabled = StrictBooleanField(required=False)
    admins = EmailListField(required=False, help_text=MEMBER_HELP)
    setters = EmailListField(required=False, help_text=MEMBER_HELP)
    inbox_managers = EmailListField(required=False, help_text=MEMBER_HELP)


class WorkspaceCreateSerializer(WorkspaceWriteFields):
    """POST: create, or update the workspace with this external_id."""


class WorkspaceUpdateSerializer(WorkspaceWriteFields):
    """PATCH: every key optional; `is_active: true` reopens a deactivated workspace."""

    name = StrictCharField(min_length=1, max_length=200, required=False)
    timezone = TimezoneField(required=False)
    is_active = StrictBooleanField(required=False)


class WorkspaceListQuerySerializer(serializers.Serializer):
    external_id = StrictCharField(max_length=200, required=False)

    def validate_external_id(self, value):
        if "\x00" in value:
            raise serializers.ValidationError("Null characters are not allowed.")
        return value


class MembersSerializer(serializers.Serializer):
    admins = serializers.ListField(child=serializers.EmailField())
    setters = serializers.ListField(child=serializers.EmailField())
    inbox_managers = serializers.ListField(child=serializers.EmailField())

    def to_representation(self, workspace):
        return selectors.member_emails(workspace)


class WebhookUrlsSerializer(serializers.Serializer):
    """One URL per registered provider that takes webhooks, keyed by its name."""

    def get_fields(self):
        # A provider that takes no webhooks is left out of the answer.
        return {
            name: serializers.URLField(required=False) for name, _ in provider_choices.choices()
        }

    def to_representation(self, workspace):
        return selectors.webhook_urls(workspace)


class WorkspaceSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    external_id = serializers.CharField(allow_null=True)
    name = serializers.CharField()
    timezone = serializers.CharField()
    booking_provider = ProviderChoiceField()
    messaging_channel = serializers.ChoiceField(
        choices=Workspace.MessagingChannel.choices, allow_null=True
    )
    auto_book_enabled = serializers.BooleanField()
    is_active = serializers.BooleanField()
    members = MembersSerializer(source="*")
    webhook_urls = WebhookUrlsSerializer(source="*")


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
