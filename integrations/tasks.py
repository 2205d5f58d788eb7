"""Celery tasks of the webhook inbox (routed to the ``webhooks`` queue by config/celery.py).
``process_delivery`` is defined beside its work in ``integrations.processing``."""

from celery import shared_task

from integrations import inbox
from integrations.processing import process_deliveries, process_delivery

# The worker finds them all here.
__all__ = ["process_deliveries", "process_delivery", "sweep_pending_deliveries"]


@shared_task(name="integrations.tasks.sweep_pending_deliveries")
def sweep_pending_deliveries() -> int:
    return inbox.sweep_pending()
