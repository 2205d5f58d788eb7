"""Offers: concrete free times taken from the workspace's provider and sent to a lead.

An offer is written in the lead's time zone (the workspace's when the lead has none), holds only
times inside the workspace's booking window and business hours and at reasonable hours for the
lead, spreads them over different days, and supersedes the lead's open offer. Only an open
offer's future times can be booked (booking.attempts).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from booking.models import Offer, OfferedSlot
from followups.errors import ProviderError
from integrations.providers import BookingProvider, Slot, get_provider
from workspaces.formatting import format_time, zone_named
from workspaces.models import Lead

# Reasonable hours for the lead, in its own zone (DOMAIN.md: 07:00–21:00 by default).
LEAD_DAY_START = time(7, 0)
LEAD_DAY_END = time(21, 0)
MAX_COUNT = 6
RECHECK_MARGIN = timedelta(hours=1)  # the window asked of the provider around a time
_UNSET = object()


class OfferError(Exception):
    """No offer can be made; ``safe_message`` says why in words a setter can act on."""

    def __init__(self, safe_message: str):
        super().__init__(safe_message)
        self.safe_message = safe_message


class OfferRefused(OfferError):
    """The lead may not be offered times (opted out)."""


class NoFreeTimes(OfferError):
    """The provider has no free time inside the booking window."""


class OfferChanged(OfferError):
    """Someone made another offer since the caller looked (a second click): nothing was done."""


@dataclass(frozen=True)
class Candidate:
    start: datetime
    end: datetime | None
    provider_value: str = ""


def offer_times(
    *,
    lead: Lead,
    count: int = 3,
    now: datetime | None = None,
    replacing=_UNSET,
) -> Offer:
    """Take ``count`` free times from the provider, store them as the lead's open offer (the
    previous open offer becomes ``superseded``) and render its text.

    ``replacing`` (the open offer's id the caller saw, or None for none) makes a repeated click
    harmless: when the lead's open offer is no longer that one, ``OfferChanged`` is raised and
    nothing is stored. Raises ``OfferRefused``, ``NoFreeTimes`` or the provider's errors.
    """
    _refuse_if_opted_out(lead)
    now = now or timezone.now()
    count = max(1, min(count, MAX_COUNT))
    zone = lead_zone(lead)
    workspace = lead.workspace
    earliest = now + timedelta(minutes=workspace.booking_min_notice_minutes)
    latest = now + timedelta(days=workspace.booking_days_ahead)
    slots = get_provider(workspace).available_slots(start=earliest, end=latest, timezone=zone.key)
    fitting = [c for c in map(_candidate, slots) if _fits(c, lead, zone, earliest, latest)]
    picked = spread_over_days(fitting, count=count, zone=zone)
    if not picked:
        raise NoFreeTimes(
            "The calendar has no free time in the booking window (the next "
            f"{workspace.booking_days_ahead} days, business hours, 07:00–21:00 for the lead)."
        )
    return store_offer(lead=lead, candidates=picked, zone=zone, replacing=replacing)


def store_offer(
    *,
    lead: Lead,
    candidates: Sequence[Candidate],
    zone: zoneinfo.ZoneInfo,
    kind: str = Offer.Kind.STANDARD,
    replacing=_UNSET,
) -> Offer:
    """Store the times as the lead's one open offer, under a lock on the lead row."""
    with transaction.atomic():
        locked = Lead.objects.select_for_update().get(pk=lead.pk)
        _refuse_if_opted_out(locked)
        current = open_offer_of(lead=locked)
        if replacing is not _UNSET and (current.pk if current else None) != replacing:
            raise OfferChanged("A newer offer was already made for this lead.")
        if current is not None:
            Offer.objects.filter(pk=current.pk).update(
                state=Offer.State.SUPERSEDED, closed_at=timezone.now()
            )
        offer = Offer.objects.create(
            workspace_id=locked.workspace_id,
            lead=locked,
            kind=kind,
            timezone=zone.key,
            text=render_offer(candidates, zone=zone, kind=kind),
        )
        OfferedSlot.objects.bulk_create(
            OfferedSlot(
                offer=offer,
                index=index,
                start_at=c.start,
                end_at=c.end,
                provider_value=c.provider_value[:100],
            )
            for index, c in enumerate(candidates, start=1)
        )
    return offer


def send_offer(*, offer: Offer, channel: str):
    """Queue the offer's text to the lead on ``channel`` (sent after commit by followups) and
    start the no-response nudges: we have just contacted the lead."""
    from followups import services

    with transaction.atomic():
        message = services.queue_message(lead=offer.lead, channel=channel, body=offer.text)
        services.start_no_response(lead=offer.lead)
    return message


def send_fresh_offer(lead: Lead, *, channel: str) -> str:
    """Offer the lead new times after the one it chose was lost; says what happened, for the
    setter's task (a failure to offer is reported, not raised)."""
    try:
        offer = offer_times(lead=lead)
    except (OfferError, ProviderError) as exc:
        return f"No new times were sent: {exc.safe_message}"
    send_offer(offer=offer, channel=channel)
    return "New times were sent to the lead."


def free_slot_at(
    provider: BookingProvider, start: datetime, zone: zoneinfo.ZoneInfo, now: datetime
) -> Candidate | None:
    """The provider's free slot starting exactly at ``start``, asked fresh, or None."""
    window_start = max(start - RECHECK_MARGIN, now)
    slots = provider.available_slots(
        start=window_start, end=start + RECHECK_MARGIN, timezone=zone.key
    )
    return next((_candidate(slot) for slot in slots if slot.start == start), None)


def open_offer_of(*, lead: Lead) -> Offer | None:
    return Offer.objects.filter(lead=lead, state=Offer.State.OPEN).prefetch_related("slots").first()


def lead_zone(lead: Lead) -> zoneinfo.ZoneInfo:
    return zone_named(lead.timezone, lead.workspace.timezone)


def default_channel(lead: Lead) -> str:
    """Where to write to the lead: the channel it last replied on, else SMS or e-mail."""
    last = lead.inbound_messages.order_by("-received_at", "-id").values_list("channel", flat=True)
    return last.first() or ("sms" if lead.phone else "email")


# --- rendering ------------------------------------------------------------------------------


def render_offer(candidates: Sequence[Candidate], *, zone, kind: str = Offer.Kind.STANDARD) -> str:
    if kind == Offer.Kind.COUNTER:
        when = format_time(candidates[0].start, zone)
        return f"{when} is free. Reply YES to book it."
    lines = [f"{i}) {format_time(c.start, zone)}" for i, c in enumerate(candidates, start=1)]
    return "\n".join(
        ["Here are a few times for a call:", *lines, "Reply with the number that suits you."]
    )


# --- choosing ---------------------------------------------------------------------------------


def spread_over_days(
    candidates: Sequence[Candidate], *, count: int, zone: zoneinfo.ZoneInfo
) -> list[Candidate]:
    """The earliest time of each day first (one per day, so the lead gets a real choice), then
    second times of those days if there are too few days; returned in time order."""
    by_day: dict = {}
    for c in sorted(candidates, key=lambda c: c.start):
        by_day.setdefault(c.start.astimezone(zone).date(), []).append(c)
    picked: list[Candidate] = []
    round_ = 0
    while len(picked) < count and any(len(day) > round_ for day in by_day.values()):
        for day in by_day.values():
            if len(day) > round_ and len(picked) < count:
                picked.append(day[round_])
        round_ += 1
    return sorted(picked, key=lambda c: c.start)


def _candidate(slot: Slot) -> Candidate:
    return Candidate(start=slot.start, end=slot.end, provider_value=slot.provider_value)


def _fits(c: Candidate, lead: Lead, zone, earliest: datetime, latest: datetime) -> bool:
    if not (earliest <= c.start <= latest):
        return False
    return within_business_hours(c, lead.workspace) and within_lead_day(c, zone)


def within_business_hours(c: Candidate, workspace) -> bool:
    zone = zoneinfo.ZoneInfo(workspace.timezone)
    opens = time(min(workspace.business_hours_start, 23))
    closes_hour = workspace.business_hours_end
    return _inside(c, zone, opens, time(closes_hour) if closes_hour < 24 else time.max)


def within_lead_day(c: Candidate, zone) -> bool:
    return _inside(c, zone, LEAD_DAY_START, LEAD_DAY_END)


def _inside(c: Candidate, zone, opens: time, closes: time) -> bool:
    start = c.start.astimezone(zone)
    if not (opens <= start.time() < closes):
        return False
    if c.end is None:
        return True
    end = c.end.astimezone(zone)
    return end.date() == start.date() and end.time() <= closes


def _refuse_if_opted_out(lead: Lead) -> None:
    if lead.status == Lead.Status.OPTED_OUT:
        raise OfferRefused("This lead has opted out: it can't be offered times or booked.")
