"""A GoHighLevel location as its API v2 shows it (/work/shared/ghl-api.md), kept in memory and
served to the real ``ghl.client`` through respx side effects.

One location (America/New_York) with one calendar of 30-minute slots. Free times are what the
test makes free, less what is booked; free-slots answers them keyed by date, each string with the
offset of the zone asked for. Contacts are found by e-mail or phone and upserted; an appointment
is booked only at a free time of a known contact (a taken time answers GHL's 400 "The slot you
have selected is no longer available."); ``GET /calendars/events`` lists them, and messages sent
through conversations are kept. Every call needs the location's bearer token and a ``Version``.

For every appointment made, GHL's own ``AppointmentCreate`` webhook is kept in ``notices`` (the
test delivers it). The next booking can be scripted: refused with a status, taken by someone
else at that moment, unreachable for as long as the client keeps trying, or timed out before or
after GHL recorded it.
"""

from __future__ import annotations

import json
import secrets
import string
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import respx

from ghl.client import MAX_ATTEMPTS, SLOT_TAKEN_TEXT

from . import MEETING, OTHER_PERSON

BASE = "https://ghl.test"
TOKEN = "pit-7f3c9a1e-secret-token-value-abcd"
LOCATION = "ve9EPM428h8vShlRW1KT"  # the ids of tests/fixtures/ghl/
CALENDAR = "sV3BiXrjzbfo1tSUdyHO"
LOCATION_ZONE = "America/New_York"
SLOT_TAKEN = "The slot you have selected is no longer available."
LIVE = frozenset({"new", "confirmed", "showed"})
MAX_RANGE = timedelta(days=31)
CALENDARS = Path(__file__).resolve().parents[2] / "fixtures" / "ghl" / "calendars_response.json"
_ID_ALPHABET = string.ascii_letters + string.digits

assert SLOT_TAKEN_TEXT in SLOT_TAKEN.lower()  # what the client recognises as a taken slot


def ghl_id() -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(20))


def _now() -> datetime:
    return datetime.now(UTC)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _from_ms(value: str) -> datetime:
    return datetime.fromtimestamp(int(value) / 1000, tz=UTC)


def _error(status: int, message: str) -> httpx.Response:
    body = {"statusCode": status, "message": message, "error": "Error", "traceId": ghl_id()}
    return httpx.Response(status, json=body)


def _ok(body: dict) -> httpx.Response:
    return httpx.Response(200, json={**body, "traceId": str(uuid.uuid4())})


