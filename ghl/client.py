"""The GoHighLevel API v2 client: one location, one token, typed answers, errors as types.

Every call carries the ``Version`` header GHL wants for its area (calendars and conversations
vs contacts and locations, both from settings). Failures become ``followups.errors`` types
with safe messages; the token never appears in a message, a detail or a log line.

Retries: a 429 is retried after ``Retry-After`` (plus jitter) while it fits a small budget, then
raised as ``ProviderRateLimited``. A 5xx or a network failure is retried with exponential
back-off for calls that are safe to repeat (GET, PUT, the contact upsert). Booking and sending a
message are not: once such a request may have reached GHL, a 5xx or a timeout raises
``ProviderUnavailable(outcome_unknown=True)`` and the caller looks the result up instead of
sending it twice.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
from django.conf import settings

from followups.errors import (
    ProviderAuthError,
    ProviderBadRequest,
    ProviderError,
    ProviderPermissionError,
    ProviderRateLimited,
    ProviderUnavailable,
    SlotTaken,
)

from .types import (
    Appointment,
    Calendar,
    Contact,
    FreeSlot,
    Location,
    ResponseShapeError,
    SentMessage,
    UpsertedContact,
    parse_time,
)

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(20.0, connect=5.0)
MAX_ATTEMPTS = 3  # per call, counting the first
MAX_RETRY_AFTER = 10.0  # seconds; a longer Retry-After is handed to the caller, not slept
SLEEP_BUDGET = 20.0  # seconds slept per call, in total
BACKOFF_BASE = 0.5
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


@dataclass(frozen=True)
class _Call:
    method: str
    path: str
    action: str
    repeatable: bool
    last: bool
    attempt: int


# Raised before a byte left this machine: safe to try again even for a booking.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def _ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("GHL times must be timezone-aware")
    return int(moment.timestamp() * 1000)


def _segment(value: str) -> str:
    """An id as one URL path segment, so an id from a webhook can't walk to another endpoint."""
    if not value:
        raise ValueError("an id is required")
    return quote(value, safe="")


def _retry_after(response: httpx.Response) -> float | None:
    try:
        seconds = float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


