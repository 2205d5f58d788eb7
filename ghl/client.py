"""The GoHighLevel API v2 client: one location, one token, GHL's endpoints, typed answers.

Every call carries the ``Version`` header GHL wants for its area (calendars and conversations
vs contacts and locations, both from settings). Retries, timeouts and safe errors are the shared
transport's (``integrations.http``); what is GHL's own is which calls may be repeated: reads, PUT
and the contact upsert are retried after a 5xx or a network failure; booking and sending a
message are not, so once such a request may have reached GHL a 5xx or a timeout raises
``ProviderUnavailable(outcome_unknown=True)`` and the caller looks the result up instead of
sending it twice. A 429 is retried after ``Retry-After`` for every call: GHL refused it outright.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
from django.conf import settings

from followups.errors import (
    ProviderBadRequest,
    ProviderError,
    ProviderPermissionError,
    SlotTaken,
)
from integrations.http import DEFAULT_TIMEOUT, Call, Closing, Dialect, Policy, ProviderHttp, Refusal
from integrations.responses import ResponseShapeError

from .types import (
    Appointment,
    Calendar,
    Contact,
    FreeSlot,
    Location,
    SentMessage,
    UpsertedContact,
    parse_time,
)

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3  # per call, counting the first
MAX_SLOT_RANGE = timedelta(days=31)
SLOT_TAKEN_TEXT = "slot you have selected is no longer available"
APPOINTMENT_FIELDS = {
    "start_time": "startTime",
    "end_time": "endTime",
    "status": "appointmentStatus",
    "title": "title",
    "assigned_user_id": "assignedUserId",
    "calendar_id": "calendarId",
}
MESSAGE_TYPES = ("SMS", "Email")

READ = Policy(attempts=MAX_ATTEMPTS)
REPEATABLE_WRITE = Policy(attempts=MAX_ATTEMPTS, unknown_when_exhausted=True)
ONCE = Policy(attempts=MAX_ATTEMPTS, repeatable=False)  # a booking, a message


class GhlDialect(Dialect):
    """GHL says why in ``message`` (a string or a list of strings) and names a ``traceId``."""

    name = "GoHighLevel"
    rate_limited_whom = "this location"
    trace_field = "traceId"
    remaining_header = "X-RateLimit-Remaining"

    def window_reset(self, headers) -> float | None:
        # GHL gives the window's length, not its end: waiting a whole window is always enough.
        try:
            length = float(headers.get("X-RateLimit-Interval-Milliseconds") or "") / 1000
        except ValueError:
            return None
        return length if 0 < length < 3600 else None

    def reason(self, body: Mapping[str, Any]) -> str:
        message = body.get("message")
        if isinstance(message, list):
            message = "; ".join(
                str(item) for item in message if isinstance(item, str | int | float)
            )
        if not isinstance(message, str):
            message = body.get("error") if isinstance(body.get("error"), str) else ""
        return message

    def refusal(self, call: Call, refusal: Refusal) -> ProviderError | None:
        if refusal.status == 403:
            return ProviderPermissionError(
                f"GoHighLevel did not allow us to {call.action}: check the token's scopes and "
                "that it belongs to this location.",
                status=refusal.status,
                detail=refusal.detail,
            )
        if refusal.status == 400 and SLOT_TAKEN_TEXT in refusal.reason.lower():
            return SlotTaken(
                "That time was just taken at GoHighLevel; pick another slot.",
                status=refusal.status,
                detail=refusal.detail,
            )
        return None


def _ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("GHL times must be timezone-aware")
    return int(moment.timestamp() * 1000)


def _segment(value: str) -> str:
    """An id as one URL path segment, so an id from a webhook can't walk to another endpoint."""
    if not value:
        raise ValueError("an id is required")
    return quote(value, safe="")


