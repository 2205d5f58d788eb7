"""Auto-booking of one reply: from a lead's reply to a booked appointment, or to a time offered
back when the lead proposed its own.

The promise is that auto-booking never books the wrong time and never books twice. So:

- the reply is read by ``booking.reading.read_reply`` (a pure function) and only a high-confidence
  acceptance of exactly one offered time goes on;
- the gates (``booking.gates``) run in order; the first that fails books nothing and opens an
  ``auto_book_blocked`` task naming the gate and the reason, and the offered time the reply
  probably meant when the reader points at one (``booking.suggestions``);
- the booking itself is a ``booking.attempts`` attempt, whose races settle in PostgreSQL and
  whose unknown outcomes are resolved by asking the provider, never by booking again;
- a time the lead proposed is never booked: if free, it is offered back as a one-time offer.

Entry point: ``process_reply`` (the ``auto_book`` task).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError
from django.db.models import Q
from django.utils import timezone

from booking import attempts, offers, suggestions
from booking.gates import (
    COUNTER,
    LEAD,
    PROVIDER,
    TASK_KIND,
    GateFailed,
    gate_lead,
    gate_offer_predates_reply,
    gate_reply,
    gate_slot,
    gate_workspace,
    open_blocked_task,
    with_reason,
)
from booking.models import AutoBookOutcome, BookingAttempt, InboundMessage, Offer, OfferedSlot
from followups.errors import DirectBookingUnavailable, ProviderError, SlotTaken
from workspaces.models import Lead

Outcome = AutoBookOutcome
State = BookingAttempt.State
CLAIM_TTL = timedelta(minutes=5)  # a claimed reply not finished by then is claimable again


@dataclass(frozen=True)
class Result:
    outcome: str
    detail: str = ""
    gate: str = ""


def process_reply(*, message_id: int, now: datetime | None = None) -> str:
    """Read the reply, run the gates and book the accepted time. Idempotent: the reply is claimed
    atomically, so a duplicated or concurrent run returns ``duplicate`` and does nothing."""
    message = _claim(message_id)
    if message is None:
        return Outcome.DUPLICATE
    try:
        result = _handle(message, now or timezone.now())
    except GateFailed as failed:
        result = _blocked(message, failed)
    except Exception:
        _release(message)  # let a retry of the task take it again
        raise
    _finish(message, result)
    return result.outcome


def _handle(message: InboundMessage, now: datetime) -> Result:
    lead = message.lead
    zone = offers.lead_zone(lead)
    offer = offers.open_offer_of(lead=lead)
    reading = _read(message, offer, zone)
    wants_time = reading.kind in {"accept", "counter_proposal"}
    provider = gate_workspace(lead.workspace, task=wants_time)
    gate_lead(lead, task=wants_time)
    if reading.kind == "counter_proposal":
        return _offer_back(message, lead, provider, reading, zone, now)
    slot = gate_reply(reading, offer)
    gate_offer_predates_reply(offer, message)
    gate_slot(slot, provider, zone, now, message=message)
    return _book_accepted(message, lead, slot, provider)


def _read(message: InboundMessage, offer: Offer | None, zone):
    from booking.reading import OfferedTime, read_reply

    offered = (
        [OfferedTime(index=s.index, start=s.start_at) for s in offer.slots.all()] if offer else []
    )
    reading = read_reply(
        message.body, offered, lead_timezone=zone.key, received_at=message.received_at
    )
    message.reading = {
        "kind": reading.kind,
        "slot_index": reading.slot_index,
        "confidence": reading.confidence,
        "reason": reading.reason,
        "proposed_time": reading.proposed_time.isoformat() if reading.proposed_time else None,
        "offer_id": offer.pk if offer else None,
    }
    InboundMessage.objects.filter(pk=message.pk).update(reading=message.reading)
    return reading


# --- booking the accepted time ----------------------------------------------------------------


def _book_accepted(message: InboundMessage, lead: Lead, slot: OfferedSlot, provider) -> Result:
    try:
        attempt = attempts.start_attempt(
            lead=lead, slot=slot, provider=provider, source="auto_book", message=message
        )
    except IntegrityError:
        return Result(Outcome.DUPLICATE, "This time was already tried for this lead.")
    if attempt is None:
        return Result(Outcome.DUPLICATE, "This reply's booking attempt is already under way.")
    attempt, error = attempts.execute(attempt, provider=provider, confirm_channel=message.channel)
    return _auto_result(attempt, error, message)


def _auto_result(attempt: BookingAttempt, error, message: InboundMessage) -> Result:
    when = offers.format_time(attempt.slot.start_at, offers.lead_zone(attempt.lead))
    if attempt.state == State.BOOKED:
        return Result(Outcome.BOOKED, f"Booked {when}.")
    if attempt.state == State.UNKNOWN:
        return Result(Outcome.UNKNOWN, attempt.error)
    if isinstance(error, DirectBookingUnavailable):
        if attempt.error.endswith(attempts.LINK_SENT):
            return Result(Outcome.LINK_SENT, attempt.error)
        raise GateFailed(PROVIDER, attempt.error)
    if isinstance(error, SlotTaken):
        sent = offers.send_fresh_offer(attempt.lead, channel=message.channel)
        raise GateFailed(
            PROVIDER, f"{when} was taken before we could book it. {sent}", outcome=Outcome.NEW_OFFER
        )
    raise GateFailed(PROVIDER, f"Booking {when} failed: {attempt.error}")


# --- counter-proposals ----------------------------------------------------------------------


def _offer_back(message, lead: Lead, provider, reading, zone, now: datetime) -> Result:
    """A time the lead proposed is never booked: if free, it is offered back as a one-time
    offer (a bare "yes" then accepts it); otherwise a setter takes over."""
    proposed = reading.proposed_time
    said = with_reason("The lead proposed another time", reading.reason)
    if proposed is None:
        raise GateFailed(COUNTER, f"{said} We could not pin the time down.")
    when = offers.format_time(proposed, zone)
    workspace = lead.workspace
    earliest = now + timedelta(minutes=workspace.booking_min_notice_minutes)
    latest = now + timedelta(days=workspace.booking_days_ahead)
    if not earliest <= proposed <= latest:
        raise GateFailed(COUNTER, f"The lead proposed {when}, outside the booking window.")
    try:
        free = offers.free_slot_at(provider, proposed, zone, now)
    except ProviderError as exc:
        raise GateFailed(
            COUNTER, f"Could not check {when} at the calendar: {exc.safe_message}"
        ) from None
    if free is None:
        raise GateFailed(COUNTER, f"The lead proposed {when}, which is not free at the calendar.")
    try:
        offer = offers.store_offer(lead=lead, candidates=[free], zone=zone, kind=Offer.Kind.COUNTER)
    except offers.OfferError as exc:
        raise GateFailed(LEAD, exc.safe_message) from None
    offers.send_offer(offer=offer, channel=message.channel)
    return Result(Outcome.OFFERED_BACK, f"Offered {when} back to the lead (one-time offer).")


# --- claiming and finishing the reply ---------------------------------------------------------


def _claim(message_id: int) -> InboundMessage | None:
    now = timezone.now()
    claimed = (
        InboundMessage.objects.filter(pk=message_id, autobook_done_at__isnull=True)
        .filter(Q(autobook_claimed_at__isnull=True) | Q(autobook_claimed_at__lt=now - CLAIM_TTL))
        .update(autobook_claimed_at=now)
    )
    if not claimed:
        return None
    return InboundMessage.objects.select_related("lead__workspace").get(pk=message_id)


def _release(message: InboundMessage) -> None:
    InboundMessage.objects.filter(pk=message.pk, autobook_done_at__isnull=True).update(
        autobook_claimed_at=None
    )


def _finish(message: InboundMessage, result: Result) -> None:
    InboundMessage.objects.filter(pk=message.pk).update(
        autobook_done_at=timezone.now(),
        autobook_outcome=result.outcome,
        autobook_gate=result.gate,
        autobook_detail=result.detail,
    )


def _blocked(message: InboundMessage, failed: GateFailed) -> Result:
    if not failed.task:
        return Result(Outcome.NOT_ACCEPTED, failed.reason, gate=failed.gate)
    excerpt = message.body.strip()
    if len(excerpt) > 300:
        excerpt = excerpt[:300] + "…"
    open_blocked_task(
        lead=message.lead,
        gate=failed.gate,
        reason=f"{failed.reason}\n\nThe lead wrote ({message.channel}): “{excerpt}”",
        dedupe_key=f"{TASK_KIND}:message:{message.pk}",
        suggestion=suggestions.suggestion_for(message, failed),
    )
    return Result(failed.outcome, failed.reason, gate=failed.gate)
