"""Auto-booking: from a lead's reply to a booked appointment, through every safety gate.

The promise is that auto-booking never books the wrong time and never books twice. So:

- the reply is read by ``booking.reading.read_reply`` (a pure function) and only a high-confidence
  acceptance of exactly one offered time goes on;
- the gates of DOMAIN.md run in order; the first that fails books nothing and opens an
  ``auto_book_blocked`` task naming the gate and the reason (``GateFailed``);
- the try itself is a ``BookingAttempt`` row created under a lock on the lead: the database allows
  one per lead and slot ever and one in flight per lead, so duplicated tasks and racing replies
  settle in PostgreSQL;
- a provider call whose outcome is unknown is resolved by asking the provider
  (``resolve_unknown_attempts``), never by booking again.

Entry points: ``process_reply`` (the ``auto_book`` task), ``book_offered_slot`` (a setter's
click) and ``resolve_unknown_attempts`` (the beat job).
"""

from __future__ import annotations

import inspect
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from booking import offers
from booking.lifecycle import record_booked
from booking.models import (
    Appointment,
    AutoBookOutcome,
    BookingAttempt,
    InboundMessage,
    Offer,
    OfferedSlot,
)
from followups.errors import (
    DirectBookingUnavailable,
    ProviderError,
    ProviderUnavailable,
    SlotTaken,
)
from integrations.providers import BookingResult, get_provider
from workspaces.models import Lead

logger = logging.getLogger(__name__)

Outcome = AutoBookOutcome
State = BookingAttempt.State
IN_FLIGHT = (State.PENDING, State.UNKNOWN)

TASK_KIND = "auto_book_blocked"
CLAIM_TTL = timedelta(minutes=5)  # a claimed reply not finished by then is claimable again
STALE_PENDING = timedelta(minutes=10)  # a pending attempt this old lost its worker
MAX_CHECKS = 4  # find_booking look-ups before an unknown outcome becomes a setter task
FIRST_CHECK_AFTER = timedelta(minutes=2)
MAX_CHECK_INTERVAL = timedelta(minutes=30)
RECHECK_MARGIN = timedelta(hours=1)  # the window asked of the provider around a time

# The gates, in the order DOMAIN.md lists them, and what a setter's task calls each.
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


class BookingRefused(Exception):
    """A manual booking can't be made; ``safe_message`` says why."""

    def __init__(self, safe_message: str):
        super().__init__(safe_message)
        self.safe_message = safe_message


@dataclass(frozen=True)
class Result:
    outcome: str
    detail: str = ""
    gate: str = ""


# --- the task: one reply --------------------------------------------------------------------


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
    provider = _gate_workspace(lead.workspace, task=wants_time)
    _gate_lead(lead, task=wants_time)
    if reading.kind == "counter_proposal":
        return _offer_back(message, lead, provider, reading, zone, now)
    slot = _gate_reply(reading, offer)
    _gate_offer_predates_reply(offer, message)
    _gate_slot(slot, provider, zone, now, message=message)
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


# --- the gates, in order ------------------------------------------------------------------


def _gate_workspace(workspace, *, task: bool):
    if not workspace.auto_book_enabled:
        raise GateFailed(WORKSPACE, "Auto-book is off for this workspace.", task=task)
    try:
        return get_provider(workspace)
    except ProviderError as exc:
        raise GateFailed(WORKSPACE, exc.safe_message, task=task) from None


def _gate_lead(lead: Lead, *, task: bool) -> None:
    if lead.status == Lead.Status.OPTED_OUT:
        raise GateFailed(LEAD, "The lead has opted out: nothing is booked for it.", task=task)
    live = Appointment.objects.filter(lead=lead, status=Appointment.Status.BOOKED).first()
    if live is not None:
        when = offers.format_time(live.start_at, offers.lead_zone(lead)) if live.start_at else ""
        raise GateFailed(
            LEAD, f"The lead already has a live appointment {when}".strip() + ".", task=task
        )


