"""The ``fake`` calendar: an in-memory test double of the BookingProvider protocol (not of any
HTTP API), registered under the name "fake" for as long as the env lives."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field

from followups.errors import DirectBookingUnavailable, ProviderUnavailable, SlotTaken
from integrations.providers import (
    BookingRef,
    BookingResult,
    ConnectionReport,
    ProviderSpec,
    Slot,
    register,
    unregister,
)

from . import MEETING


@dataclass
class FakeCalendar:
    """The calendar's side: what is free, what is booked, what the next book() does."""

    free: dict = field(default_factory=dict)  # start -> end
    bookings: dict = field(default_factory=dict)  # id -> (lead id, start, end)
    calls: list = field(default_factory=list)  # book() kwargs
    next_book: list = field(default_factory=list)  # scripted outcomes, in order
    connected: bool = True
    link: str | Exception | None = "https://calendar.fake/book"  # None: links are declined
    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: itertools.count = field(default_factory=lambda: itertools.count(1))


class FakeProvider:
    name = "fake"

    def __init__(self, calendar: FakeCalendar):
        self.calendar = calendar

    def available_slots(self, *, start, end, timezone):
        with self.calendar.lock:
            return [
                Slot(start=s, end=e, provider_value=f"fake:{s.isoformat()}")
                for s, e in sorted(self.calendar.free.items())
                if start <= s < end
            ]

    def book(self, *, lead, start, idempotency_key, provider_value=""):
        cal = self.calendar
        with cal.lock:
            cal.calls.append(
                {"lead": lead.pk, "start": start, "key": idempotency_key, "value": provider_value}
            )
            script = cal.next_book.pop(0) if cal.next_book else None
            if isinstance(script, Exception):
                raise script
            if start not in cal.free:
                raise SlotTaken("That time is no longer free.", status=409)
            result = self._book(lead, start)
            if script == "timeout":
                raise ProviderUnavailable("The calendar did not answer.", outcome_unknown=True)
            return result

    def _book(self, lead, start):
        end = self.calendar.free.pop(start)
        booking_id = f"fake-{next(self.calendar.ids)}"
        self.calendar.bookings[booking_id] = (lead.pk, start, end)
        return BookingResult(ref=BookingRef(self.name, booking_id), start=start, end=end)

    def cancel(self, *, ref, reason=""):
        with self.calendar.lock:
            self.calendar.bookings.pop(ref.external_id, None)

    def find_booking(self, *, lead, start=None):
        with self.calendar.lock:
            for booking_id, (lead_id, s, e) in self.calendar.bookings.items():
                if lead_id == lead.pk and (start is None or s == start):
                    return BookingResult(ref=BookingRef(self.name, booking_id), start=s, end=e)
        return None

    def check_connection(self):
        return ConnectionReport(ok=self.calendar.connected, summary="fake calendar")

    def scheduling_link(self, *, lead):
        link = self.calendar.link
        if isinstance(link, Exception):
            raise link
        return link and f"{link}?utm_content={lead.pk}"


class FakeEnv:
    name = FakeProvider.name
    sends_links = True
    keeps_slot_strings = True
    takes_idempotency_key = True
    sends_webhooks = False

    def __init__(self, calendar: FakeCalendar):
        self.calendar = calendar

    @classmethod
    def open(cls, request, workspace) -> FakeEnv:
        calendar = FakeCalendar()
        register(
            ProviderSpec(
                name=FakeProvider.name,
                label="Fake calendar",
                factory=lambda ws: FakeProvider(calendar),
                map_delivery=lambda delivery: "ignored",
                is_connected=lambda ws: calendar.connected,
            )
        )
        return cls(calendar)

    def close(self) -> None:
        unregister(FakeProvider.name)

    def make_free(self, start, end=None):
        with self.calendar.lock:
            self.calendar.free[start] = end or start + MEETING

    def take(self, start):
        with self.calendar.lock:
            self.calendar.free.pop(start, None)
            self.calendar.bookings[f"other-{start.isoformat()}"] = (None, start, start + MEETING)

    def fail_next_book_with(self, exc) -> str:
        self.calendar.next_book.append(exc)
        return exc.safe_message

    def time_out_next_book(self, *, booked: bool):
        timeout = ProviderUnavailable("The calendar did not answer.", outcome_unknown=True)
        self.calendar.next_book.append("timeout" if booked else timeout)

    def refuse_direct_booking(self):
        self.fail_next_book_with(
            DirectBookingUnavailable("This calendar can't book this lead directly.")
        )

    def scheduling_link(self, lead):
        return FakeProvider(self.calendar).scheduling_link(lead=lead)

    def answer_links_with(self, link):
        """What scheduling_link gives from now on: None declines, an exception is raised."""
        self.calendar.link = link

    def slot_string(self, start, *, timezone):
        return f"fake:{start.isoformat()}"

    def booked_count(self):
        return sum(1 for lead_id, _, _ in self.calendar.bookings.values() if lead_id is not None)

    def book_calls(self):
        return len(self.calendar.calls)

    def last_booked_value(self):
        return self.calendar.calls[-1]["value"]

    def last_booked_key(self):
        return self.calendar.calls[-1]["key"]

    def disconnect(self):
        self.calendar.connected = False
