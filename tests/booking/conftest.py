"""Auto-booking test set-up.

Every auto-book test reaches the calendar through ONE fixture, ``booking_provider_env``, which
yields an object with this interface (``ProviderEnv``). Today it is backed by an in-memory fake
provider registered under the name "fake"; the GHL and Calendly work adds respx-backed variants
of the same fixture (parametrise it) and the same tests run against their real providers.

    env.name                       provider name the workspace uses (Appointment.provider)
    env.make_free(start, end=None) the calendar has this time free
    env.take(start)                someone else booked it: not free, and booking it is refused
    env.fail_next_book_with(exc)   the next book() raises exc (a ProviderError) and books nothing
    env.time_out_next_book(booked) the next book() times out (outcome unknown); with booked=True
                                   the booking exists at the calendar all the same
    env.refuse_direct_booking()    the next book() says "send a link instead"
    env.scheduling_link(lead)      the link such a lead is sent
    env.booked_count()             bookings made at the calendar
    env.book_calls()               calls to book(), successful or not
    env.disconnect()               the workspace's connection stops working
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
import time_machine

from booking.models import InboundMessage, Offer
from booking.offers import Candidate, lead_zone, store_offer
from integrations.errors import DirectBookingUnavailable, ProviderUnavailable, SlotTaken
from integrations.providers import (
    BookingRef,
    BookingResult,
    ConnectionReport,
    ProviderSpec,
    Slot,
    register,
    unregister,
)

# Friday 29 Nov 2030, 07:00 in New York (EST, UTC-5), 06:00 in Chicago (CST, UTC-6).
NOW = dt.datetime(2030, 11, 29, 12, 0, tzinfo=dt.UTC)
MON_10_EST = dt.datetime(2030, 12, 2, 15, 0, tzinfo=dt.UTC)  # 9:00 AM CST for the lead
TUE_11_EST = dt.datetime(2030, 12, 3, 16, 0, tzinfo=dt.UTC)  # 10:00 AM CST
WED_2PM_EST = dt.datetime(2030, 12, 4, 19, 0, tzinfo=dt.UTC)  # 1:00 PM CST
OFFERED = (MON_10_EST, TUE_11_EST, WED_2PM_EST)
MEETING = dt.timedelta(minutes=30)


@dataclass(frozen=True)
class FakeSlot(Slot):
    provider_value: str = ""


@dataclass
class FakeCalendar:
    """The calendar's side: what is free, what is booked, what the next book() does."""

    free: dict = field(default_factory=dict)  # start -> end
    bookings: dict = field(default_factory=dict)  # id -> (lead id, start, end)
    calls: list = field(default_factory=list)  # book() kwargs
    next_book: list = field(default_factory=list)  # scripted outcomes, in order
    connected: bool = True
    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: itertools.count = field(default_factory=lambda: itertools.count(1))


class FakeProvider:
    """A test double of the BookingProvider protocol (not of any HTTP API)."""

    name = "fake"

    def __init__(self, calendar: FakeCalendar):
        self.calendar = calendar

    def available_slots(self, *, start, end, timezone):
        with self.calendar.lock:
            return [
                FakeSlot(start=s, end=e, provider_value=f"fake:{s.isoformat()}")
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
        return f"https://calendar.fake/book?utm_content={lead.pk}"


class FakeProviderEnv:
    name = FakeProvider.name

    def __init__(self, calendar: FakeCalendar):
        self.calendar = calendar

    def make_free(self, start, end=None):
        with self.calendar.lock:
            self.calendar.free[start] = end or start + MEETING

    def take(self, start):
        with self.calendar.lock:
            self.calendar.free.pop(start, None)
            self.calendar.bookings[f"other-{start.isoformat()}"] = (None, start, start + MEETING)

    def fail_next_book_with(self, exc):
        self.calendar.next_book.append(exc)

    def time_out_next_book(self, *, booked: bool):
        timeout = ProviderUnavailable("The calendar did not answer.", outcome_unknown=True)
        self.calendar.next_book.append("timeout" if booked else timeout)

    def refuse_direct_booking(self):
        self.fail_next_book_with(
            DirectBookingUnavailable("This calendar can't book this lead directly.")
        )

    def scheduling_link(self, lead):
        return FakeProvider(self.calendar).scheduling_link(lead=lead)

    def booked_count(self):
        return sum(1 for lead_id, _, _ in self.calendar.bookings.values() if lead_id is not None)

    def book_calls(self):
        return len(self.calendar.calls)

    def disconnect(self):
        self.calendar.connected = False


@pytest.fixture
def booking_provider_env(workspace):
    """The workspace books through a calendar the test controls (see the module docstring)."""
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
    workspace.booking_provider = FakeProvider.name
    workspace.auto_book_enabled = True
    workspace.save()
    yield FakeProviderEnv(calendar)
    unregister(FakeProvider.name)


@pytest.fixture
def frozen_now():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def offer(lead, booking_provider_env, frozen_now) -> Offer:
    """An open offer of three free times (Mon 9 AM, Tue 10 AM, Wed 1 PM, Chicago time)."""
    for start in OFFERED:
        booking_provider_env.make_free(start)
    return make_offer(lead, *OFFERED)


def make_offer(lead, *starts, kind=Offer.Kind.STANDARD) -> Offer:
    candidates = [Candidate(start=s, end=s + MEETING, provider_value=f"fake:{s}") for s in starts]
    return store_offer(lead=lead, candidates=candidates, zone=lead_zone(lead), kind=kind)


def reply(lead, body, *, channel="sms", received_at=NOW, message_id="") -> InboundMessage:
    """A stored reply, without enqueueing auto_book (tests run it themselves)."""
    return InboundMessage.objects.create(
        workspace=lead.workspace,
        lead=lead,
        channel=channel,
        body=body,
        received_at=received_at,
        provider_message_id=message_id,
    )


class FollowupCalls:
    """What booking asked of the follow-up engine (its services' contract), in order."""

    def __init__(self):
        self.tasks: list[SimpleNamespace] = []
        self.sent: list[SimpleNamespace] = []


_calls = FollowupCalls()


@pytest.fixture
def followup_calls(monkeypatch) -> FollowupCalls:
    """Records every open_task / queue_message call and lets it through to the engine."""
    from followups import services

    global _calls
    _calls = FollowupCalls()
    real_open_task, real_queue_message = services.open_task, services.queue_message

    def open_task(**kwargs):
        _calls.tasks.append(SimpleNamespace(**kwargs))
        return real_open_task(**kwargs)

    def queue_message(**kwargs):
        _calls.sent.append(SimpleNamespace(**kwargs))
        return real_queue_message(**kwargs)

    monkeypatch.setattr(services, "open_task", open_task)
    monkeypatch.setattr(services, "queue_message", queue_message)
    return _calls


def blocked_tasks(lead) -> list[SimpleNamespace]:
    """The auto_book_blocked tasks opened for the lead (one per dedupe key), with title/detail."""
    seen, tasks = set(), []
    for task in _calls.tasks:
        if task.lead.pk != lead.pk or task.kind != "auto_book_blocked":
            continue
        if task.dedupe_key not in seen:
            seen.add(task.dedupe_key)
            tasks.append(task)
    return tasks


def messages_to(lead) -> list[str]:
    """Bodies queued to the lead, oldest first."""
    return [m.body for m in _calls.sent if m.lead.pk == lead.pk]
