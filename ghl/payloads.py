"""GHL webhook bodies parsed once, at the edge, into frozen dataclasses.

Every body is untrusted: anything we can't use raises ``PayloadError(reason)`` with a short,
safe reason; an event type we don't handle comes back as ``UnhandledEvent`` (stored and marked
ignored, never a crash).

**Marketplace webhooks** (signed, ``parse_marketplace_event``): ``AppointmentCreate``,
``AppointmentUpdate`` (a cancellation is an update with status ``cancelled``),
``AppointmentDelete`` and ``InboundMessage``, shaped as in GHL's documentation.

**Workflow "custom webhook"** (``parse_workflow_event``): the JSON an agency maps in a GHL
workflow action. Keys we read (snake_case, top level; values mapped under GHL's ``customData``
are read too and win over top-level ones):

- ``event`` (required; ``type`` is accepted instead): ``appointment`` or ``inbound_message``
- ``contact_id``, ``email``, ``phone``: who it is about, at least one of them
- ``first_name``, ``last_name``
- ``message_body`` (required for ``inbound_message``), ``message_type`` (``SMS`` or ``Email``,
  default ``SMS``), ``message_id`` (recommended: it is what duplicates are recognised by)
- ``appointment_id`` (required for ``appointment``), ``appointment_status`` (``new``,
  ``confirmed``, ``cancelled``, ``showed``, ``noshow``, ``invalid``), ``appointment_start`` and
  ``appointment_end`` (ISO 8601 with a UTC offset, e.g. ``2026-12-01T10:00:00-05:00``, or epoch
  milliseconds), ``calendar_id``

Times are aware datetimes in UTC. A time without an offset is refused rather than guessed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from integrations.responses import ResponseShapeError, optional_str, required_str
from workspaces import jsonsafe

from .types import optional_time, parse_time

APPOINTMENT_EVENTS = ("AppointmentCreate", "AppointmentUpdate", "AppointmentDelete")
INBOUND_MESSAGE = "InboundMessage"
WORKFLOW_APPOINTMENT = "appointment"
WORKFLOW_INBOUND_MESSAGE = "inbound_message"
# The Integrations tab's "Send a test event": proves the door and the secret, changes nothing.
WORKFLOW_TEST_EVENT = "test_event"
_MESSAGE_TYPES = {"sms": "SMS", "email": "Email"}

# What an agency maps in a workflow's custom webhook (shown on the GHL card).
WORKFLOW_FIELDS = (
    ("event", "appointment or inbound_message (required)"),
    ("contact_id", "{{contact.id}}"),
    ("email", "{{contact.email}}"),
    ("phone", "{{contact.phone}}"),
    ("first_name", "{{contact.first_name}}"),
    ("last_name", "{{contact.last_name}}"),
    ("message_body", "the inbound message's text (inbound_message)"),
    ("message_type", "SMS or Email (inbound_message, default SMS)"),
    ("message_id", "the message's id: how a repeat is recognised (inbound_message)"),
    ("appointment_id", "{{appointment.id}} (appointment)"),
    ("appointment_status", "new, confirmed, cancelled, showed, noshow or invalid"),
    ("appointment_start", "start time with its UTC offset (appointment)"),
    ("appointment_end", "end time with its UTC offset (appointment)"),
    ("calendar_id", "{{appointment.calendar_id}} (appointment)"),
)


class PayloadError(ValueError):
    """The body can't be used; ``reason`` is short and safe to store or answer with."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class AppointmentEvent:
    """A marketplace appointment webhook. ``start`` is None only on a delete that omits it."""

    type: str
    location_id: str
    webhook_id: str
    appointment_id: str
    calendar_id: str
    contact_id: str
    start: datetime | None
    end: datetime | None
    status: str
    title: str = ""
    assigned_user_id: str = ""
    timestamp: datetime | None = None
    updated_at: datetime | None = None  # appointment.dateUpdated: when the change was made


@dataclass(frozen=True)
class InboundMessageEvent:
    """A lead's message. ``message_type`` is ``SMS`` or ``Email`` for those, else GHL's own word."""

    location_id: str
    contact_id: str
    conversation_id: str
    message_id: str
    body: str
    message_type: str
    direction: str
    date_added: datetime | None
    webhook_id: str


