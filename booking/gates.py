"""The safety gates of auto-booking, in the order DOMAIN.md lists them.

Each gate either lets the booking go on or raises ``GateFailed`` naming itself and a reason a
setter can act on; the first that fails books nothing, and ``open_blocked_task`` gives the setter
an ``auto_book_blocked`` task for it. Manual booking runs the lead and in-flight gates too.
"""

from __future__ import annotations

from datetime import datetime

from booking import offers
from booking.models import (
    Appointment,
    AutoBookOutcome,
    BookingAttempt,
    InboundMessage,
    Offer,
    OfferedSlot,
)
from followups.errors import ProviderError
from integrations.providers import BookingProvider, get_provider
from workspaces.models import Lead

Outcome = AutoBookOutcome
IN_FLIGHT = (BookingAttempt.State.PENDING, BookingAttempt.State.UNKNOWN)
TASK_KIND = "auto_book_blocked"

# The gates, in order, and what a setter's task calls each.
WORKSPACE, LEAD, REPLY, SLOT, IN_FLIGHT_GATE = "workspace", "lead", "reply", "slot", "in_flight"
COUNTER, PROVIDER, UNKNOWN_OUTCOME = "counter_proposal", "provider", "unknown_outcome"
GATE_TITLES = {
    WORKSPACE: "auto-book is off or no calendar is connected",
    LEAD: "the lead opted out or already has a meeting",
    REPLY: "the reply is not a clear acceptance",
    SLOT: "the time is not bookable",
    IN_FLIGHT_GATE: "another booking attempt is in flight",
    COUNTER: "the lead proposed another time",
    PROVIDER: "the calendar refused the booking",
    UNKNOWN_OUTCOME: "the booking's outcome is unknown",
}
_NOT_ACCEPTANCES = {
    "refuse": "The lead declined the offered times.",
    "question": "The lead asked a question instead of choosing a time.",
    "ambiguous": "The reply could mean more than one offered time.",
    "auto_reply": "The reply is an automatic or out-of-office message, never an answer.",
    "no_match": "The reply does not match any offered time.",
    "empty": "The reply has no text of its own (only quoted history or a signature).",
}
_QUIET_KINDS = {"refuse", "empty"}  # nothing a setter must do about auto-booking


class GateFailed(Exception):
    """A safety gate said no. ``task`` is False when there is nothing for a setter to take over
    (a refusal, chit-chat while no offer is open): the reply is then only marked."""

    def __init__(self, gate: str, reason: str, *, task: bool = True, outcome: str = ""):
        super().__init__(f"{gate}: {reason}")
        self.gate, self.reason, self.task = gate, reason, task
        self.outcome = outcome or (Outcome.FAILED if gate == PROVIDER else Outcome.BLOCKED)


def gate_workspace(workspace, *, task: bool) -> BookingProvider:
    """Auto-book is on and the booking provider is connected: returns the provider."""
    if not workspace.auto_book_enabled:
        raise GateFailed(WORKSPACE, "Auto-book is off for this workspace.", task=task)
    try:
        return get_provider(workspace)
    except ProviderError as exc:
        raise GateFailed(WORKSPACE, exc.safe_message, task=task) from None


def gate_lead(lead: Lead, *, task: bool) -> None:
    if lead.status == Lead.Status.OPTED_OUT:
        raise GateFailed(LEAD, "The lead has opted out: nothing is booked for it.", task=task)
    live = Appointment.objects.filter(lead=lead, status=Appointment.Status.BOOKED).first()
    if live is not None:
        when = offers.format_time(live.start_at, offers.lead_zone(lead)) if live.start_at else ""
        raise GateFailed(
            LEAD, f"The lead already has a live appointment {when}".strip() + ".", task=task
        )