def _gate_reply(reading, offer: Offer | None) -> OfferedSlot:
    from booking.reading import HIGH_CONFIDENCE

    if reading.kind != "accept":
        reason = _NOT_ACCEPTANCES.get(reading.kind, f"The reply was read as “{reading.kind}”.")
        quiet = reading.kind in _QUIET_KINDS or offer is None
        raise GateFailed(REPLY, _with_reason(reason, reading.reason), task=not quiet)
    if offer is None:
        raise GateFailed(REPLY, "The lead has no open offer, so there is no time to accept.")
    if reading.confidence < HIGH_CONFIDENCE:
        raise GateFailed(
            REPLY,
            _with_reason(
                f"The reply may accept option {reading.slot_index}, but only with confidence "
                f"{reading.confidence:.2f} (auto-book needs {HIGH_CONFIDENCE:.2f}).",
                reading.reason,
            ),
        )
    slot = next((s for s in offer.slots.all() if s.index == reading.slot_index), None)
    if slot is None:
        raise GateFailed(SLOT, f"Option {reading.slot_index} is not part of the lead's open offer.")
    return slot


def _gate_offer_predates_reply(offer: Offer, message: InboundMessage) -> None:
    # A reply handled late must not be read against an offer the lead had not seen yet.
    if offer.created_at > message.received_at:
        raise GateFailed(
            SLOT,
            "The reply came before the lead's current offer was made, so it answers an earlier "
            "one: its option numbers and times may not mean the same.",
        )


def _gate_slot(slot: OfferedSlot, provider, zone, now: datetime, *, message) -> None:
    when = offers.format_time(slot.start_at, zone)
    if slot.start_at <= now:
        raise GateFailed(SLOT, f"The accepted time, {when}, has already passed.")
    try:
        free = _free_slot_at(provider, slot.start_at, zone, now)
    except ProviderError as exc:
        raise GateFailed(
            SLOT, f"Could not re-check {when} at the calendar: {exc.safe_message}"
        ) from None
    if free is None:
        sent = _send_fresh_offer(message.lead, channel=message.channel)
        raise GateFailed(
            SLOT,
            f"The accepted time, {when}, is no longer free at the calendar. {sent}",
            outcome=Outcome.NEW_OFFER,
        )


def _gate_in_flight(lead: Lead, message: InboundMessage | None) -> BookingAttempt | None:
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


# --- booking ------------------------------------------------------------------------------


def _book_accepted(message: InboundMessage, lead: Lead, slot: OfferedSlot, provider) -> Result:
    try:
        attempt = _start_attempt(
            lead=lead, slot=slot, provider=provider, source="auto_book", message=message
        )
    except IntegrityError:
        return Result(Outcome.DUPLICATE, "This time was already tried for this lead.")
    if attempt is None:
        return Result(Outcome.DUPLICATE, "This reply's booking attempt is already under way.")
    attempt, error = _execute(attempt, provider=provider, confirm_channel=message.channel)
    return _auto_result(attempt, error, message)


def _auto_result(attempt: BookingAttempt, error, message: InboundMessage) -> Result:
    when = offers.format_time(attempt.slot.start_at, offers.lead_zone(attempt.lead))
    if attempt.state == State.BOOKED:
        return Result(Outcome.BOOKED, f"Booked {when}.")
    if attempt.state == State.UNKNOWN:
        return Result(Outcome.UNKNOWN, attempt.error)
    if isinstance(error, DirectBookingUnavailable):
        if attempt.error.endswith(_LINK_SENT):
            return Result(Outcome.LINK_SENT, attempt.error)
        raise GateFailed(PROVIDER, attempt.error)
    if isinstance(error, SlotTaken):
        sent = _send_fresh_offer(attempt.lead, channel=message.channel)
        raise GateFailed(
            PROVIDER, f"{when} was taken before we could book it. {sent}", outcome=Outcome.NEW_OFFER
        )
    raise GateFailed(PROVIDER, f"Booking {when} failed: {attempt.error}")


def _start_attempt(
    *, lead: Lead, slot: OfferedSlot, provider, source: str, message=None, user=None
) -> BookingAttempt | None:
    """Re-check the lead and the offer under the lead lock and create the attempt. The
    constraints settle every race: IntegrityError means another run has this lead or slot."""
    with transaction.atomic():
        locked = Lead.objects.select_for_update().get(pk=lead.pk)
        _gate_lead(locked, task=True)
        offer_state = Offer.objects.filter(pk=slot.offer_id).values_list("state", flat=True).get()
        if offer_state != Offer.State.OPEN:
            raise GateFailed(SLOT, "The offer was closed or replaced before we could book.")
        if _gate_in_flight(locked, message) is not None:
            return None
        with transaction.atomic():
            return BookingAttempt.objects.create(
                workspace_id=locked.workspace_id,
                lead=locked,
                slot=slot,
                message=message,
                source=source,
                provider=provider.name,
                idempotency_key=_new_key(slot),
                created_by=user,
            )


