"""GoHighLevel API v2 endpoints, as plain functions of the state and a call.

``dispatch`` checks the bearer token and the ``Version`` header, finds the route and answers
``(status, body)``; the transport (``mock``) turns that into an HTTP answer. The next booking
may be scripted (``controls``): refused with a status, taken by someone else at that moment,
unreachable, or timed out before or after GHL recorded it; the last two raise ``Unreachable``
and ``NoAnswer`` for the transport to play.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from .records import (
    CALENDAR,
    CALENDARS,
    LOCATION,
    LOCATION_NAME,
    LOCATION_ZONE,
    MAX_RANGE,
    SLOT_TAKEN,
    STATUSES,
    ghl_id,
    trace_id,
)
from .state import GhlState


class Unreachable(Exception):
    """Refused at connect: nothing reached GHL."""


class NoAnswer(Exception):
    """GHL did not answer in time (it may or may not have done the work)."""


@dataclass
class Call:
    method: str
    path: str
    params: Mapping[str, str]
    body: Any
    headers: Mapping[str, str]


Answer = tuple[int, dict]
ROUTES: list[tuple[str, re.Pattern, Callable[..., Answer]]] = []


def route(method: str, pattern: str):
    def add(handler):
        ROUTES.append((method, re.compile(pattern), handler))
        return handler

    return add


def error(status: int, message: str) -> Answer:
    return status, {"statusCode": status, "message": message, "error": "Error", "traceId": ghl_id()}


def ok(body: dict, status: int = 200) -> Answer:
    return status, {**body, "traceId": trace_id()}


def dispatch(state: GhlState, call: Call) -> Answer:
    if call.headers.get("Authorization") != f"Bearer {state.token}":
        return error(401, "Invalid JWT")
    if not call.headers.get("Version"):
        return error(400, "version header was not found")
    for method, pattern, handler in ROUTES:
        match = pattern.fullmatch(call.path.rstrip("/") or "/")
        if match and method == call.method:
            with state.lock:
                return handler(state, call, *match.groups())
    return error(404, f"Cannot {call.method} {call.path}")


def _from_ms(value: Any) -> datetime:
    return datetime.fromtimestamp(int(value) / 1000, tz=UTC)


def _range(params: Mapping[str, str], start_key: str, end_key: str):
    """(start, end) from epoch milliseconds, or None when either is missing or not a number."""
    try:
        return _from_ms(params[start_key]), _from_ms(params[end_key])
    except (KeyError, ValueError, OverflowError, OSError):
        return None


# Locations and calendars


@route("GET", r"/locations/([^/]+)")
def location(state: GhlState, call: Call, location_id: str) -> Answer:
    if location_id != LOCATION:
        return error(403, "The token does not have access to this location")
    return ok({"location": {"id": LOCATION, "name": LOCATION_NAME, "timezone": LOCATION_ZONE}})


@route("GET", r"/calendars")
def calendars(state: GhlState, call: Call) -> Answer:
    if call.params.get("locationId") != LOCATION:
        return error(403, "The token does not have access to this location")
    return ok({"calendars": [dict(calendar) for calendar in CALENDARS]})


@route("GET", r"/calendars/([^/]+)/free-slots")
def free_slots(state: GhlState, call: Call, calendar_id: str) -> Answer:
    if calendar_id != CALENDAR:
        return error(404, "Calendar not found")
    found = _range(call.params, "startDate", "endDate")
    if found is None:
        return error(422, "startDate and endDate are required, in epoch milliseconds")
    start, end = found
    if end - start > MAX_RANGE:
        return error(422, "The date range should be less than or equal to 31 days")
    try:
        zone = ZoneInfo(call.params.get("timezone") or LOCATION_ZONE)
    except (ValueError, KeyError):
        return error(422, "timezone is not a valid IANA time zone")
    now = datetime.now(UTC)
    days: dict[str, dict] = {}
    for moment in sorted(state.free):
        if start <= moment < end and moment >= now:
            local = moment.astimezone(zone)
            day = days.setdefault(local.date().isoformat(), {"slots": []})
            day["slots"].append(local.isoformat(timespec="seconds"))
    return ok(days)


# Appointments


@route("GET", r"/calendars/events")
def events(state: GhlState, call: Call) -> Answer:
    params = call.params
    if params.get("locationId") != LOCATION or params.get("calendarId") != CALENDAR:
        return error(422, "locationId and calendarId are required")
    window = _range(params, "startTime", "endTime")
    if window is None:
        return error(422, "startTime and endTime are required, in epoch milliseconds")
    start, end = window
    found = [
        appointment
        for appointment in state.appointments.values()
        if start <= datetime.fromisoformat(appointment["startTime"]) < end
    ]
    return ok({"events": found})


@route("POST", r"/calendars/events/appointments")
def create_appointment(state: GhlState, call: Call) -> Answer:
    if state.unreachable:
        state.unreachable -= 1
        raise Unreachable
    script = state.script.pop(0) if state.script else None
    if isinstance(script, tuple) and script[0] == "unreachable":
        state.unreachable = script[1] - 1  # the client's further attempts are refused too
        raise Unreachable
    body = call.body if isinstance(call.body, dict) else {}
    state.book_requests.append(body)
    if isinstance(script, tuple):
        _, status, message = script
        return error(status, message)
    if script == "timeout_before":
        raise NoAnswer
    if script == "taken":
        start = _start_of(body)
        if start is not None:
            state.take(start)
    answer = _book(state, body)
    if script == "timeout_after":
        raise NoAnswer
    return answer


def _start_of(body: dict) -> datetime | None:
    try:
        start = datetime.fromisoformat(str(body.get("startTime", "")))
    except ValueError:
        return None
    return start if start.tzinfo is not None else None


def _book(state: GhlState, body: dict) -> Answer:
    if body.get("calendarId") != CALENDAR or body.get("locationId") != LOCATION:
        return error(422, "calendarId and locationId must be this location's")
    if body.get("contactId") not in state.contacts:
        return error(422, "contactId is not a contact of this location")
    if not isinstance(body.get("startTime"), str) or _start_of(body) is None:
        return error(422, "startTime must be an ISO 8601 time with its offset")
    if body.get("appointmentStatus", "confirmed") not in ("confirmed", "new"):
        return error(422, "appointmentStatus must be confirmed or new")
    if _start_of(body).astimezone(UTC) not in state.free:
        return error(400, SLOT_TAKEN)
    found = state.book(body["contactId"], body["startTime"], title=body.get("title"))
    return 201, dict(found)  # flat, no wrapper and no traceId, as GHL answers this one


@route("GET", r"/calendars/events/appointments/([^/]+)")
def get_appointment(state: GhlState, call: Call, event_id: str) -> Answer:
    found = state.appointments.get(event_id)
    if found is None:
        return error(404, "Appointment not found")
    return ok({"event": dict(found)})  # "event", not "appointment"


@route("PUT", r"/calendars/events/appointments/([^/]+)")
def update_appointment(state: GhlState, call: Call, event_id: str) -> Answer:
    found = state.appointments.get(event_id)
    if found is None:
        return error(404, "Appointment not found")
    body = call.body if isinstance(call.body, dict) else {}
    changes = {key: body[key] for key in UPDATABLE if key in body}
    if not changes:
        return error(422, f"Nothing to update: send one of {', '.join(UPDATABLE)}")
    if changes.get("appointmentStatus", found["appointmentStatus"]) not in STATUSES:
        return error(422, f"appointmentStatus must be one of {', '.join(STATUSES)}")
    return 200, dict(state.update(found, changes))


@route("DELETE", r"/calendars/events/([^/]+)")
def delete_event(state: GhlState, call: Call, event_id: str) -> Answer:
    if state.delete(event_id) is None:
        return error(404, "Event not found")
    return 201, {"succeeded": True}


# Contacts and messages


@route("GET", r"/contacts/search/duplicate")
def duplicate(state: GhlState, call: Call) -> Answer:
    params = call.params
    if params.get("locationId") != LOCATION:
        return error(403, "The token does not have access to this location")
    found = state.find_contact(email=params.get("email", ""), phone=params.get("number", ""))
    return ok({"contact": found})


@route("POST", r"/contacts/upsert")
def upsert(state: GhlState, call: Call) -> Answer:
    body = call.body if isinstance(call.body, dict) else {}
    if body.get("locationId") != LOCATION:
        return error(422, "locationId must be this location's")
    found = state.find_contact(email=body.get("email") or "", phone=body.get("phone") or "")
    fields = {key: body[key] for key in CONTACT_FIELDS if body.get(key)}
    if found is not None:
        found.update(fields)
        return ok({"new": False, "contact": found})
    contact = state.add_contact()
    contact.update(fields)
    return ok({"new": True, "contact": contact})


@route("GET", r"/contacts/([A-Za-z0-9]+)")
def contact(state: GhlState, call: Call, contact_id: str) -> Answer:
    found = state.contacts.get(contact_id)
    if found is None:
        return error(404, "Contact not found")
    return ok({"contact": found})


@route("POST", r"/conversations/messages")
def message(state: GhlState, call: Call) -> Answer:
    body = call.body if isinstance(call.body, dict) else {}
    if body.get("type") not in ("SMS", "Email"):
        return error(422, "type must be SMS or Email")
    if body.get("contactId") not in state.contacts:
        return error(422, "contactId is not a contact of this location")
    state.messages.append(body)
    return 200, {"conversationId": ghl_id(), "messageId": ghl_id(), "msg": "Message queued"}


UPDATABLE = ("appointmentStatus", "startTime", "endTime", "title", "assignedUserId", "calendarId")
CONTACT_FIELDS = ("firstName", "lastName", "email", "phone", "timezone", "source")
