"""Celery tasks of the webhook inbox (routed to the ``webhooks`` queue by config/celery.py)."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from integrations import inbox


@shared_task(bind=True, name="integrations.tasks.process_delivery", max_retries=None)
def process_delivery(self, delivery_id: int) -> str | None:
    """Process one stored delivery; transient errors come back with back-off. Running it twice
    is harmless: the second run finds the row claimed or done."""
    try:
        outcome = inbox.process(delivery_id)
    except (OperationalError, InterfaceError) as exc:
        # The database itself is unreachable: the row is still ``received``.
        if self.request.is_eager or self.request.retries >= inbox.MAX_ATTEMPTS:
            return None  # the sweep picks it up
        raise self.retry(countdown=inbox.backoff_for_retry(self.request.retries), exc=exc) from exc
    if outcome is None:
        return None
    if outcome.retry_in is not None and not self.request.is_eager:
        # Eager mode (no broker) would retry at once and burn the attempts: the sweep retries.
        raise self.retry(countdown=outcome.retry_in)
    return outcome.state


@shared_task(name="integrations.tasks.sweep_pending_deliveries")
def sweep_pending_deliveries() -> int:
    return inbox.sweep_pending()
