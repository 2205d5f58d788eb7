"""A lead's booking attempt that has not ended (pending, or its outcome unknown), and the reason
nothing else may be booked or offered for the lead meanwhile.

Auto-booking's in-flight gate already refuses a second attempt; the lead page and the booking
API ask here so that a setter is told the same thing before clicking, not after: while the
calendar may hold the booking, a second one could book the lead twice."""

from __future__ import annotations

from booking.models import BookingAttempt

IN_FLIGHT = (BookingAttempt.State.PENDING, BookingAttempt.State.UNKNOWN)


def attempt_in_flight(lead) -> BookingAttempt | None:
    return BookingAttempt.objects.filter(lead=lead, state__in=IN_FLIGHT).order_by("id").first()


def refusal(attempt: BookingAttempt) -> str:
    """Why the lead can't be booked or offered times now, in a setter's words."""
    if attempt.state == BookingAttempt.State.UNKNOWN:
        why = (
            "the calendar did not answer, and we are asking it whether the booking was made "
            "(it resolves by itself)"
        )
    else:
        why = "it is still in progress (it resolves by itself)"
    return (
        f"Booking attempt #{attempt.pk} for this lead has not ended: {why}. Nothing else can be "
        "booked or offered for the lead until it does, so it is never booked twice."
    )
