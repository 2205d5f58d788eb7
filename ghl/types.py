"""What the GoHighLevel API answers, as small frozen dataclasses parsed once at the edge.

Each ``from_api`` takes one decoded JSON object and raises ``ResponseShapeError`` when a field we
rely on is missing or unreadable; the client turns that into a provider error. Times are aware
datetimes in UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ValidationError

from integrations.providers import Slot
from workspaces.validators import validate_sane_datetime

APPOINTMENT_STATUSES = frozenset({"new", "confirmed", "cancelled", "showed", "noshow", "invalid"})


class ResponseShapeError(ValueError):
    """A GHL answer or body lacks a field we need, or has it in a form we can't read."""


def parse_time(value: Any, *, field: str) -> datetime:
    """An ISO 8601 time with an offset (or ``Z``), or epoch milliseconds, as aware UTC.

    A time without an offset is refused: guessing its zone would move a booking by hours.
    """
    if isinstance(value, bool):
        raise ResponseShapeError(f"{field} is not a time")
    if isinstance(value, int | float):
        try:
            return _bounded(datetime.fromtimestamp(value / 1000, tz=UTC), field)
        except (OverflowError, OSError, ValueError):
            raise ResponseShapeError(f"{field} is out of range") from None
    if not isinstance(value, str) or not value.strip():
        raise ResponseShapeError(f"{field} is missing")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ResponseShapeError(f"{field} is not an ISO 8601 time") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ResponseShapeError(f"{field} has no UTC offset")
    return _bounded(parsed, field)


def _bounded(moment: datetime, field: str) -> datetime:
    """Within validators.EARLIEST..LATEST (year 1 or 9999 is a typo or an attack)."""
    try:
        validate_sane_datetime(moment)
        return moment.astimezone(UTC)
    except (ValidationError, OverflowError):
        raise ResponseShapeError(f"{field} is out of range") from None


def optional_time(value: Any, *, field: str) -> datetime | None:
    if value in (None, ""):
        return None
    return parse_time(value, field=field)


def required_str(data: Mapping[str, Any], key: str, *, max_length: int = 255) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ResponseShapeError(f"{key} is missing")
    value = value.strip()
    if len(value) > max_length:
        raise ResponseShapeError(f"{key} is too long")
    return value


def optional_str(data: Mapping[str, Any], key: str, *, max_length: int = 1000) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ResponseShapeError(f"{key} is not text")
    value = value.strip()
    if len(value) > max_length:
        raise ResponseShapeError(f"{key} is too long")
    return value


def _object(value: Any, *, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ResponseShapeError(f"{what} is not an object")
    return value


@dataclass(frozen=True)
class Location:
    """A GHL sub-account; a workspace maps to one. ``timezone`` is an IANA name (may be "")."""

    id: str
    name: str
    timezone: str

    @classmethod
    def from_api(cls, data: Any) -> Location:
        data = _object(data, what="location")
        return cls(
            id=required_str(data, "id"),
            name=optional_str(data, "name"),
            timezone=optional_str(data, "timezone", max_length=64),
        )


@dataclass(frozen=True)
class Calendar:
    id: str
    name: str
    calendar_type: str = ""
    is_active: bool = True
    slot_duration: int | None = None

    @classmethod
    def from_api(cls, data: Any) -> Calendar:
        data = _object(data, what="calendar")
        duration = data.get("slotDuration")
        is_active = data.get("isActive")
        return cls(
            id=required_str(data, "id"),
            name=optional_str(data, "name"),
            calendar_type=optional_str(data, "calendarType", max_length=64),
            is_active=is_active if isinstance(is_active, bool) else True,
            slot_duration=duration if type(duration) is int and duration > 0 else None,
        )


@dataclass(frozen=True)
class FreeSlot:
    """A free start time. ``raw`` is the string GHL sent, to be sent back unchanged when booking."""

    start: datetime
    raw: str

    def as_slot(self) -> Slot:
        return Slot(start=self.start)


@dataclass(frozen=True)
class Appointment:
    """A GHL appointment (the API says event). ``status`` is lower-case, e.g. ``cancelled``."""

    id: str
    calendar_id: str
    contact_id: str
    start: datetime
    end: datetime | None
    status: str
    title: str = ""
    assigned_user_id: str = ""

    @property
    def is_cancelled(self) -> bool:
        return self.status == "cancelled"

    @classmethod
    def from_api(cls, data: Any) -> Appointment:
        data = _object(data, what="appointment")
        return cls(
            id=required_str(data, "id"),
            calendar_id=optional_str(data, "calendarId"),
            contact_id=optional_str(data, "contactId"),
            start=parse_time(data.get("startTime"), field="startTime"),
            end=optional_time(data.get("endTime"), field="endTime"),
            status=optional_str(data, "appointmentStatus", max_length=64).lower(),
            title=optional_str(data, "title"),
            assigned_user_id=optional_str(data, "assignedUserId"),
        )


@dataclass(frozen=True)
class Contact:
    id: str
    email: str = ""
    phone: str = ""
    first_name: str = ""
    last_name: str = ""
    name: str = ""
    timezone: str = ""

    @classmethod
    def from_api(cls, data: Any) -> Contact:
        data = _object(data, what="contact")
        return cls(
            id=required_str(data, "id"),
            email=optional_str(data, "email"),
            phone=optional_str(data, "phone"),
            first_name=optional_str(data, "firstName"),
            last_name=optional_str(data, "lastName"),
            name=optional_str(data, "name") or optional_str(data, "contactName"),
            timezone=optional_str(data, "timezone", max_length=64),
        )


@dataclass(frozen=True)
class UpsertedContact:
    contact: Contact
    created: bool


@dataclass(frozen=True)
class SentMessage:
    conversation_id: str
    message_id: str

    @classmethod
    def from_api(cls, data: Any) -> SentMessage:
        data = _object(data, what="message response")
        return cls(
            conversation_id=optional_str(data, "conversationId"),
            message_id=required_str(data, "messageId"),
        )
