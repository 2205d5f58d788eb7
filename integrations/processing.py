"""Processing a stored webhook delivery: claim the row with ``SELECT … FOR UPDATE SKIP LOCKED``,
hand it to the provider's ``map_delivery``, and record the final state or a retry with back-off.

The Celery task lives here, beside the work it runs, so ``integrations.inbox`` can enqueue it
without the task module importing the inbox back (its sweep does).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from followups.errors import ProviderAuthError, ProviderError, ProviderRateLimited
from integrations import connections
from integrations.models import Connection, WebhookDelivery
from integrations.providers import get_spec

logger = logging.getLogger(__name__)

State = WebhookDelivery.State

MAX_ATTEMPTS = 8
BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP_SECONDS = 3600
ERROR_MAX = 2000


@dataclass(frozen=True)
class Outcome:
    """What one processing attempt left: a final state, or ``received`` with ``retry_in``
    seconds when the error was transient."""

    state: str
    retry_in: int | None = None


def process(delivery_id: int) -> Outcome | None:
    """One attempt at a stored delivery. None when another worker holds it or it is no longer
    ``received`` (so a duplicated task does nothing).

    The mapper runs in the claim's transaction without a savepoint of its own (two statements
    fewer per delivery): a mapper that fails rolls the whole transaction back, so none of its
    writes stay, and the failure is recorded in a second transaction that claims the row again
    only if nobody touched it meanwhile (same ``attempts``, still ``received``)."""
    failure = None
    with transaction.atomic():
        delivery = _claim(delivery_id)
        if delivery is None:
            return None
        try:
            state = get_spec(delivery.provider).map_delivery(delivery)
        except Exception as exc:
            failure = exc
            transaction.set_rollback(True)
        else:
            delivery.attempts += 1
            return _record_result(delivery, state)
    return _record_failure(delivery_id, delivery.attempts, failure)


def _claim(delivery_id: int, *, attempts: int | None = None) -> WebhookDelivery | None:
    # ``of=("self",)``: the workspace and the connection's settings are read with the row (one
    # statement for all three), never locked with it.
    rows = WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",)).filter(
        pk=delivery_id, state=State.RECEIVED
    )
    if attempts is not None:
        rows = rows.filter(attempts=attempts)
    config = Connection.objects.filter(
        workspace=OuterRef("workspace"), provider=OuterRef("provider")
    )
    return (
        rows.select_related("workspace")
        .annotate(connection_config=Subquery(config.values("config")[:1]))
        .first()
    )


def _record_failure(delivery_id: int, attempts: int, exc: Exception) -> Outcome | None:
    with transaction.atomic():
        delivery = _claim(delivery_id, attempts=attempts)
        if delivery is None:  # another run claimed it between the two transactions
            return None
        delivery.attempts += 1
        return _record_error(delivery, exc)


def _record_result(delivery: WebhookDelivery, state) -> Outcome:
    if state not in WebhookDelivery.FINAL_FROM_MAPPER:
        delivery.state = State.FAILED
        delivery.last_error = f"The mapper returned {state!r}, not processed/ignored/unmatched."
    else:
        delivery.state = state
        delivery.last_error = ""
    delivery.processed_at = timezone.now()
    delivery.retry_at = None
    delivery.save(update_fields=["state", "attempts", "last_error", "processed_at", "retry_at"])
    return Outcome(state=delivery.state)


def _record_error(delivery: WebhookDelivery, exc: Exception) -> Outcome:
    text = _error_text(exc)
    if _is_transient(exc) and delivery.attempts < MAX_ATTEMPTS:
        delay = _backoff(delivery.attempts, exc)
        logger.warning(
            "Delivery %s (%s) failed transiently, retry in %ss: %s",
            delivery.pk,
            delivery.provider,
            delay,
            text,
        )
        delivery.last_error = text
        delivery.retry_at = timezone.now() + timedelta(seconds=delay)
        delivery.save(update_fields=["attempts", "last_error", "retry_at"])
        return Outcome(state=State.RECEIVED, retry_in=delay)
    if _is_transient(exc):
        text = f"Gave up after {delivery.attempts} attempts: {text}"
    if isinstance(exc, ProviderAuthError):
        # The token was refused while mapping: no later delivery will do better until an
        # admin reconnects, so say so on the card.
        connections.mark_needs_reauth(
            workspace=delivery.workspace, provider=delivery.provider, error=exc.safe_message
        )
    if isinstance(exc, ProviderError):
        logger.warning("Delivery %s failed: %s %s", delivery.pk, text, exc.detail[:500])
    else:
        logger.error("Delivery %s (%s) failed", delivery.pk, delivery.provider, exc_info=exc)
    delivery.state = State.FAILED
    delivery.last_error = text
    delivery.processed_at = timezone.now()
    delivery.retry_at = None
    delivery.save(update_fields=["state", "attempts", "last_error", "processed_at", "retry_at"])
    return Outcome(state=State.FAILED)


def _is_transient(exc: Exception) -> bool:
    if isinstance(exc, ProviderError):
        return not exc.permanent
    return isinstance(exc, OperationalError | InterfaceError)


def _backoff(attempt: int, exc: Exception | None = None) -> int:
    delay = min(BACKOFF_BASE_SECONDS * 2 ** (attempt - 1), BACKOFF_CAP_SECONDS)
    if isinstance(exc, ProviderRateLimited) and exc.retry_after:
        delay = max(delay, min(int(exc.retry_after) + 1, BACKOFF_CAP_SECONDS))
    return delay


def backoff_for_retry(retries: int) -> int:
    """The task's own countdown when the database itself was unreachable."""
    return _backoff(retries + 1)


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ProviderError):
        return exc.safe_message[:ERROR_MAX]
    return f"{type(exc).__name__}: {exc}"[:ERROR_MAX]