@dataclass(frozen=True)
class UnhandledEvent:
    """A well-formed delivery of a type we don't act on."""

    type: str
    location_id: str
    webhook_id: str


@dataclass(frozen=True)
class WorkflowEvent:
    """A workflow custom webhook, in the keys documented at the top of this module."""

    event: str
    contact_id: str = ""
    email: str = ""
    phone: str = ""
    first_name: str = ""
    last_name: str = ""
    message_body: str = ""
    message_type: str = ""
    message_id: str = ""
    appointment_id: str = ""
    appointment_status: str = ""
    appointment_start: datetime | None = None
    appointment_end: datetime | None = None
    calendar_id: str = ""

    @property
    def dedupe_key(self) -> str | None:
        """A key equal for repeats of the same fact, or None when the body carries none."""
        if self.event == WORKFLOW_APPOINTMENT:
            start = self.appointment_start.isoformat() if self.appointment_start else ""
            return f"appointment:{self.appointment_id}:{self.appointment_status}:{start}"
        if self.message_id:
            return f"message:{self.message_id}"
        return None


MarketplaceEvent = AppointmentEvent | InboundMessageEvent | UnhandledEvent


def load_json(body: bytes | str | Mapping[str, Any]) -> Mapping[str, Any]:
    """The body as a JSON object (a mapping passes through)."""
    if isinstance(body, Mapping):
        return body
    try:
        data = jsonsafe.loads(body)
    except jsonsafe.UnsafeJSON as exc:
        raise PayloadError(exc.reason) from None
    except (ValueError, TypeError):
        raise PayloadError("body is not JSON") from None
    if not isinstance(data, dict):
        raise PayloadError("body is not a JSON object")
    return data


def parse_marketplace_event(body: bytes | str | Mapping[str, Any]) -> MarketplaceEvent:
    data = load_json(body)
    event_type = _guard(required_str, data, "type", max_length=64)
    parser = _MARKETPLACE_PARSERS.get(event_type)
    if parser is None:
        return UnhandledEvent(
            type=event_type,
            location_id=_guard(optional_str, data, "locationId", max_length=255),
            webhook_id=_guard(optional_str, data, "webhookId", max_length=255),
        )
    return parser(data)


def parse_appointment_event(data: Mapping[str, Any]) -> AppointmentEvent:
    event_type = _guard(required_str, data, "type", max_length=64)
    if event_type not in APPOINTMENT_EVENTS:
        raise PayloadError(f"not an appointment event: {event_type[:64]}")
    appointment = data.get("appointment")
    if not isinstance(appointment, Mapping):
        raise PayloadError("appointment is missing")
    is_delete = event_type == "AppointmentDelete"
    start_value = appointment.get("startTime")
    start = None
    if start_value not in (None, "") or not is_delete:
        start = _guard(parse_time, start_value, field="appointment.startTime")
    return AppointmentEvent(
        type=event_type,
        location_id=_guard(required_str, data, "locationId"),
        webhook_id=_guard(required_str, data, "webhookId"),
        appointment_id=_guard(required_str, appointment, "id"),
        calendar_id=_guard(optional_str, appointment, "calendarId", max_length=255),
        contact_id=_guard(optional_str, appointment, "contactId", max_length=255),
        start=start,
        end=_guard(optional_time, appointment.get("endTime"), field="appointment.endTime"),
        status=_guard(optional_str, appointment, "appointmentStatus", max_length=64).lower(),
        title=_guard(optional_str, appointment, "title"),
        assigned_user_id=_guard(optional_str, appointment, "assignedUserId", max_length=255),
        timestamp=_loose_time(data.get("timestamp")),
        updated_at=_loose_time(appointment.get("dateUpdated")),
    )