class GhlClient(Closing):
    """Calls for one GHL location with a private integration token (or an OAuth access token)."""

    def __init__(
        self,
        token: str,
        location_id: str,
        *,
        base_url: str | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ):
        if not token or not location_id:
            raise ValueError("GhlClient needs a token and a location id")
        self.location_id = location_id
        self._http = ProviderHttp(
            GhlDialect(),
            base_url=base_url or settings.GHL_API_BASE,
            token=token,
            timeout=timeout,
            sleep=sleep,
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"<GhlClient location={self.location_id}>"

    # Locations and calendars

    def location(self) -> Location:
        body = self._get(
            f"/locations/{_segment(self.location_id)}",
            version=_contacts(),
            action="read the location",
        )
        inner = body.get("location", body)
        return self._http.parse(Location.from_api, inner, action="read the location")

    def calendars(self) -> list[Calendar]:
        body = self._get(
            "/calendars/",
            version=_calendars(),
            action="list calendars",
            params={"locationId": self.location_id},
        )
        items = body.get("calendars")
        if not isinstance(items, list):
            raise self._http.unexpected("list calendars")
        return [
            self._http.parse(Calendar.from_api, item, action="list calendars") for item in items
        ]

    def free_slots(
        self,
        calendar_id: str,
        start: datetime,
        end: datetime,
        timezone: str,
        user_id: str | None = None,
    ) -> list[FreeSlot]:
        """Free start times in ``[start, end)``, sorted, in UTC, each with GHL's own string.

        ``timezone`` (IANA) is the zone GHL writes the slot strings in. A window longer than
        31 days is asked for in pieces.
        """
        found: dict[datetime, FreeSlot] = {}
        for chunk_start, chunk_end in _chunks(start, end):
            params = {
                "startDate": _ms(chunk_start),
                "endDate": _ms(chunk_end),
                "timezone": timezone,
            }
            if user_id:
                params["userId"] = user_id
            body = self._get(
                f"/calendars/{_segment(calendar_id)}/free-slots",
                version=_calendars(),
                action="read free slots",
                params=params,
            )
            for slot in _slots_in(body):
                if start <= slot.start < end:
                    found.setdefault(slot.start, slot)
        return [found[key] for key in sorted(found)]

    # Appointments

    def create_appointment(
        self,
        calendar_id: str,
        contact_id: str,
        start_time_str: str,
        end_time_str: str | None = None,
        title: str | None = None,
        status: str = "confirmed",
        assigned_user_id: str | None = None,
    ) -> Appointment:
        """Book ``start_time_str``, which must be a slot string exactly as free-slots sent it.

        Never retried once the request may have reached GHL: on a 5xx or a timeout this raises
        ``ProviderUnavailable(outcome_unknown=True)``; look the booking up, don't book again.
        """
        if status not in ("confirmed", "new"):
            raise ValueError("a new appointment is 'confirmed' or 'new'")
        payload = {
            "calendarId": calendar_id,
            "locationId": self.location_id,
            "contactId": contact_id,
            "startTime": start_time_str,
            "appointmentStatus": status,
        }
        optional = {"endTime": end_time_str, "title": title, "assignedUserId": assigned_user_id}
        payload.update({key: value for key, value in optional.items() if value})
        body = self._request(
            "POST",
            "/calendars/events/appointments",
            version=_calendars(),
            action="book the appointment",
            json=payload,
            policy=ONCE,
        )
        return self._http.parse(
            Appointment.from_api, body, action="book the appointment", written=True
        )

    def get_appointment(self, event_id: str) -> Appointment:
        body = self._get(
            f"/calendars/events/appointments/{_segment(event_id)}",
            version=_calendars(),
            action="read the appointment",
        )
        # GHL wraps this one in "event", not "appointment".
        return self._http.parse(
            Appointment.from_api, body.get("event"), action="read the appointment"
        )

    def update_appointment(self, event_id: str, **fields: Any) -> Appointment:
        """Change an appointment. ``fields``: start_time, end_time (slot strings), status, title,
        assigned_user_id, calendar_id."""
        unknown = set(fields) - set(APPOINTMENT_FIELDS)
        if unknown:
            raise TypeError(f"update_appointment got unknown fields: {sorted(unknown)}")
        payload = {APPOINTMENT_FIELDS[key]: value for key, value in fields.items()}
        if not payload:
            raise TypeError("update_appointment needs at least one field")
        body = self._request(
            "PUT",
            f"/calendars/events/appointments/{_segment(event_id)}",
            version=_calendars(),
            action="update the appointment",
            json=payload,
            policy=REPEATABLE_WRITE,
        )
        inner = body if "id" in body else body.get("event", body)
        return self._http.parse(
            Appointment.from_api, inner, action="update the appointment", written=True
        )

    def cancel_appointment(self, event_id: str) -> Appointment:
        return self.update_appointment(event_id, status="cancelled")

    def events(self, calendar_id: str, start: datetime, end: datetime) -> list[Appointment]:
        """Appointments on a calendar between two times, for reconciliation.

        An entry we can't read is logged and skipped rather than failing the whole sweep.
        """
        body = self._get(
            "/calendars/events",
            version=_calendars(),
            action="list appointments",
            params={
                "locationId": self.location_id,
                "calendarId": calendar_id,
                "startTime": _ms(start),
                "endTime": _ms(end),
            },
        )
        items = body.get("events")
        if not isinstance(items, list):
            raise self._http.unexpected("list appointments")
        return self._http.parse_each(Appointment.from_api, items, what="appointment")

    # Contacts and messages

    def find_contact(self, email: str | None = None, phone: str | None = None) -> Contact | None:
        """The location's contact with this e-mail, else with this phone (E.164), else None."""
        if not email and not phone:
            raise ValueError("find_contact needs an e-mail or a phone number")
        searches = [("email", email), ("number", phone)]
        for key, value in searches:
            if not value:
                continue
            body = self._get(
                "/contacts/search/duplicate",
                version=_contacts(),
                action="look up the contact",
                params={"locationId": self.location_id, key: value},
            )
            if body.get("contact"):
                return self._http.parse(
                    Contact.from_api, body["contact"], action="look up the contact"
                )
        return None

    def get_contact(self, contact_id: str) -> Contact | None:
        """The contact with this id, or None when GHL no longer has it (404)."""
        try:
            body = self._get(
                f"/contacts/{_segment(contact_id)}",
                version=_contacts(),
                action="read the contact",
            )
        except ProviderBadRequest as exc:
            if exc.status == 404:
                return None
            raise
        return self._http.parse(Contact.from_api, body.get("contact"), action="read the contact")

    def upsert_contact(
        self,
        *,
        email: str | None = None,
        phone: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        name: str | None = None,
        timezone: str | None = None,
        source: str | None = None,
    ) -> UpsertedContact:
        """Create the contact, or update the one GHL matches by e-mail or phone."""
        if not email and not phone:
            raise ValueError("upsert_contact needs an e-mail or a phone number")
        fields = {
            "email": email,
            "phone": phone,
            "firstName": first_name,
            "lastName": last_name,
            "name": name,
            "timezone": timezone,
            "source": source,
        }
        payload = {"locationId": self.location_id}
        payload.update({key: value for key, value in fields.items() if value})
        # An upsert matches on e-mail/phone, so repeating it can't make a second contact.
        body = self._request(
            "POST",
            "/contacts/upsert",
            version=_contacts(),
            action="save the contact",
            json=payload,
            policy=REPEATABLE_WRITE,
        )
        contact = self._http.parse(Contact.from_api, body.get("contact"), action="save the contact")
        return UpsertedContact(contact=contact, created=body.get("new") is True)

    def send_message(
        self,
        contact_id: str,
        type: str,  # GHL's own name for the channel: "SMS" or "Email"
        message: str,
        subject: str | None = None,
        html: str | None = None,
    ) -> SentMessage:
        """Send an SMS or an e-mail. Never retried once it may have been sent (see module doc)."""
        if type not in MESSAGE_TYPES:
            raise ValueError(f"message type must be one of {MESSAGE_TYPES}")
        payload = {"type": type, "contactId": contact_id, "message": message}
        optional = {"subject": subject, "html": html}
        payload.update({key: value for key, value in optional.items() if value})
        body = self._request(
            "POST",
            "/conversations/messages",
            version=_calendars(),
            action="send the message",
            json=payload,
            policy=ONCE,
        )
        return self._http.parse(SentMessage.from_api, body, action="send the message", written=True)

    # Requests

    def _get(self, path: str, *, version: str, action: str, params=None) -> dict[str, Any]:
        return self._request("GET", path, version=version, action=action, params=params)

    def _request(
        self,
        method: str,
        path: str,
        *,
        version: str,
        action: str,
        policy: Policy = READ,
        params: dict | None = None,
        json: dict | None = None,
    ) -> dict[str, Any]:
        return self._http.request(
            method,
            path,
            action=action,
            policy=policy,
            params=params,
            json=json,
            headers={"Version": version},
        )


def _calendars() -> str:
    return settings.GHL_API_VERSION_CALENDARS


def _contacts() -> str:
    return settings.GHL_API_VERSION_CONTACTS


def _chunks(start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("free_slots needs timezone-aware start and end")
    cursor = start
    while cursor < end:
        chunk_end = min(cursor + MAX_SLOT_RANGE, end)
        yield cursor, chunk_end
        cursor = chunk_end


def _slots_in(body: dict[str, Any]) -> Iterator[FreeSlot]:
    """Slots from ``{"<date>": {"slots": [...]}, "traceId": ...}``; unreadable entries skipped."""
    for key, day in body.items():
        if not isinstance(day, dict) or not isinstance(day.get("slots"), list):
            continue
        for raw in day["slots"]:
            if not isinstance(raw, str):
                continue
            try:
                yield FreeSlot(start=parse_time(raw, field="slot"), raw=raw)
            except ResponseShapeError:
                logger.warning("GHL free slot on %s unreadable, skipped", key)
