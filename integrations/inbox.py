"""The webhook inbox: store every verified delivery first, process it second, replay on demand.

Provider views call ``accept_delivery`` (or ``record_failed_delivery`` for a verified body they
cannot parse) and answer 2xx at once; ``integrations.processing`` then claims the row in a
task and hands it to the provider's ``map_delivery``. A lost enqueue or a crashed worker
leaves the row ``received``, and the sweep sends it again after a minute.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from integrations import handoff, webhook_targets
from integrations.models import WebhookDelivery
from integrations.processing import ERROR_MAX, process_deliveries, process_delivery
from workspaces import audit, jsonsafe
from workspaces.models import Workspace

logger = logging.getLogger(__name__)

State = WebhookDelivery.State

SWEEP_AFTER = timedelta(minutes=1)
SWEEP_BATCH = 500
KEY_MAX = 255
EVENT_MAX = 100
HEADER_VALUE_MAX = 500


# Storing


def accept_delivery(
    *,
    provider: str,
    workspace: Workspace,
    dedupe_key: str,
    event: str,
    body: bytes,
    headers: dict[str, str],
) -> tuple[WebhookDelivery, bool]:
    """Store a verified delivery once and hand it to a worker once it is committed. A duplicate
    (same workspace, provider and dedupe key) finds the stored row, changed in nothing, and
    ``created=False``. Never raises for a broker problem: the sweep covers a lost hand-off.

    On PostgreSQL the row is stored (or found) by one statement (``handoff.store_once``), which
    also announces it when deliveries are handed off by NOTIFY. A key or event type the
    database can't hold (NUL, a lone surrogate) keeps the raw bytes as ``failed``, so the
    provider is answered and stops retrying, and it can be replayed."""
    unstorable = jsonsafe.unstorable_reason(f"{dedupe_key}{event}")
    if unstorable:
        return record_failed_delivery(
            provider=provider,
            workspace=workspace,
            body=body,
            headers=headers,
            error=f"Its id or event type {unstorable}: kept unprocessed, replayable.",
        )
    fields = {"workspace": workspace, "provider": provider, "dedupe_key": _key(dedupe_key)}
    values = {"event": (event or "")[:EVENT_MAX], "body": _bytes(body)}
    values["headers"] = _clean_headers(headers)
    if connection.vendor == "postgresql":
        # No savepoint: the one statement either stores, finds, or fails the whole request.
        with transaction.atomic(savepoint=False):
            _limit_statement_time()
            delivery, created, notified = handoff.store_once(**fields, **values)
            if created and not notified:
                transaction.on_commit(partial(enqueue, delivery.pk))
        return delivery, created
    try:
        with transaction.atomic():
            delivery = WebhookDelivery.objects.create(**fields, **values)
    except IntegrityError:
        existing = WebhookDelivery.objects.filter(**fields).first()
        if existing is None:
            raise
        return existing, False
    transaction.on_commit(partial(enqueue, delivery.pk))
    return delivery, True


def record_failed_delivery(
    *,
    provider: str,
    workspace: Workspace,
    body: bytes,
    headers: dict[str, str],
    error: str,
    event: str = "",
    dedupe_key: str = "",
) -> tuple[WebhookDelivery, bool]:
    """Keep a verified delivery we could not read (not JSON, wrong shape) as ``failed``, so
    nothing is lost and it can be replayed once the mapper copes. Duplicates are stored once."""
    body = _bytes(body)
    if jsonsafe.unstorable_reason(f"{dedupe_key}{event}"):
        dedupe_key, event = "", ""
    fields = {
        "workspace": workspace,
        "provider": provider,
        "dedupe_key": _key(dedupe_key or f"unreadable:{hashlib.sha256(body).hexdigest()}"),
    }
    try:
        with transaction.atomic():
            _limit_statement_time()
            delivery = WebhookDelivery.objects.create(
                **fields,
                event=(event or "")[:EVENT_MAX],
                body=body,
                headers=_clean_headers(headers),
                state=State.FAILED,
                last_error=_text(error or "unreadable body")[:ERROR_MAX],
            )
    except IntegrityError:
        existing = WebhookDelivery.objects.filter(**fields).first()
        if existing is None:
            raise
        return existing, False
    return delivery, True


def _limit_statement_time() -> None:
    """Storing runs on the webhook's request path, which must answer before the provider gives
    up: a statement that waits longer (a table lock, an overloaded server) is cancelled, raises
    OperationalError, and the view answers "retry" in time. Lasts until the transaction ends.
    A webhook request's lookup has usually set it already, in the same SELECT."""
    if connection.vendor != "postgresql" or webhook_targets.store_time_limited():
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('statement_timeout', %s, true)",
            [f"{settings.WEBHOOK_STORE_TIMEOUT_MS}ms"],
        )


def enqueue(delivery_id: int) -> None:
    """Send the row to a worker. A broker error is logged, never raised: the row stays
    ``received`` and the sweep sends it again."""
    try:
        process_delivery.delay(delivery_id)
    except Exception:
        logger.exception("Could not enqueue webhook delivery %s; the sweep will retry", delivery_id)


