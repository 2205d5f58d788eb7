"""Auto-booking test set-up.

Every auto-book test reaches the calendar through ONE fixture, ``booking_provider_env``, which
yields an object with this interface, and runs once per calendar of ``tests/booking/envs``:
``fake`` (an in-memory double of the provider protocol), ``ghl`` (the real GhlProvider against
a stateful fake of GHL's API) and ``calendly`` (the real CalendlyProvider against the sandbox).
A test that needs what only some calendars do says so with ``envs.for_providers_that(...)``.

    env.name                       provider name the workspace uses (Appointment.provider)
    env.make_free(start, end=None) the calendar has this time free
    env.take(start)                someone else booked it: not free, and booking it is refused
    env.fail_next_book_with(exc)   the next book() raises exc's kind (a ProviderError) and books
                                   nothing; returns the words of the calendar's refusal
    env.time_out_next_book(booked) the next book() times out (outcome unknown); with booked=True
                                   the booking exists at the calendar all the same
    env.refuse_direct_booking()    book() says "send a link instead"           (sends_links)
    env.scheduling_link(lead)      the link such a lead is sent                 (sends_links)
    env.slot_string(start, timezone=...) the calendar's own string for a time   (keeps_slot_strings)
    env.last_booked_value()        the slot string the last booking sent       (keeps_slot_strings)
    env.last_booked_key()          the idempotency key it carried           (takes_idempotency_key)
    env.deliver_webhooks()         hand what the calendar sent us to our endpoint (sends_webhooks);
                                   whatever is left is delivered when the test ends, and must
                                   change no appointment we had recorded
    env.booked_count()             bookings made at the calendar (for leads, not someone else)
    env.book_calls()               booking requests that reached the calendar
    env.disconnect()               the workspace's connection stops working

The clock is frozen (``frozen_now``) for as long as the calendar lives.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
import time_machine

from booking.models import InboundMessage, Offer
from booking.offers import Candidate, lead_zone, store_offer
from integrations.providers import get_provider

from .envs import MEETING, NAMES, env_classes
from .envs.calendly import calendly_session_sandbox  # noqa: F401  (the calendly env's)

# Friday 29 Nov 2030, 07:00 in New York (EST, UTC-5), 06:00 in Chicago (CST, UTC-6).
NOW = dt.datetime(2030, 11, 29, 12, 0, tzinfo=dt.UTC)
MON_10_EST = dt.datetime(2030, 12, 2, 15, 0, tzinfo=dt.UTC)  # 9:00 AM CST for the lead
TUE_11_EST = dt.datetime(2030, 12, 3, 16, 0, tzinfo=dt.UTC)  # 10:00 AM CST
WED_2PM_EST = dt.datetime(2030, 12, 4, 19, 0, tzinfo=dt.UTC)  # 1:00 PM CST
OFFERED = (MON_10_EST, TUE_11_EST, WED_2PM_EST)


@pytest.fixture(params=NAMES)
def booking_provider_env(request, workspace, frozen_now):
    """The workspace books through a calendar the test controls (see the module docstring)."""
    env = env_classes()[request.param].open(request, workspace)
    workspace.booking_provider = env.name
    workspace.auto_book_enabled = True
    workspace.save()
    yield env
    env.close()


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
    """The lead's open offer of these times, each with the string the workspace's calendar gives
    it (as ``offer_times`` stores them)."""
    zone = lead_zone(lead)
    given = _calendar_strings(lead, starts, zone)
    candidates = [
        Candidate(start=s, end=s + MEETING, provider_value=given.get(s, "")) for s in starts
    ]
    return store_offer(lead=lead, candidates=candidates, zone=zone, kind=kind)


def _calendar_strings(lead, starts, zone) -> dict:
    slots = get_provider(lead.workspace).available_slots(
        start=min(starts), end=max(starts) + MEETING, timezone=zone.key
    )
    return {slot.start: slot.provider_value for slot in slots}


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
