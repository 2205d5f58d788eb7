"""What the sandbox location holds, under one lock (concurrent tests call it from many
threads), and the changes every route and control makes through it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from . import records
from .records import LIVE, LOCATION_ZONE, MEETING, OTHER_PERSON, TOKEN, now_stamp


class GhlState:
    def __init__(self, *, token: str = TOKEN, other: tuple[str, str] = OTHER_PERSON):
        self.lock = threading.RLock()
        self.token = token
        self.free: dict[datetime, datetime] = {}  # start -> end, in UTC
        self.contacts: dict[str, dict] = {}
        self.appointments: dict[str, dict] = {}
        self.book_requests: list[dict] = []  # booking bodies that reached GHL, in order
        self.messages: list[dict] = []  # conversations messages sent
        self.notices: list[dict] = []  # marketplace webhook bodies not delivered yet
        self.script: list[str | tuple] = []  # what the next bookings do
        self.unreachable = 0  # booking requests still to refuse at connect
        other_name, other_email = other
        # Who takes a time through GHL's own booking widget, not one of the test's leads.
        self.other = self.add_contact(email=other_email, first_name=other_name)

    def add_contact(self, **fields) -> dict:
        found = records.contact(**fields)
        self.contacts[found["id"]] = found
        return found

    def find_contact(self, *, email: str = "", phone: str = "") -> dict | None:
        email = email.lower()
        return next(
            (
                c
                for c in self.contacts.values()
                if (email and c["email"].lower() == email) or (phone and c["phone"] == phone)
            ),
            None,
        )

    def book(self, contact_id: str, start_string: str, *, title=None, source="api") -> dict:
        """Book ``start_string`` (a slot string, kept as sent) and keep GHL's webhook about it."""
        start = datetime.fromisoformat(start_string)
        end = self.free.pop(start.astimezone(UTC), start.astimezone(UTC) + MEETING)
        end_string = end.astimezone(start.tzinfo).isoformat(timespec="seconds")
        found = records.appointment(contact_id, start_string, end_string, title)
        self.appointments[found["id"]] = found
        self.notices.append(records.notice("AppointmentCreate", found, source=source))
        return found

    def take(self, start: datetime) -> dict:
        """Someone else books ``start`` through GHL's own booking widget."""
        local = start.astimezone(ZoneInfo(LOCATION_ZONE)).isoformat(timespec="seconds")
        return self.book(self.other["id"], local, source="booking_widget")

    def update(self, found: dict, changes: dict) -> dict:
        """Change an appointment (status, times, title) and keep GHL's update webhook."""
        was_live = found["appointmentStatus"] in LIVE
        found.update(changes, dateUpdated=now_stamp())
        if was_live and found["appointmentStatus"] not in LIVE:  # the time is free again
            start = datetime.fromisoformat(found["startTime"]).astimezone(UTC)
            self.free[start] = datetime.fromisoformat(found["endTime"]).astimezone(UTC)
        self.notices.append(records.notice("AppointmentUpdate", found, source="api"))
        return found

    def delete(self, event_id: str) -> dict | None:
        found = self.appointments.pop(event_id, None)
        if found is not None:
            self.notices.append(records.notice("AppointmentDelete", found, source="api"))
        return found
