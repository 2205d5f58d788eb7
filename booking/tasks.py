from celery import shared_task


@shared_task(name="booking.tasks.auto_book")
def auto_book(message_id: int) -> None:
    """Read the reply and book the accepted time (filled by the auto-booking work)."""