def gate_reply(reading, offer: Offer | None) -> OfferedSlot:
    """The reply accepts exactly one time of the open offer, with high confidence."""
    from booking.reading import HIGH_CONFIDENCE

    if reading.kind != "accept":
        reason = _NOT_ACCEPTANCES.get(reading.kind, f"The reply was read as “{reading.kind}”.")
        quiet = reading.kind in _QUIET_KINDS or offer is None
        raise GateFailed(REPLY, with_reason(reason, reading.reason), task=not quiet)
    if offer is None:
        raise GateFailed(REPLY, "The lead has no open offer, so there is no time to accept.")
    if reading.confidence < HIGH_CONFIDENCE:
        raise GateFailed(
            REPLY,
            with_reason(
                f"The reply may accept option {reading.slot_index}, but only with confidence "
                f"{reading.confidence:.2f} (auto-book needs {HIGH_CONFIDENCE:.2f}).",
                reading.reason,
            ),
        )
    slot = next((s for s in offer.slots.all() if s.index == reading.slot_index), None)
    if slot is None:
        raise GateFailed(SLOT, f"Option {reading.slot_index} is not part of the lead's open offer.")
    return slot


def gate_offer_predates_reply(offer: Offer, message: InboundMessage) -> None:
    # A reply handled late must not be read against an offer the lead had not seen yet.
    if offer.created_at > message.received_at:
        raise GateFailed(
            SLOT,
            "The reply came before the lead's current offer was made, so it answers an earlier "
            "one: its option numbers and times may not mean the same.",
        )


def gate_slot(slot: OfferedSlot, provider: BookingProvider, zone, now: datetime, *, message):
    """The accepted time is still ahead and still free at the calendar, asked fresh. When it was
    taken meanwhile, the lead is sent new times."""
    when = offers.format_time(slot.start_at, zone)
    if slot.start_at <= now:
        raise GateFailed(SLOT, f"The accepted time, {when}, has already passed.")
    try:
        free = offers.free_slot_at(provider, slot.start_at, zone, now)
    except ProviderError as exc:
        raise GateFailed(
            SLOT, f"Could not re-check {when} at the calendar: {exc.safe_message}"
        ) from None
    if free is None:
        sent = offers.send_fresh_offer(message.lead, channel=message.channel)
        raise GateFailed(
            SLOT,
            f"The accepted time, {when}, is no longer free at the calendar. {sent}",
            outcome=Outcome.NEW_OFFER,
        )


def gate_in_flight(lead: Lead, message: InboundMessage | None) -> BookingAttempt | None:
    """Under the lead lock. Returns this reply's own attempt (a re-run) to mean "nothing to do"."""
    flying = BookingAttempt.objects.filter(lead=lead, state__in=IN_FLIGHT).first()
    if flying is None:
        return None
    if message is not None and flying.message_id == message.pk:
        return flying
    raise GateFailed(
        IN_FLIGHT_GATE,
        f"Booking attempt #{flying.pk} ({flying.get_state_display().lower()}) is still in flight "
        "for this lead.",
    )


def open_blocked_task(*, lead: Lead, gate: str, reason: str, dedupe_key: str, suggestion=None):
    """The setter's ``auto_book_blocked`` task for a gate that said no (once per dedupe key).
    With a ``booking.suggestions.Suggestion`` the task names the time the lead probably meant
    and records it, so the setter books it with one click."""
    from followups.services import open_task

    title = f"Auto-book blocked ({gate}): {GATE_TITLES[gate]}"
    detail = f"Gate: {gate}. {reason}"
    if suggestion is not None:
        title = f"Auto-book blocked ({gate}): lead probably meant {suggestion.label}"
        detail = f"{suggestion.sentence}\n\n{detail}"
    return open_task(
        lead=lead,
        kind=TASK_KIND,
        title=title,
        detail=detail,
        dedupe_key=dedupe_key,
        suggested=suggestion.task_fields() if suggestion is not None else None,
    )


def with_reason(text: str, reason: str) -> str:
    reason = (reason or "").strip()
    return f"{text} ({reason})" if reason else text
