"""Booking attempts: one try to book an offered time at the provider, and its resolution.

An attempt is a ``BookingAttempt`` row created under a lock on the lead: the database allows one
per lead and slot ever and one in flight per lead, so duplicated tasks, racing replies and double
clicks settle in PostgreSQL. A provider call whose outcome is unknown is resolved by asking the
provider (``resolve_unknown_attempts``), never by booking again.

Entry points: ``start_attempt`` and ``execute`` (auto-booking, booking.autobook),
``book_offered_slot`` (a setter's click) and ``resolve_unknown_attempts`` (the beat job).
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from booking import offers
from booking.gates import (
    SLOT,
    TASK_KIND,
    UNKNOWN_OUTCOME,
    GateFailed,
    gate_in_flight,
    gate_lead,
    open_blocked_task,
)
from booking.lifecycle import record_booked
from booking.models import BookingAttempt, Offer, OfferedSlot
from followups.errors import DirectBookingUnavailable, ProviderError, ProviderUnavailable
from integrations.providers import BookingProvider, BookingResult, get_provider
from workspaces.models import Lead

logger = logging.getLogger(__name__)

State = BookingAttempt.State
STALE_PENDING = timedelta(minutes=10)  # a pending attempt this old lost its worker
MAX_CHECKS = 4  # find_booking look-ups before an unknown outcome becomes a setter task
FIRST_CHECK_AFTER = timedelta(minutes=2)
MAX_CHECK_INTERVAL = timedelta(minutes=30)
LINK_SENT = "Sent the lead a booking link instead."


class BookingRefused(Exception):
    """A manual booking can't be made; ``safe_message`` says why."""

    def __init__(self, safe_message: str):
        super().__init__(safe_message)
        self.safe_message = safe_message


# --- making an attempt ------------------------------------------------------------------------


def start_attempt(
    *, lead: Lead, slot: OfferedSlot, provider, source: str, message=None, user=None
) -> BookingAttempt | None:
    """Re-check the lead and the offer under the lead lock and create the attempt. The
    constraints settle every race: IntegrityError means another run has this lead or slot.
    None means this reply's own attempt is already under way."""
    with transaction.atomic():
        locked = Lead.objects.select_for_update().get(pk=lead.pk)
        gate_lead(locked, task=True)
        offer_state = Offer.objects.filter(pk=slot.offer_id).values_list("state", flat=True).get()
        if offer_state != Offer.State.OPEN:
            raise GateFailed(SLOT, "The offer was closed or replaced before we could book.")
        if gate_in_flight(locked, message) is not None:
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


def execute(attempt: BookingAttempt, *, provider: BookingProvider, confirm_channel: str | None):
    """Book at the provider and record it. Returns the attempt and the provider's error, if any."""
    try:
        result = provider.book(
            lead=attempt.lead,
            start=attempt.slot.start_at,
            idempotency_key=attempt.idempotency_key,
            provider_value=attempt.slot.provider_value,
        )
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


def _link_fallback(
    attempt: BookingAttempt, provider: BookingProvider, exc: DirectBookingUnavailable
) -> str:
    """The provider can't book this lead directly: send its scheduling link; the provider's
    webhook completes the booking when the lead picks a time."""
    try:
        link = provider.scheduling_link(lead=attempt.lead)
    except ProviderError as link_exc:
        return f"{exc.safe_message} The booking link could not be made: {link_exc.safe_message}"
    if link is None:
        return f"{exc.safe_message} This calendar has no booking link to send instead."
    from followups.services import queue_message

    channel = attempt.message.channel if attempt.message_id else None
    queue_message(
        lead=attempt.lead,
        channel=channel or offers.default_channel(attempt.lead),
        body=f"Pick the time that suits you here: {link}",
    )
    return f"{exc.safe_message} {LINK_SENT}"


def _new_key(slot: OfferedSlot) -> str:
    return f"setterdesk-{slot.offer_id}-{slot.pk}-{uuid.uuid4().hex[:12]}"


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
    attempt, _ = execute(attempt, provider=provider, confirm_channel=None)
    return attempt


def _manual_attempt(*, lead, slot, provider, source, user) -> tuple[BookingAttempt, bool]:
    """The attempt to run and whether this call owns it (created it or re-claimed a failed one)."""
    existing = BookingAttempt.objects.filter(lead=lead, slot=slot).first()
    if existing is not None and existing.state != State.FAILED:
        return existing, False
    try:
        if existing is not None:
            return _retry_failed(existing, provider=provider, user=user, source=source)
        return start_attempt(
            lead=lead, slot=slot, provider=provider, source=source, user=user
        ), True
    except (GateFailed, IntegrityError) as exc:
        # A concurrent click on the same time got there first: its attempt is this click's too.
        existing = BookingAttempt.objects.filter(lead=lead, slot=slot).first()
        if existing is not None and existing.state != State.FAILED:
            return existing, False
        if isinstance(exc, GateFailed):
            raise BookingRefused(exc.reason) from None
        raise BookingRefused("Another booking attempt for this lead is in flight.") from None


def _retry_failed(
    attempt: BookingAttempt, *, provider, user, source
) -> tuple[BookingAttempt, bool]:
    """Try a failed slot again (nothing was booked): claim the row back to pending atomically."""
    with transaction.atomic():
        locked = Lead.objects.select_for_update().get(pk=attempt.lead_id)
        gate_lead(locked, task=True)
        gate_in_flight(locked, None)
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
    open_blocked_task(
        lead=attempt.lead,
        gate=UNKNOWN_OUTCOME,
        reason=reason,
        dedupe_key=f"{TASK_KIND}:attempt:{attempt.pk}",
    )
