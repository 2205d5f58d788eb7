"""What the GoHighLevel API answers, as small frozen dataclasses parsed once at the edge.

Each ``from_api`` takes one decoded JSON object and raises ``ResponseShapeError`` when a field we
rely on is missing or unreadable (the field readers are ``integrations.responses``); the client
turns that into a provider error. Times are aware datetimes in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from integrations import responses
from integrations.responses import as_object, optional_str, required_str

APPOINTMENT_STATUSES = frozenset({"new", "confirmed", "cancelled", "showed", "noshow", "invalid"})


def parse_time(value: Any, *, field: str) -> datetime:
    """GHL sends a time as ISO 8601 with an offset or as epoch milliseconds: both are read."""
    return responses.parse_time(value, field=field, epoch_ms=True)


def optional_time(value: Any, *, field: str) -> datetime | None:
    return responses.optional_time(value, field=field, epoch_ms=True)


@dataclass(frozen=True)
class Location:
    """A GHL sub-account; a workspace maps to one. ``timezone`` is an IANA name (may be "")."""

    id: str
    name: str
    timezone: str

    @classmethod
    def from_api(cls, data: Any) -> Location:
        data = as_object(data, what="location")
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
        data = as_object(data, what="calendar")
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
        data = as_object(data, what="appointment")
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
        data = as_object(data, what="contact")
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
        data = as_object(data, what="message response")
        return cls(
            conversation_id=optional_str(data, "conversationId"),
            message_id=required_str(data, "messageId"),
        )
