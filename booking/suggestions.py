"""The offered time a reply probably meant, named on the setter's task and booked from it.

Auto-booking stops short of many replies that do point at one offered time: the reading is below
``HIGH_CONFIDENCE``, auto-book is off, the calendar refused. The setter's ``auto_book_blocked``
task then names that time ("Lead probably meant Option 2: Tue Dec 8, 10:00 AM EST — reader
0.80: …") and records it (``Task.suggested_*``), and ``book_suggestion`` books it with one click
through the manual-booking path (``booking.attempts.book_offered_slot``, with its gates) and
closes the task.

Entry points: ``suggestion_for`` (booking.autobook) and ``book_suggestion`` (the task's button).
"""

from __future__ import annotations

from dataclasses import dataclass

from booking.attempts import BookingRefused, book_offered_slot
from booking.gates import IN_FLIGHT_GATE, PROVIDER, REPLY, WORKSPACE, GateFailed
from booking.models import AutoBookOutcome, BookingAttempt, InboundMessage, Offer, OfferedSlot
from followups.models import Task
from followups.services import set_task_state
from workspaces.formatting import format_time

# Gates whose "no" says nothing against the time itself, so a person may still book it. The
# lead gate (opted out, already booked) and the slot gate (passed, taken, or a reply to an
# earlier offer whose option numbers meant other times) rule the suggestion out.
SUGGESTING_GATES = frozenset({WORKSPACE, REPLY, IN_FLIGHT_GATE, PROVIDER})


@dataclass(frozen=True)
class Suggestion:
    slot: OfferedSlot
    when: str  # "Tue Dec 8, 10:00 AM EST", in the zone the offer was written in
    confidence: float
    reason: str  # the reader's

    @property
    def label(self) -> str:
        return f"Option {self.slot.index}: {self.when}"

    @property
    def sentence(self) -> str:
        said = f"Lead probably meant {self.label} — reader {self.confidence:.2f}"
        return f"{said}: {self.reason}" if self.reason else f"{said}."

    def task_fields(self) -> dict:
        return {"slot_id": self.slot.pk, "option": self.slot.index, "start": self.slot.start_at}


def suggestion_for(message: InboundMessage, failed: GateFailed) -> Suggestion | None:
    """The offered time of the lead's open offer that the stored reading of ``message`` points
    at, when the gate that failed leaves it bookable by a person; else None."""
    reading = message.reading or {}
    index, offer_id = reading.get("slot_index"), reading.get("offer_id")
    if reading.get("kind") != "accept" or index is None or offer_id is None:
        return None
    if failed.gate not in SUGGESTING_GATES or failed.outcome == AutoBookOutcome.NEW_OFFER:
        return None
    # A reply that came before the offer answers an earlier one, whose option numbers meant
    # other times: the reply gate fails first for a reading below the bar, so this is checked here.
    slot = (
        OfferedSlot.objects.select_related("offer")
        .filter(
            offer_id=offer_id,
            offer__state=Offer.State.OPEN,
            offer__created_at__lte=message.received_at,
            index=index,
        )
        .first()
    )
    if slot is None:
        return None
    return Suggestion(
        slot=slot,
        when=format_time(slot.start_at, slot.offer.timezone),
        confidence=float(reading.get("confidence") or 0.0),
        reason=(reading.get("reason") or "").strip(),
    )


def book_suggestion(*, task: Task, user) -> BookingAttempt:
    """Book the offered time ``task`` names, as a setter's click, and close the task once the
    time is booked. A second click (or a concurrent one) returns the first click's attempt and
    books nothing. Raises ``BookingRefused`` (with a safe message) when it can't be booked."""
    if task.suggested_slot_id is None:
        raise BookingRefused("This task names no offered time to book.")
    slot = (
        OfferedSlot.objects.filter(pk=task.suggested_slot_id, offer__lead_id=task.lead_id)
        .select_related("offer")
        .first()
    )
    if slot is None:
        raise BookingRefused("The offered time this task names no longer exists: make an offer.")
    if not task.is_open:
        done = BookingAttempt.objects.filter(lead_id=task.lead_id, slot=slot).first()
        if done is None or done.state == BookingAttempt.State.FAILED:
            raise BookingRefused("This task is already done: nothing was booked from it.")
        return done  # the click that closed it booked (or is booking) this time
    attempt = book_offered_slot(slot=slot, user=user)
    if attempt.state == BookingAttempt.State.BOOKED:
        set_task_state(task=task, state=Task.State.DONE, user=user)
    return attempt