def enqueue_many(delivery_ids: list[int]) -> None:
    """Send rows that arrived together to a worker as one task (the dispatcher's bursts). A
    broker error is logged, never raised, as for ``enqueue``."""
    if len(delivery_ids) == 1:
        enqueue(delivery_ids[0])
        return
    try:
        process_deliveries.delay(list(delivery_ids))
    except Exception:
        logger.exception(
            "Could not enqueue %d webhook deliveries; the sweep will retry", len(delivery_ids)
        )


# Sweeping, replaying, pruning


def sweep_pending(*, now=None, limit: int = SWEEP_BATCH) -> int:
    """Re-enqueue rows left ``received`` for over a minute past when they were due (a lost
    enqueue, a crashed worker, an expired retry). Each row claimed is stamped, so the next
    sweep waits another minute for it."""
    now = now or timezone.now()
    due = Q(state=State.RECEIVED) & Q(due_at__lte=now - SWEEP_AFTER)
    with transaction.atomic():
        ids = list(
            WebhookDelivery.objects.annotate(due_at=Coalesce("retry_at", "received_at"))
            .filter(due)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("received_at")
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return 0
        WebhookDelivery.objects.filter(pk__in=ids).update(retry_at=now)
        for pk in ids:
            transaction.on_commit(partial(enqueue, pk))
    logger.info("Sweep re-enqueued %d pending webhook deliveries", len(ids))
    return len(ids)


def replay_delivery(
    *, delivery_id: int, workspace: Workspace | None = None, actor=None, actor_label: str = ""
) -> bool:
    """Send a failed or unmatched delivery through its mapper again. Returns False (and does
    nothing) when it is not replayable any more, so a second click is harmless."""
    with transaction.atomic():
        qs = WebhookDelivery.objects.select_for_update().filter(
            pk=delivery_id, state__in=WebhookDelivery.REPLAYABLE
        )
        if workspace is not None:
            qs = qs.filter(workspace=workspace)
        delivery = qs.select_related("workspace").first()
        if delivery is None:
            return False
        previous = delivery.state
        delivery.state = State.RECEIVED
        delivery.attempts = 0
        delivery.retry_at = None
        delivery.save(update_fields=["state", "attempts", "retry_at"])
        audit.record(
            workspace=delivery.workspace,
            action="delivery.replayed",
            actor=actor,
            actor_label=actor_label,
            changes={
                "delivery": delivery.pk,
                "provider": delivery.provider,
                "event": delivery.event,
                "state": [previous, State.RECEIVED],
            },
        )
        transaction.on_commit(partial(enqueue, delivery.pk))
    return True


def replay_deliveries(
    *,
    state: str,
    provider: str = "",
    workspace: Workspace | None = None,
    actor_label: str = "",
) -> int:
    """Replay every ``failed`` (or every ``unmatched``) delivery, optionally of one provider or
    workspace. One audit event per workspace touched."""
    if state not in WebhookDelivery.REPLAYABLE:
        raise ValueError(
            f"Only {', '.join(WebhookDelivery.REPLAYABLE)} deliveries can be replayed."
        )
    qs = WebhookDelivery.objects.filter(state=state)
    if provider:
        qs = qs.filter(provider=provider)
    if workspace is not None:
        qs = qs.filter(workspace=workspace)
    with transaction.atomic():
        rows = list(
            qs.select_for_update(skip_locked=True)
            .order_by("received_at")
            .values_list("pk", "workspace_id")
        )
        if not rows:
            return 0
        ids = [pk for pk, _ in rows]
        WebhookDelivery.objects.filter(pk__in=ids).update(
            state=State.RECEIVED, attempts=0, retry_at=None
        )
        per_workspace: dict[int, int] = {}
        for _, workspace_id in rows:
            per_workspace[workspace_id] = per_workspace.get(workspace_id, 0) + 1
        for ws in Workspace.objects.filter(pk__in=per_workspace):
            audit.record(
                workspace=ws,
                action="delivery.replayed",
                actor_label=actor_label or "replay_deliveries",
                changes={"state": [state, State.RECEIVED], "count": per_workspace[ws.pk]},
            )
        for pk in ids:
            transaction.on_commit(partial(enqueue, pk))
    return len(ids)


def prune_deliveries(*, older_than: timedelta, now=None) -> int:
    """Delete processed and ignored deliveries received more than ``older_than`` ago. Failed,
    unmatched and pending rows stay: they still need someone."""
    now = now or timezone.now()
    deleted, _ = WebhookDelivery.objects.filter(
        state__in=(State.PROCESSED, State.IGNORED), received_at__lt=now - older_than
    ).delete()
    return deleted


# Helpers


def _bytes(body) -> bytes:
    if isinstance(body, str):
        return body.encode()
    return bytes(body or b"")


def _key(dedupe_key: str) -> str:
    dedupe_key = dedupe_key or ""
    if not dedupe_key:
        raise ValueError("A delivery needs a dedupe key.")
    if len(dedupe_key) <= KEY_MAX:
        return dedupe_key
    return f"sha256:{hashlib.sha256(dedupe_key.encode()).hexdigest()}"


def _clean_headers(headers: dict[str, str] | None) -> dict[str, str]:
    return {_text(k)[:100]: _text(v)[:HEADER_VALUE_MAX] for k, v in (headers or {}).items()}


def _text(value) -> str:
    """Storable text: no NUL, no lone surrogate."""
    return str(value).replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
