"""Strict input fields: the API refuses wrong JSON types instead of coercing them
(DRF's CharField takes 12 as "12", its BooleanField takes "yes" as true)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from workspaces import provider_choices
from workspaces.validators import (
    account_email,
    validate_plain_text,
    validate_sane_datetime,
    validate_timezone,
)

# users.get_or_create_user mirrors the address into User.username, which holds 150 characters.
MAX_EMAIL_LENGTH = 150
MAX_MEMBERS_PER_ROLE = 500


class StrictCharField(serializers.CharField):
    """Text only, and no control characters (a newline in a name broke e-mail subjects)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(validate_plain_text)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class BoundedDateTimeField(serializers.DateTimeField):
    """A date-time with a UTC offset, between validators.EARLIEST and LATEST: year 1 or 9999
    is a typo or an attack, and a stored one broke every page that showed it."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(validate_sane_datetime)


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


@extend_schema_field(
    {"type": "string", "format": "iana-timezone", "maxLength": 64, "example": "America/New_York"}
)
class TimezoneField(StrictCharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("help_text", "An IANA time zone, e.g. America/New_York.")
        super().__init__(**kwargs)
        self.validators.append(validate_timezone)


@extend_schema_field({"type": "string", "format": "email", "maxLength": MAX_EMAIL_LENGTH})
class EmailAddressField(StrictCharField):
    """The canonical form (workspaces.validators.normalize_email); a look-alike address is
    refused with the reason."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", MAX_EMAIL_LENGTH)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            return account_email(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None


class EmailListField(serializers.ListField):
    """A role's complete member list: normalised, de-duplicated, order kept."""

    def __init__(self, **kwargs):
        kwargs.setdefault("child", EmailAddressField())
        kwargs.setdefault("max_length", MAX_MEMBERS_PER_ROLE)
        kwargs.setdefault("allow_empty", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        return list(dict.fromkeys(super().to_internal_value(data)))


class ProviderChoiceField(serializers.ChoiceField):
    """One of the booking providers the provider apps registered. Serializers deep-copy their
    declared fields per instance, which calls this again: the choices are read then, after the
    apps have registered, not when this module is imported."""

    def __init__(self, **kwargs):
        super().__init__(choices=provider_choices.choices(), **kwargs)