@shared_task(bind=True, name="integrations.tasks.process_delivery", max_retries=None)
def process_delivery(self, delivery_id: int) -> str | None:
    """Process one stored delivery; transient errors come back with back-off. Running it twice
    is harmless: the second run finds the row claimed or done."""
    try:
        outcome = process(delivery_id)
    except (OperationalError, InterfaceError) as exc:
        # The database itself is unreachable: the row is still ``received``.
        if self.request.is_eager or self.request.retries >= MAX_ATTEMPTS:
            return None  # the sweep picks it up
        raise self.retry(countdown=backoff_for_retry(self.request.retries), exc=exc) from exc
    if outcome is None:
        return None
    if outcome.retry_in is not None and not self.request.is_eager:
        # Eager mode (no broker) would retry at once and burn the attempts: the sweep retries.
        raise self.retry(countdown=outcome.retry_in)
    return outcome.state


@shared_task(bind=True, name="integrations.tasks.process_deliveries", max_retries=None)
def process_deliveries(self, delivery_ids: list[int]) -> int:
    """Process several stored deliveries, each in its own transaction exactly as
    ``process_delivery`` does: the dispatcher sends what arrived together as one message, so a
    burst costs the broker and the worker one task, not one per delivery. A delivery that must
    be tried again later gets its own delayed ``process_delivery``; what a killed or timed-out
    run left behind is still ``received`` (a redelivered message, another task, or the sweep
    finishes it). Returns how many reached a final state here."""
    done = 0
    for index, pk in enumerate(delivery_ids):
        try:
            outcome = process(pk)
        except (OperationalError, InterfaceError) as exc:
            if self.request.is_eager or self.request.retries >= MAX_ATTEMPTS:
                return done  # the sweep picks the rest up
            rest = list(delivery_ids[index:])
            countdown = backoff_for_retry(self.request.retries)
            raise self.retry(args=(rest,), countdown=countdown, exc=exc) from exc
        except SoftTimeLimitExceeded:
            # One slow delivery (a provider answering slowly) must not hold the others.
            if delivery_ids[index + 1 :]:
                process_deliveries.delay(list(delivery_ids[index + 1 :]))
            raise
        if outcome is None:
            continue
        if outcome.retry_in is not None:
            if not self.request.is_eager:
                process_delivery.apply_async((pk,), countdown=outcome.retry_in)
            continue
        done += 1
    return done
