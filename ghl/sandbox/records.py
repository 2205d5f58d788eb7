"""The sandbox location, its calendars, and the shapes of GHL's records."""

from __future__ import annotations

import secrets
import string
import uuid
from datetime import UTC, datetime, timedelta

BASE = "https://ghl.test"
TOKEN = "pit-7f3c9a1e-secret-token-value-abcd"
LOCATION = "ve9EPM428h8vShlRW1KT"
LOCATION_NAME = "Acme"
CALENDAR = "sV3BiXrjzbfo1tSUdyHO"
LOCATION_ZONE = "America/New_York"
ASSIGNED_USER = "YlWd2wuCAZQzh2cH1fVZ"
OTHER_PERSON = ("Sam Other", "someone.else@example.com")
MEETING = timedelta(minutes=30)
SLOT_TAKEN = "The slot you have selected is no longer available."
LIVE = frozenset({"new", "confirmed", "showed"})
STATUSES = ("new", "confirmed", "cancelled", "showed", "noshow", "invalid")
MAX_RANGE = timedelta(days=31)
CALENDARS = (
    {
        "id": CALENDAR,
        "name": "Discovery Call",
        "locationId": LOCATION,
        "calendarType": "round_robin",
        "isActive": True,
        "slotDuration": 30,
    },
    {
        "id": "Qm7dKz0aLp2XyB4cN6eR",
        "name": "Old Intro Call",
        "locationId": LOCATION,
        "calendarType": "event",
        "isActive": False,
        "slotDuration": 15,
    },
)
_ID_ALPHABET = string.ascii_letters + string.digits


def ghl_id() -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(20))


def trace_id() -> str:
    return str(uuid.uuid4())


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def now_stamp() -> str:
    return stamp(datetime.now(UTC))


def contact(*, email="", phone="", first_name="", last_name="") -> dict:
    return {
        "id": ghl_id(),
        "locationId": LOCATION,
        "firstName": first_name,
        "lastName": last_name,
        "email": email,
        "phone": phone,
    }


def appointment(contact_id: str, start: str, end: str, title: str | None) -> dict:
    now = now_stamp()
    return {
        "id": ghl_id(),
        "calendarId": CALENDAR,
        "locationId": LOCATION,
        "contactId": contact_id,
        "startTime": start,
        "endTime": end,
        "title": title or "Discovery Call",
        "appointmentStatus": "confirmed",
        "assignedUserId": ASSIGNED_USER,
        "dateAdded": now,
        "dateUpdated": now,
    }


def notice(kind: str, found: dict, *, source: str) -> dict:
    """The marketplace webhook GHL sends about an appointment (``AppointmentCreate`` …)."""
    return {
        "type": kind,
        "locationId": LOCATION,
        "webhookId": trace_id(),
        "timestamp": now_stamp(),
        "appointment": {**found, "source": source, "users": [], "notes": ""},
    }
