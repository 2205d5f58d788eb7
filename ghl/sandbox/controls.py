"""What a test or a demo does to the sandbox location, and what it reads back."""

from __future__ import annotations

from datetime import datetime

from .records import LIVE, MEETING
from .state import GhlState


class Controls:
    """Set-up, scripts of the next booking, and reads, each under the state's lock."""

    state: GhlState

    # Set-up

    def make_free(self, start: datetime, end: datetime | None = None) -> None:
        with self.state.lock:
            self.state.free[start] = end or start + MEETING

    def add_contact(self, *, email="", phone="", first_name="", last_name="") -> dict:
        with self.state.lock:
            return self.state.add_contact(
                email=email, phone=phone, first_name=first_name, last_name=last_name
            )

    def take(self, start: datetime) -> dict:
        """Someone else books ``start`` (through GHL's own booking widget)."""
        with self.state.lock:
            return self.state.take(start)

    # What the next booking does

    def refuse_next_booking(self, status: int, message: str) -> None:
        self._script(("refuse", status, message))

    def lose_next_slot_to_someone_else(self) -> None:
        self._script("taken")

    def unreachable_for_next_booking(self, attempts: int) -> None:
        """Refuse the next ``attempts`` booking requests at connect (a client's every try)."""
        self._script(("unreachable", attempts))

    def time_out_next_booking(self, *, after_booking: bool) -> None:
        self._script("timeout_after" if after_booking else "timeout_before")

    def _script(self, step) -> None:
        with self.state.lock:
            self.state.script.append(step)

    # Reads

    @property
    def contacts(self) -> dict[str, dict]:
        return self.state.contacts

    @property
    def book_requests(self) -> list[dict]:
        return self.state.book_requests

    @property
    def messages(self) -> list[dict]:
        return self.state.messages

    def appointments_of(self, contact_id: str) -> list[dict]:
        with self.state.lock:
            return [a for a in self.state.appointments.values() if a["contactId"] == contact_id]

    def bookings_of_leads(self) -> list[dict]:
        """Live appointments, less those of the someone else who took times."""
        with self.state.lock:
            return [
                a
                for a in self.state.appointments.values()
                if a["contactId"] != self.state.other["id"] and a["appointmentStatus"] in LIVE
            ]

    def take_notices(self) -> list[dict]:
        """GHL's webhooks about appointments since the last call (the test delivers them)."""
        with self.state.lock:
            notices, self.state.notices = self.state.notices, []
        return notices