def parse_inbound_message(data: Mapping[str, Any]) -> InboundMessageEvent:
    message_type = _guard(required_str, data, "messageType", max_length=64)
    body = data.get("body", "")
    if body is None:
        body = ""
    if not isinstance(body, str):
        raise PayloadError("body is not text")
    return InboundMessageEvent(
        location_id=_guard(required_str, data, "locationId"),
        contact_id=_guard(required_str, data, "contactId"),
        conversation_id=_guard(optional_str, data, "conversationId", max_length=255),
        message_id=_guard(required_str, data, "messageId"),
        body=body,
        message_type=_MESSAGE_TYPES.get(message_type.lower(), message_type),
        direction=_guard(optional_str, data, "direction", max_length=32).lower() or "inbound",
        date_added=_loose_time(data.get("dateAdded")),
        webhook_id=_guard(required_str, data, "webhookId"),
    )


_MARKETPLACE_PARSERS: dict[str, Callable[[Mapping[str, Any]], MarketplaceEvent]] = {
    "AppointmentCreate": parse_appointment_event,
    "AppointmentUpdate": parse_appointment_event,
    "AppointmentDelete": parse_appointment_event,
    INBOUND_MESSAGE: parse_inbound_message,
}


def parse_workflow_event(body: bytes | str | Mapping[str, Any]) -> WorkflowEvent:
    """A workflow custom webhook body (keys in the module docstring)."""
    data = load_json(body)
    custom = data.get("customData")
    if isinstance(custom, Mapping):
        data = {**data, **custom}
    event = _text(data, "event") or _text(data, "type")
    event = event.lower().replace(" ", "_").replace("-", "_")
    if event == WORKFLOW_TEST_EVENT:
        return WorkflowEvent(event=event)
    if event not in (WORKFLOW_APPOINTMENT, WORKFLOW_INBOUND_MESSAGE):
        raise PayloadError("event must be 'appointment' or 'inbound_message'")
    fields = {
        "event": event,
        "contact_id": _text(data, "contact_id"),
        "email": _text(data, "email").lower(),
        "phone": _text(data, "phone"),
        "first_name": _text(data, "first_name"),
        "last_name": _text(data, "last_name"),
    }
    if not (fields["contact_id"] or fields["email"] or fields["phone"]):
        raise PayloadError("contact_id, email or phone is required")
    if event == WORKFLOW_APPOINTMENT:
        fields.update(_workflow_appointment(data))
    else:
        fields.update(_workflow_message(data))
    return WorkflowEvent(**fields)


def _workflow_appointment(data: Mapping[str, Any]) -> dict[str, Any]:
    appointment_id = _text(data, "appointment_id")
    if not appointment_id:
        raise PayloadError("appointment_id is required")
    return {
        "appointment_id": appointment_id,
        "appointment_status": _text(data, "appointment_status").lower(),
        "appointment_start": _guard(
            optional_time, data.get("appointment_start"), field="appointment_start"
        ),
        "appointment_end": _guard(
            optional_time, data.get("appointment_end"), field="appointment_end"
        ),
        "calendar_id": _text(data, "calendar_id"),
    }


def _workflow_message(data: Mapping[str, Any]) -> dict[str, Any]:
    message_body = data.get("message_body")
    if not isinstance(message_body, str) or not message_body.strip():
        raise PayloadError("message_body is required")
    message_type = _text(data, "message_type") or "SMS"
    if message_type.lower() not in _MESSAGE_TYPES:
        raise PayloadError("message_type must be SMS or Email")
    return {
        "message_body": message_body.strip(),
        "message_type": _MESSAGE_TYPES[message_type.lower()],
        "message_id": _text(data, "message_id"),
    }


def _text(data: Mapping[str, Any], key: str, max_length: int = 1000) -> str:
    """A mapped value as text: agencies' mappings turn ids and phones into numbers at times."""
    value = data.get(key)
    if isinstance(value, bool):
        raise PayloadError(f"{key} is not text")
    if isinstance(value, int):
        value = str(value)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise PayloadError(f"{key} is not text")
    value = value.strip()
    if len(value) > max_length:
        raise PayloadError(f"{key} is too long")
    return value


def _guard(parser: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    try:
        return parser(*args, **kwargs)
    except ResponseShapeError as exc:
        raise PayloadError(str(exc)) from None


def _loose_time(value: Any) -> datetime | None:
    """A time we only record (not act on): unreadable becomes None instead of an error."""
    try:
        return optional_time(value, field="time")
    except ResponseShapeError:
        return None