def _execute(attempt: BookingAttempt, *, provider, confirm_channel: str | None):
    """Book at the provider and record it. Returns the attempt and the provider's error, if any."""
    try:
        result = provider.book(**_book_kwargs(provider, attempt))
    except ProviderUnavailable as exc:
        if not exc.outcome_unknown:
            return _fail(attempt, exc.safe_message), exc
        _mark_unknown(attempt, exc)
        return attempt, exc
    except DirectBookingUnavailable as exc:
        return _fail(attempt, _link_fallback(attempt, provider, exc)), exc
    except ProviderError as exc:
        logger.warning("booking attempt %s failed: %s %s", attempt.pk, exc, exc.detail)
        return _fail(attempt, exc.safe_message), exc
    _record(attempt, result, confirm_channel=confirm_channel)
    return attempt, None


def _record(attempt: BookingAttempt, result: BookingResult, *, confirm_channel) -> None:
    slot = attempt.slot
    with transaction.atomic():
        appointment = record_booked(
            workspace=attempt.lead.workspace,
            lead=attempt.lead,
            ref=result.ref,
            start=result.start,
            end=result.end or slot.end_at,
            source=attempt.source,
            confirm_channel=confirm_channel,
        )
        _update(attempt, state=State.BOOKED, appointment=appointment, error="", next_check_at=None)


def _mark_unknown(attempt: BookingAttempt, exc: ProviderError) -> None:
    _update(
        attempt,
        state=State.UNKNOWN,
        error=f"{exc.safe_message} Asking the calendar whether the booking was made.",
        next_check_at=timezone.now() + FIRST_CHECK_AFTER,
    )


def _fail(attempt: BookingAttempt, reason: str) -> BookingAttempt:
    _update(attempt, state=State.FAILED, error=reason, next_check_at=None)
    return attempt


def _update(attempt: BookingAttempt, **fields) -> None:
    for name, value in fields.items():
        setattr(attempt, name, value)
    attempt.updated_at = timezone.now()
    BookingAttempt.objects.filter(pk=attempt.pk).update(updated_at=attempt.updated_at, **fields)


_LINK_SENT = "Sent the lead a booking link instead."


def _link_fallback(attempt: BookingAttempt, provider, exc: DirectBookingUnavailable) -> str:
    """The provider can't book this lead directly: send its scheduling link; the provider's
    webhook completes the booking when the lead picks a time."""
    make_link = getattr(provider, "scheduling_link", None)
    if make_link is None:
        return f"{exc.safe_message} This calendar has no booking link to send instead."
    try:
        link = make_link(lead=attempt.lead)
    except ProviderError as link_exc:
        return f"{exc.safe_message} The booking link could not be made: {link_exc.safe_message}"
    channel = _channel_for(attempt)
    _queue(attempt.lead, channel, f"Pick the time that suits you here: {link}")
    return f"{exc.safe_message} {_LINK_SENT}"


def _book_kwargs(provider, attempt: BookingAttempt) -> dict:
    kwargs = {
        "lead": attempt.lead,
        "start": attempt.slot.start_at,
        "idempotency_key": attempt.idempotency_key,
    }
    # A provider that takes its own slot string back (GHL) gets the one it gave us.
    if attempt.slot.provider_value and _accepts(provider.book, "provider_value"):
        kwargs["provider_value"] = attempt.slot.provider_value
    return kwargs


def _accepts(function, name: str) -> bool:
    try:
        return name in inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False


# --- counter-proposals ----------------------------------------------------------------------


