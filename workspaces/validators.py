"""Validation shared by models, forms and the APIs, so every door refuses the same bad input."""

import zoneinfo

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email


def validate_timezone(value: str) -> None:
    if not value or value not in _known_timezones():
        raise ValidationError(f"“{value}” is not a known IANA time zone (e.g. America/New_York).")


def _known_timezones() -> set[str]:
    return zoneinfo.available_timezones()


def normalize_email(value: str) -> str:
    """Trimmed and lower-cased; raises ValidationError for a malformed address."""
    email = (value or "").strip().lower()
    validate_email(email)
    return email


def normalize_phone(value: str, *, region: str = "US") -> str:
    """E.164 (``+13125550142``); raises ValidationError for a number that cannot be one."""
    raw = (value or "").strip()
    try:
        parsed = phonenumbers.parse(raw, None if raw.startswith("+") else region)
    except phonenumbers.NumberParseException:
        raise ValidationError(f"“{value}” is not a phone number.") from None
    if not phonenumbers.is_possible_number(parsed):
        raise ValidationError(f"“{value}” is not a possible phone number.")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
