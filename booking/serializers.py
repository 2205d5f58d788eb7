"""JSON in and out of the booking API (snake_case). Input serializers validate and normalise;
output serializers only describe rows. Nothing here writes."""

import zoneinfo
from datetime import timedelta

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from rest_framework import serializers

from booking.models import Appointment, InboundMessage, Offer, OfferedSlot
from booking.offers import MAX_COUNT
from workspaces.api.fields import BoundedDateTimeField
from workspaces.formatting import format_time
from workspaces.models import Lead
from workspaces.validators import (
    normalize_email,
    normalize_phone,
    validate_plain_text,
    validate_timezone,
)


def _django_validator(function):
    def run(value):
        try:
            return function(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None

    return run


class LeadInputSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    first_name = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        validators=[_django_validator(validate_plain_text)],
    )
    last_name = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        validators=[_django_validator(validate_plain_text)],
    )
    timezone = serializers.CharField(max_length=64, required=False, allow_blank=True)

    def validate_email(self, value):
        return _django_validator(normalize_email)(value) if value else ""

    def validate_phone(self, value):
        return _django_validator(normalize_phone)(value) if value else ""

    def validate_timezone(self, value):
        if value:
            _django_validator(validate_timezone)(value)
        return value

    def validate(self, attrs):
        if not (attrs.get("email") or attrs.get("phone")):
            message = "Give an e-mail or a phone number: leads are matched by them."
            raise serializers.ValidationError({"email": [message], "phone": [message]})
        return attrs


class LeadSerializer(serializers.ModelSerializer):
    class Meta:
        model = Lead
        fields = [
            "id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "timezone",
            "status",
            "source",
            "booked_slot",
            "created_at",
            "updated_at",
        ]


class MessageInputSerializer(serializers.Serializer):
    channel = serializers.CharField(max_length=20)
    body = serializers.CharField(max_length=20000, trim_whitespace=False)
    received_at = BoundedDateTimeField(required=False)
    provider_message_id = serializers.CharField(max_length=255, required=False, allow_blank=True)

    def validate_received_at(self, value):
        if value > timezone.now() + timedelta(minutes=5):
            raise serializers.ValidationError("A reply can't be received in the future.")
        return value


class MessageSerializer(serializers.ModelSerializer):
    lead_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = InboundMessage
        fields = [
            "id",
            "lead_id",
            "channel",
            "body",
            "received_at",
            "provider_message_id",
            "created_at",
            "autobook_outcome",
            "autobook_detail",
        ]


class OfferInputSerializer(serializers.Serializer):
    count = serializers.IntegerField(min_value=1, max_value=MAX_COUNT, default=3)
    send = serializers.BooleanField(default=False)
    channel = serializers.CharField(max_length=20, required=False, allow_blank=True)


class OfferedSlotSerializer(serializers.ModelSerializer):
    label = serializers.SerializerMethodField()

    class Meta:
        model = OfferedSlot
        fields = ["index", "start_at", "end_at", "label"]

    def get_label(self, slot) -> str:
        return format_time(slot.start_at, zoneinfo.ZoneInfo(slot.offer.timezone))


class OfferSerializer(serializers.ModelSerializer):
    lead_id = serializers.IntegerField(read_only=True)
    slots = OfferedSlotSerializer(many=True, read_only=True)

    class Meta:
        model = Offer
        fields = ["id", "lead_id", "state", "kind", "timezone", "text", "created_at", "slots"]


class AppointmentFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Appointment.Status.choices, required=False)
    provider = serializers.CharField(max_length=20, required=False)
    to = BoundedDateTimeField(required=False)
    host = serializers.EmailField(required=False)  # a host's e-mail: the appointments it hosts

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = BoundedDateTimeField(required=False)  # a keyword in Python
        return fields

    def validate(self, attrs):
        start, end = attrs.get("from"), attrs.get("to")
        if start and end and start > end:
            raise serializers.ValidationError({"to": ["“to” must not be before “from”."]})
        return attrs


class AppointmentSerializer(serializers.ModelSerializer):
    lead_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = Appointment
        fields = [
            "id",
            "lead_id",
            "provider",
            "external_id",
            "secondary_id",
            "start_at",
            "end_at",
            "status",
            "source",
            "event_type_name",
            "host_name",
            "host_email",
            "hosts",
            "created_at",
            "updated_at",
        ]