def _offer_back(message, lead: Lead, provider, reading, zone, now: datetime) -> Result:
    """A time the lead proposed is never booked: if free, it is offered back as a one-time
    offer (a bare "yes" then accepts it); otherwise a setter takes over."""
    proposed = reading.proposed_time
    said = _with_reason("The lead proposed another time", reading.reason)
    if proposed is None:
        raise GateFailed(COUNTER, f"{said} We could not pin the time down.")
    when = offers.format_time(proposed, zone)
    workspace = lead.workspace
    earliest = now + timedelta(minutes=workspace.booking_min_notice_minutes)
    latest = now + timedelta(days=workspace.booking_days_ahead)
    if not earliest <= proposed <= latest:
        raise GateFailed(COUNTER, f"The lead proposed {when}, outside the booking window.")
    try:
        free = _free_slot_at(provider, proposed, zone, now)
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


def _free_slot_at(provider, start: datetime, zone, now: datetime) -> offers.Candidate | None:
    """The provider's free slot starting exactly at ``start``, asked fresh, or None."""
    window_start = max(start - RECHECK_MARGIN, now)
    slots = provider.available_slots(
        start=window_start, end=start + RECHECK_MARGIN, timezone=zone.key
    )
    for slot in slots:
        if slot.start == start:
            return offers.Candidate(
                start=slot.start,
                end=slot.end,
                provider_value=getattr(slot, "provider_value", "") or "",
            )
    return None


def _send_fresh_offer(lead: Lead, *, channel: str) -> str:
    try:
        offer = offers.offer_times(lead=lead)
    except (offers.OfferError, ProviderError) as exc:
        return f"No new times were sent: {exc.safe_message}"
    offers.send_offer(offer=offer, channel=channel)
    return "New times were sent to the lead."


# --- a setter's click -----------------------------------------------------------------------


def book_offered_slot(*, slot: OfferedSlot, user=None, source: str = "manual") -> BookingAttempt:
    """Book an offered time by hand, through the same provider path as auto-booking. A second
    click returns the first click's attempt; a failed attempt for the slot is tried again.
    Raises ``BookingRefused`` (with a safe message) when the time can't be booked."""
    slot = OfferedSlot.objects.select_related("offer__lead__workspace").get(pk=slot.pk)
    lead = slot.offer.lead
    if slot.start_at <= timezone.now():
        raise BookingRefused("That time has already passed: make a new offer.")
    try:
        provider = get_provider(lead.workspace)
    except ProviderError as exc:
        raise BookingRefused(exc.safe_message) from None
    attempt, mine = _manual_attempt(
        lead=lead, slot=slot, provider=provider, source=source, user=user
    )
    if not mine:
        return attempt  # a second click, or someone else's click: never book twice
    attempt, _ = _execute(attempt, provider=provider, confirm_channel=None)
    return attempt


def _manual_attempt(*, lead, slot, provider, source, user) -> tuple[BookingAttempt, bool]:
    """The attempt to run and whether this call owns it (created it or re-claimed a failed one)."""
    existing = BookingAttempt.objects.filter(lead=lead, slot=slot).first()
    if existing is not None and existing.state != State.FAILED:
        return existing, False
    try:
        if existing is not None:
            return _retry_failed(existing, provider=provider, user=user, source=source)
        return _start_attempt(
            lead=lead, slot=slot, provider=provider, source=source, user=user
        ), True
    except GateFailed as failed:
        raise BookingRefused(failed.reason) from None
    except IntegrityError:
        existing = BookingAttempt.objects.filter(lead=lead, slot=slot).first()
        if existing is not None:
            return existing, False
        raise BookingRefused("Another booking attempt for this lead is in flight.") from None


def _retry_failed(
    attempt: BookingAttempt, *, provider, user, source
) -> tuple[BookingAttempt, bool]:
    """Try a failed slot again (nothing was booked): claim the row back to pending atomically."""
    with transaction.atomic():
        locked = Lead.objects.select_for_update().get(pk=attempt.lead_id)
        _gate_lead(locked, task=True)
        _gate_in_flight(locked, None)
        claimed = BookingAttempt.objects.filter(pk=attempt.pk, state=State.FAILED).update(
            state=State.PENDING,
            error="",
            source=source,
            provider=provider.name,
            created_by=user,
            checks=0,
            next_check_at=None,
            idempotency_key=_new_key(attempt.slot),
            updated_at=timezone.now(),
        )
    attempt.refresh_from_db()
    return attempt, bool(claimed)