class GhlClient:
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
        self._token = token
        self.location_id = location_id
        self._sleep = sleep
        self._http = httpx.Client(
            base_url=(base_url or settings.GHL_API_BASE).rstrip("/"),
            timeout=timeout,
            transport=transport,
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/json",
            },
        )

    def __repr__(self) -> str:
        return f"<GhlClient location={self.location_id}>"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GhlClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # Locations and calendars

    def location(self) -> Location:
        body = self._get(
            f"/locations/{_segment(self.location_id)}",
            version=_contacts(),
            action="read the location",
        )
        inner = body.get("location", body)
        return self._parse(Location.from_api, inner, action="read the location")

    def calendars(self) -> list[Calendar]:
        body = self._get(
            "/calendars/",
            version=_calendars(),
            action="list calendars",
            params={"locationId": self.location_id},
        )
        items = body.get("calendars")
        if not isinstance(items, list):
            raise _unexpected("list calendars")
        return [self._parse(Calendar.from_api, item, action="list calendars") for item in items]

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
            repeatable=False,
        )
        return self._parse(Appointment.from_api, body, action="book the appointment", written=True)

    def get_appointment(self, event_id: str) -> Appointment:
        body = self._get(
            f"/calendars/events/appointments/{_segment(event_id)}",
            version=_calendars(),
            action="read the appointment",
        )
        # GHL wraps this one in "event", not "appointment".
        return self._parse(Appointment.from_api, body.get("event"), action="read the appointment")

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
            repeatable=True,
        )
        inner = body if "id" in body else body.get("event", body)
        return self._parse(
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
            raise _unexpected("list appointments")
        found = []
        for item in items:
            try:
                found.append(Appointment.from_api(item))
            except ResponseShapeError as exc:
                logger.warning("GHL event skipped in calendar %s: %s", calendar_id, exc)
        return found

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
                return self._parse(Contact.from_api, body["contact"], action="look up the contact")
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
        return self._parse(Contact.from_api, body.get("contact"), action="read the contact")

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
            repeatable=True,
        )
        contact = self._parse(Contact.from_api, body.get("contact"), action="save the contact")
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
            repeatable=False,
        )
        return self._parse(SentMessage.from_api, body, action="send the message", written=True)

    # Transport

    def _get(self, path: str, *, version: str, action: str, params=None) -> dict[str, Any]:
        return self._request(
            "GET", path, version=version, action=action, params=params, repeatable=True
        )

    def _request(
        self,
        method: str,
        path: str,
        *,
        version: str,
        action: str,
        repeatable: bool,
        params: dict | None = None,
        json: dict | None = None,
    ) -> dict[str, Any]:
        slept = 0.0
        for attempt in range(1, MAX_ATTEMPTS + 1):
            last = attempt == MAX_ATTEMPTS
            call = _Call(method, path, action, repeatable, last, attempt)
            try:
                response = self._http.request(
                    method, path, params=params, json=json, headers={"Version": version}
                )
            except httpx.TransportError as exc:
                wait, detail = self._after_transport_error(call, exc)
            else:
                if response.status_code < 400:
                    return self._json(response, method=method, action=action)
                wait, detail = self._after_error_status(call, response, slept)
            slept = self._pause(wait, slept, action, detail)
        raise AssertionError("unreachable")  # pragma: no cover

    def _after_transport_error(self, call: _Call, exc: httpx.TransportError) -> tuple[float, str]:
        """Seconds to wait before trying again, or the error to raise instead."""
        reached = not isinstance(exc, _NOT_SENT)
        detail = f"{call.method} {call.path}: {type(exc).__name__}"
        if reached and not call.repeatable:
            raise self._unavailable(call.action, detail, outcome_unknown=True)
        if call.last:
            unknown = reached and call.method != "GET"
            raise self._unavailable(call.action, detail, outcome_unknown=unknown)
        return _backoff(call.attempt), detail

    def _after_error_status(
        self, call: _Call, response: httpx.Response, slept: float
    ) -> tuple[float, str]:
        """Seconds to wait before trying again, or the error to raise instead."""
        status = response.status_code
        detail = self._detail(call.method, call.path, response)
        if status == 429:
            return self._after_rate_limit(call, response, slept, detail), detail
        if status < 500:
            raise self._client_error(response, call.action, detail)
        if not call.repeatable:
            raise self._unavailable(call.action, detail, outcome_unknown=True, status=status)
        if call.last:
            unknown = call.method != "GET"
            raise self._unavailable(call.action, detail, outcome_unknown=unknown, status=status)
        return _backoff(call.attempt), detail

    def _after_rate_limit(
        self, call: _Call, response: httpx.Response, slept: float, detail: str
    ) -> float:
        # GHL refused the request outright, so even a booking is safe to send again.
        retry_after = _retry_after(response)
        if retry_after is None:
            wait = _backoff(call.attempt)
        else:
            wait = retry_after + random.uniform(0, BACKOFF_BASE)
        too_long = retry_after is not None and retry_after > MAX_RETRY_AFTER
        if call.last or too_long or not self._fits(wait, slept):
            raise ProviderRateLimited(
                "GoHighLevel is rate-limiting this location; try again shortly.",
                retry_after=retry_after,
                status=429,
                detail=detail,
            )
        return wait

    def _fits(self, wait: float, slept: float) -> bool:
        return slept + wait <= SLEEP_BUDGET

    def _pause(self, wait: float, slept: float, action: str, detail: str) -> float:
        if not self._fits(wait, slept):
            raise self._unavailable(action, f"{detail} (retry budget spent)")
        logger.warning("GHL retry in %.1fs to %s: %s", wait, action, detail)
        self._sleep(wait)
        return slept + wait

    def _json(self, response: httpx.Response, *, method: str, action: str) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise _unexpected(action, written=method != "GET")
        return body

    def _parse(self, parser: Callable[[Any], Any], data: Any, *, action: str, written=False):
        try:
            return parser(data)
        except ResponseShapeError as exc:
            logger.error("GHL answer to %s unreadable: %s", action, exc)
            raise _unexpected(action, written=written) from None

    def _client_error(self, response: httpx.Response, action: str, detail: str) -> ProviderError:
        status = response.status_code
        message = self._scrub(_error_text(response))
        if status == 401:
            return ProviderAuthError(
                "GoHighLevel rejected the token (revoked, expired or mistyped): "
                "reconnect GoHighLevel on the Integrations tab.",
                status=status,
                detail=detail,
            )
        if status == 403:
            return ProviderPermissionError(
                f"GoHighLevel did not allow us to {action}: check the token's scopes and "
                "that it belongs to this location.",
                status=status,
                detail=detail,
            )
        if status == 400 and SLOT_TAKEN_TEXT in message.lower():
            return SlotTaken(
                "That time was just taken at GoHighLevel; pick another slot.",
                status=status,
                detail=detail,
            )
        reason = f": {message}" if message else f" (HTTP {status})"
        return ProviderBadRequest(
            f"GoHighLevel refused to {action}{reason}", status=status, detail=detail
        )

    def _unavailable(
        self, action: str, detail: str, *, outcome_unknown: bool = False, status=None
    ) -> ProviderUnavailable:
        if outcome_unknown:
            text = (
                f"GoHighLevel failed or timed out while asked to {action}; it may or may not "
                "have happened there. Check before trying again."
            )
        else:
            text = f"GoHighLevel is not answering, so we could not {action}; try again later."
        return ProviderUnavailable(
            text, outcome_unknown=outcome_unknown, status=status, detail=self._scrub(detail)
        )

    def _detail(self, method: str, path: str, response: httpx.Response) -> str:
        trace = ""
        try:
            body = response.json()
            if isinstance(body, dict) and body.get("traceId"):
                trace = f" trace={body['traceId']}"
        except ValueError:
            pass
        text = _error_text(response)
        return self._scrub(f"{method} {path} -> {response.status_code}{trace}: {text}")

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "[token]") if self._token else text


def _calendars() -> str:
    return settings.GHL_API_VERSION_CALENDARS


def _contacts() -> str:
    return settings.GHL_API_VERSION_CONTACTS


def _backoff(attempt: int) -> float:
    return BACKOFF_BASE * 2 ** (attempt - 1) + random.uniform(0, BACKOFF_BASE)


def _unexpected(action: str, *, written: bool = False) -> ProviderUnavailable:
    """A 2xx we can't read. After a write, what happened at GHL is unknown."""
    return ProviderUnavailable(
        f"GoHighLevel sent an answer we could not read when asked to {action}.",
        outcome_unknown=written,
    )


def _error_text(response: httpx.Response) -> str:
    """GHL's ``message`` (a string or a list of strings), shortened; never the raw body."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    message = body.get("message")
    if isinstance(message, list):
        message = "; ".join(str(item) for item in message if isinstance(item, str | int | float))
    if not isinstance(message, str):
        message = body.get("error") if isinstance(body.get("error"), str) else ""
    message = " ".join(message.split())
    return message[:300]


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
