"""Celery entry points of auto-booking. Each is idempotent and safe to run twice at once."""

from celery import shared_task

from booking import attempts, autobook


@shared_task(name="booking.tasks.auto_book")
def auto_book(message_id: int) -> str:
    """Read the reply and book the accepted time, through every safety gate (booking.autobook)."""
    return autobook.process_reply(message_id=message_id)


@shared_task(name="booking.tasks.resolve_unknown_attempts")
def resolve_unknown_attempts() -> int:
    """Ask the provider about bookings whose outcome is unknown, with back-off (every 2 min)."""
    return attempts.resolve_unknown_attempts()