# --- unknown outcomes -----------------------------------------------------------------------


def resolve_unknown_attempts(*, now: datetime | None = None, limit: int = 100) -> int:
    """Ask the provider about every attempt whose outcome is unknown (a timeout) or whose worker
    died mid-way, with back-off between look-ups. Never books again. Returns how many it asked."""
    now = now or timezone.now()
    due = list(
        _due_checks(now).order_by("next_check_at", "id").values_list("pk", flat=True)[:limit]
    )
    return sum(1 for pk in due if resolve_attempt(attempt_id=pk, now=now))


def _due_checks(now: datetime):
    stale_pending = Q(state=State.PENDING, updated_at__lt=now - STALE_PENDING)
    due = Q(next_check_at__isnull=True) | Q(next_check_at__lte=now)
    return BookingAttempt.objects.filter((Q(state=State.UNKNOWN) & due) | stale_pending)


def resolve_attempt(*, attempt_id: int, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    # Claim the look-up (a concurrent beat run finds nothing due), moving it on by a lease.
    claimed = (
        _due_checks(now)
        .filter(pk=attempt_id)
        .update(
            state=State.UNKNOWN,
            checks=F("checks") + 1,
            next_check_at=now + MAX_CHECK_INTERVAL,
            updated_at=now,
        )
    )
    if not claimed:
        return False
    attempt = BookingAttempt.objects.select_related("lead__workspace", "slot", "message").get(
        pk=attempt_id
    )
    try:
        found = get_provider(attempt.lead.workspace).find_booking(
            lead=attempt.lead, start=attempt.slot.start_at
        )
    except ProviderError as exc:
        _after_miss(attempt, now, f"The calendar could not be asked: {exc.safe_message}")
        return True
    if found is None:
        _after_miss(attempt, now, "The calendar shows no booking for this time yet.")
        return True
    channel = attempt.message.channel if attempt.source == "auto_book" and attempt.message else None
    _record(attempt, found, confirm_channel=channel)
    return True


def _after_miss(attempt: BookingAttempt, now: datetime, reason: str) -> None:
    if attempt.checks < MAX_CHECKS:
        wait = min(FIRST_CHECK_AFTER * (2 ** (attempt.checks - 1)), MAX_CHECK_INTERVAL)
        _update(attempt, error=reason, next_check_at=now + wait)
        return
    when = offers.format_time(attempt.slot.start_at, offers.lead_zone(attempt.lead))
    reason = (
        f"The calendar did not answer when booking {when}, and after {attempt.checks} checks "
        f"it shows no booking. {reason} Check the calendar and book by hand if needed."
    )
    _fail(attempt, reason)
    _open_task(
        lead=attempt.lead,
        gate=UNKNOWN_OUTCOME,
        reason=reason,
        dedupe_key=f"{TASK_KIND}:attempt:{attempt.pk}",
    )


# --- claiming replies, tasks, messages ------------------------------------------------------


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
    _open_task(
        lead=message.lead,
        gate=failed.gate,
        reason=f"{failed.reason}\n\nThe lead wrote ({message.channel}): “{excerpt}”",
        dedupe_key=f"{TASK_KIND}:message:{message.pk}",
    )
    return Result(failed.outcome, failed.reason, gate=failed.gate)


def _open_task(*, lead: Lead, gate: str, reason: str, dedupe_key: str):
    from followups.services import open_task

    return open_task(
        lead=lead,
        kind=TASK_KIND,
        title=f"Auto-book blocked ({gate}): {GATE_TITLES[gate]}",
        detail=f"Gate: {gate}. {reason}",
        dedupe_key=dedupe_key,
    )


def _queue(lead: Lead, channel: str, body: str):
    from followups.services import queue_message

    return queue_message(lead=lead, channel=channel, body=body)


def _channel_for(attempt: BookingAttempt) -> str:
    if attempt.message_id:
        return attempt.message.channel
    return offers.default_channel(attempt.lead)


def _new_key(slot: OfferedSlot) -> str:
    return f"setterdesk-{slot.offer_id}-{slot.pk}-{uuid.uuid4().hex[:12]}"


def _with_reason(text: str, reason: str) -> str:
    reason = (reason or "").strip()
    return f"{text} ({reason})" if reason else text