class GhlApi:
    """The fake's state (under one lock: concurrent tests call it from many threads) and its
    routes. ``start()`` serves it, ``stop()`` ends the respx mock."""

    def __init__(self):
        self.lock = threading.RLock()
        self.free: dict[datetime, datetime] = {}
        self.contacts: dict[str, dict] = {}
        self.appointments: dict[str, dict] = {}
        self.book_requests: list[dict] = []  # booking bodies that reached GHL, in order
        self.messages: list[dict] = []  # conversations messages sent
        self.notices: list[dict] = []  # AppointmentCreate webhook bodies not delivered yet
        self._script: list[str | tuple] = []  # what the next bookings do
        self._unreachable = 0  # booking requests still to refuse at connect
        other_name, other_email = OTHER_PERSON
        self.other = self.add_contact(email=other_email, first_name=other_name)
        self.router = respx.mock(assert_all_called=False)
        self._add_routes()

    def start(self) -> GhlApi:
        self.router.start()
        return self

    def stop(self) -> None:
        self.router.stop()

    # What the test sets up

    def make_free(self, start: datetime, end: datetime | None = None) -> None:
        with self.lock:
            self.free[start] = end or start + MEETING

    def add_contact(self, *, email="", phone="", first_name="", last_name="") -> dict:
        contact = {
            "id": ghl_id(),
            "locationId": LOCATION,
            "firstName": first_name,
            "lastName": last_name,
            "email": email,
            "phone": phone,
        }
        with self.lock:
            self.contacts[contact["id"]] = contact
        return contact

    def take(self, start: datetime) -> dict:
        """Someone else books ``start`` (through GHL's own booking widget)."""
        with self.lock:
            local = start.astimezone(ZoneInfo(LOCATION_ZONE)).isoformat(timespec="seconds")
            return self._book(self.other["id"], local, source="booking_widget")

    def refuse_next_booking(self, status: int, message: str) -> None:
        with self.lock:
            self._script.append(("refuse", status, message))

    def lose_next_slot_to_someone_else(self) -> None:
        with self.lock:
            self._script.append("taken")

    def unreachable_for_next_booking(self) -> None:
        with self.lock:
            self._script.append("unreachable")

    def time_out_next_booking(self, *, after_booking: bool) -> None:
        with self.lock:
            self._script.append("timeout_after" if after_booking else "timeout_before")

    # What the test reads

    def appointments_of(self, contact_id: str) -> list[dict]:
        with self.lock:
            return [a for a in self.appointments.values() if a["contactId"] == contact_id]

    def bookings_of_leads(self) -> list[dict]:
        """Live appointments, less those of the someone else who took times."""
        with self.lock:
            return [
                a
                for a in self.appointments.values()
                if a["contactId"] != self.other["id"] and a["appointmentStatus"] in LIVE
            ]

    def take_notices(self) -> list[dict]:
        with self.lock:
            notices, self.notices = self.notices, []
        return notices

    # Routes

    def _add_routes(self) -> None:
        r = self.router
        r.get(f"{BASE}/locations/{LOCATION}").mock(side_effect=self._guarded(self._location))
        r.get(f"{BASE}/calendars/").mock(side_effect=self._guarded(self._calendars))
        r.get(url__regex=rf"^{BASE}/calendars/(?P<calendar_id>[^/?]+)/free-slots").mock(
            side_effect=self._guarded(self._free_slots)
        )
        r.get(f"{BASE}/calendars/events").mock(side_effect=self._guarded(self._events))
        r.post(f"{BASE}/calendars/events/appointments").mock(side_effect=self._booking)
        r.get(f"{BASE}/contacts/search/duplicate").mock(side_effect=self._guarded(self._duplicate))
        r.post(f"{BASE}/contacts/upsert").mock(side_effect=self._guarded(self._upsert))
        r.get(url__regex=rf"^{BASE}/contacts/(?P<contact_id>[A-Za-z0-9]+)$").mock(
            side_effect=self._guarded(self._contact)
        )
        r.post(f"{BASE}/conversations/messages").mock(side_effect=self._guarded(self._message))

    def _guarded(self, handler):
        def serve(request: httpx.Request, **kwargs) -> httpx.Response:
            refused = self._refusal(request)
            if refused is not None:
                return refused
            with self.lock:
                return handler(request, **kwargs)

        return serve

    def _refusal(self, request: httpx.Request) -> httpx.Response | None:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return _error(401, "Invalid JWT")
        if not request.headers.get("Version"):
            return _error(400, "version header was not found")
        return None

    def _location(self, request):
        return _ok({"location": {"id": LOCATION, "name": "Acme", "timezone": LOCATION_ZONE}})

    def _calendars(self, request):
        if request.url.params.get("locationId") != LOCATION:
            return _error(403, "The token does not have access to this location")
        return _ok(json.loads(CALENDARS.read_text()))

    def _free_slots(self, request, calendar_id):
        if calendar_id != CALENDAR:
            return _error(404, "Calendar not found")
        params = request.url.params
        start, end = _from_ms(params["startDate"]), _from_ms(params["endDate"])
        if end - start > MAX_RANGE:
            return _error(422, "The date range should be less than or equal to 31 days")
        zone = ZoneInfo(params.get("timezone") or LOCATION_ZONE)
        days: dict[str, dict] = {}
        for moment in sorted(self.free):
            if start <= moment < end and moment >= _now():
                local = moment.astimezone(zone)
                day = days.setdefault(local.date().isoformat(), {"slots": []})
                day["slots"].append(local.isoformat(timespec="seconds"))
        return _ok(days)

    def _events(self, request):
        params = request.url.params
        if params.get("locationId") != LOCATION or params.get("calendarId") != CALENDAR:
            return _error(422, "locationId and calendarId are required")
        start, end = _from_ms(params["startTime"]), _from_ms(params["endTime"])
        events = [
            appointment
            for appointment in self.appointments.values()
            if start <= datetime.fromisoformat(appointment["startTime"]) < end
        ]
        return _ok({"events": events})

    def _booking(self, request: httpx.Request) -> httpx.Response:
        refused = self._refusal(request)
        if refused is not None:
            return refused
        with self.lock:
            if self._unreachable:
                self._unreachable -= 1
                raise httpx.ConnectError("Connection refused", request=request)
            script = self._script.pop(0) if self._script else None
            if script == "unreachable":
                # Refused at connect: nothing reached GHL; the client tries MAX_ATTEMPTS times.
                self._unreachable = MAX_ATTEMPTS - 1
                raise httpx.ConnectError("Connection refused", request=request)
            body = json.loads(request.content)
            self.book_requests.append(body)
            if isinstance(script, tuple):
                _, status, message = script
                return _error(status, message)
            if script == "timeout_before":
                raise httpx.ReadTimeout("GHL did not answer", request=request)
            if script == "taken":
                self.take(datetime.fromisoformat(body.get("startTime", "")).astimezone(UTC))
            answer = self._create_appointment(body)
            if script == "timeout_after":
                raise httpx.ReadTimeout("GHL did not answer", request=request)
            return answer

    def _create_appointment(self, body: dict) -> httpx.Response:
        if body.get("calendarId") != CALENDAR or body.get("locationId") != LOCATION:
            return _error(422, "calendarId and locationId must be this location's")
        if body.get("contactId") not in self.contacts:
            return _error(422, "contactId is not a contact of this location")
        try:
            start = datetime.fromisoformat(body.get("startTime", ""))
        except ValueError:
            return _error(422, "startTime must be an ISO 8601 time")
        if start.tzinfo is None:
            return _error(422, "startTime must carry its offset")
        if start.astimezone(UTC) not in self.free:
            return _error(400, SLOT_TAKEN)
        appointment = self._book(body["contactId"], body["startTime"], title=body.get("title"))
        return httpx.Response(201, json=appointment)

    def _book(self, contact_id: str, start_string: str, *, title=None, source="api") -> dict:
        start = datetime.fromisoformat(start_string)
        end = self.free.pop(start.astimezone(UTC), start.astimezone(UTC) + MEETING)
        now = _stamp(_now())
        appointment = {
            "id": ghl_id(),
            "calendarId": CALENDAR,
            "locationId": LOCATION,
            "contactId": contact_id,
            "startTime": start_string,
            "endTime": end.astimezone(start.tzinfo).isoformat(timespec="seconds"),
            "title": title or "Discovery Call",
            "appointmentStatus": "confirmed",
            "assignedUserId": "YlWd2wuCAZQzh2cH1fVZ",
            "dateAdded": now,
            "dateUpdated": now,
        }
        self.appointments[appointment["id"]] = appointment
        self.notices.append(
            {
                "type": "AppointmentCreate",
                "locationId": LOCATION,
                "webhookId": str(uuid.uuid4()),
                "timestamp": now,
                "appointment": {**appointment, "source": source, "users": [], "notes": ""},
            }
        )
        return appointment

    def _duplicate(self, request):
        params = request.url.params
        if params.get("locationId") != LOCATION:
            return _error(403, "The token does not have access to this location")
        email, number = params.get("email", "").lower(), params.get("number", "")
        found = next(
            (
                c
                for c in self.contacts.values()
                if (email and c["email"].lower() == email) or (number and c["phone"] == number)
            ),
            None,
        )
        return _ok({"contact": found})

    def _upsert(self, request):
        body = json.loads(request.content)
        email, phone = (body.get("email") or "").lower(), body.get("phone") or ""
        found = next(
            (
                c
                for c in self.contacts.values()
                if (email and c["email"].lower() == email) or (phone and c["phone"] == phone)
            ),
            None,
        )
        fields = {
            key: body[key]
            for key in ("firstName", "lastName", "email", "phone", "timezone", "source")
            if body.get(key)
        }
        if found is not None:
            found.update(fields)
            return _ok({"new": False, "contact": found})
        contact = self.add_contact()
        contact.update(fields)
        return _ok({"new": True, "contact": contact})

    def _contact(self, request, contact_id):
        contact = self.contacts.get(contact_id)
        if contact is None:
            return _error(404, "Contact not found")
        return _ok({"contact": contact})

    def _message(self, request):
        body = json.loads(request.content)
        if body.get("contactId") not in self.contacts:
            return _error(422, "contactId is not a contact of this location")
        self.messages.append(body)
        return httpx.Response(
            200, json={"conversationId": ghl_id(), "messageId": ghl_id(), "msg": "Message queued"}
        )
