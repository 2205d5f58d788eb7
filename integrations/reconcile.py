"""The bookkeeping of a provider's reconcile sweep, the same for every provider.

A sweep re-reads a workspace's bookings at the provider and repairs what missed webhooks left
out. Its failures must never make it repeat itself every run (DOMAIN.md, Lessons), so:

- the beat enqueues each workspace's sweep for the workspace's slot in the interval
  (``integrations.spread``), not all at once; when the slot comes the sweep takes its
  ``claim`` with one conditional UPDATE, unless the workspace is backing off, another sweep
  holds it (a lease, in case that one never reports back) or it was swept less than half an
  interval ago (a late or second beat), so a workspace is swept at most once per interval;
- the watermark always advances, whatever happened, and the next sweep starts from it
  (``window_start``), a little before it and never further back than the provider's look-back;
- a workspace whose sweep fails waits longer each time (5 min, 10, 20… up to 6 h);
- one item (an appointment, a scheduled event) that fails to apply waits its own turn the same
  way while the others go through (``attempt``).

A provider app hands ``tasks`` a ``Sweep`` with its hooks (which workspaces are connected, how to
list and apply what changed, what a refused token means for its connection) and gets its two
Celery tasks back; it keeps its own listing and mapping (``ghl.tasks``, ``calendly.tasks``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery import shared_task
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from followups.errors import ProviderAuthError, ProviderError, ProviderNotConnected
from integrations import spread
from integrations.models import ReconcileState
from workspaces.models import Workspace

logger = logging.getLogger(__name__)

OVERLAP = timedelta(minutes=10)  # re-read a little before the watermark: clocks and lag
CLAIM_LEASE = timedelta(minutes=15)  # a claimed sweep that never reports back is retried then
BACKOFF_BASE = timedelta(minutes=5)
BACKOFF_MAX = timedelta(hours=6)
INTERVAL = 300.0  # seconds: the beat's period (config/celery.py passes it explicitly too)


@dataclass(frozen=True)
class Sweep:
    """One provider's hooks into the shared sweep.

    ``repair(workspace, state, start, now)`` reads the provider from ``start`` on, applies what
    disagrees with what we hold (each item through ``attempt``) and returns the keys of the items
    that failed; it raises ``ProviderNotConnected`` when the workspace has no usable connection
    and any other ``ProviderError`` when the whole sweep failed. ``on_auth_error`` marks the
    connection as needing the admin when the provider refused the token.
    """

    provider: str
    lookback: timedelta
    connected_workspace_ids: Callable[[], Iterable[int]]
    repair: Callable[[Workspace, ReconcileState, datetime, datetime], set[str]]
    on_auth_error: Callable[[Workspace, ProviderAuthError], None]


# provider → its ``reconcile_workspace`` task, for "Sync now" on the provider's card.
_workspace_tasks: dict[str, object] = {}


def tasks(sweep: Sweep, *, prefix: str):
    """The provider's two tasks, named ``<prefix>.reconcile_all`` (beat, every ``INTERVAL``:
    enqueues each connected workspace's sweep for its slot in the interval, ``spread``) and
    ``<prefix>.reconcile_workspace`` (one sweep)."""

    @shared_task(name=f"{prefix}.reconcile_workspace")
    def reconcile_workspace(workspace_id: int, interval: float | None = None) -> str:
        # With ``interval`` the beat enqueued it for the workspace's slot: it takes the claim
        # itself, and not when the workspace was swept less than half an interval ago (a late
        # or second beat's copy). Without, the caller took the claim ("Sync now").
        if interval is not None:
            now = timezone.now()
            recent = now - timedelta(seconds=interval / 2)
            if not claim(
                provider=sweep.provider, workspace_id=workspace_id, now=now, swept_before=recent
            ):
                return "skipped"
        return run(sweep, workspace_id)

    @shared_task(name=f"{prefix}.reconcile_all")
    def reconcile_all(interval: float = INTERVAL) -> int:
        return enqueue_due(sweep, reconcile_workspace, interval=interval, salt=prefix)

    _workspace_tasks[sweep.provider] = reconcile_workspace
    return reconcile_all, reconcile_workspace


def can_sync(provider: str) -> bool:
    return provider in _workspace_tasks


def sync_now(*, provider: str, workspace: Workspace) -> bool:
    """Enqueue one sweep of this workspace now ("Sync now"). Takes the same claim as the beat,
    so it never runs beside another sweep of the workspace nor cuts a failure's back-off short;
    False when that claim is held."""
    task = _workspace_tasks.get(provider)
    if task is None or not claim(provider=provider, workspace_id=workspace.pk, now=timezone.now()):
        return False
    task.delay(workspace.pk)
    return True


def enqueue_due(sweep: Sweep, task, *, interval: float, salt: str) -> int:
    """Enqueue each connected workspace's sweep for its next slot in the interval, except the
    workspaces backing off or being swept now; returns how many. Two statements and one
    publish per workspace: the claim is the task's, when its slot comes."""
    now = timezone.now()
    waiting = set(
        ReconcileState.objects.filter(provider=sweep.provider, next_run_at__gt=now).values_list(
            "workspace_id", flat=True
        )
    )
    due = [pk for pk in sweep.connected_workspace_ids() if pk not in waiting]
    return spread.enqueue(task, due, interval=interval, salt=salt)


def run(sweep: Sweep, workspace_id: int) -> str:
    """One workspace's sweep: "ok", "failed", "not connected" or "gone". The watermark advances
    whichever of the first two it is."""
    workspace = Workspace.objects.filter(pk=workspace_id, is_active=True).first()
    if workspace is None:
        return "gone"
    state = state_of(provider=sweep.provider, workspace=workspace)
    now = timezone.now()
    start = window_start(state.watermark, now, lookback=sweep.lookback)
    try:
        failures = sweep.repair(workspace, state, start, now)
    except ProviderNotConnected:
        return "not connected"
    except ProviderError as exc:
        if isinstance(exc, ProviderAuthError):
            sweep.on_auth_error(workspace, exc)
        failed(state, now, exc.safe_message)
        logger.warning(
            "%s reconcile of workspace %s failed: %s", sweep.provider, workspace_id, exc.detail
        )
        return "failed"
    succeeded(state, now, failures)
    return "ok"


def claim(
    *, provider: str, workspace_id: int, now: datetime, swept_before: datetime | None = None
) -> bool:
    """Take the workspace's next sweep, unless it is backing off or already claimed, or (with
    ``swept_before``) was swept after that time."""
    ReconcileState.objects.get_or_create(provider=provider, workspace_id=workspace_id)
    due = Q(next_run_at__isnull=True) | Q(next_run_at__lte=now)
    if swept_before is not None:
        due &= Q(last_run_at__isnull=True) | Q(last_run_at__lte=swept_before)
    return bool(
        ReconcileState.objects.filter(provider=provider, workspace_id=workspace_id)
        .filter(due)
        .update(next_run_at=now + CLAIM_LEASE)
    )


def state_of(*, provider: str, workspace) -> ReconcileState:
    state, _ = ReconcileState.objects.get_or_create(provider=provider, workspace=workspace)
    return state


def window_start(watermark: datetime | None, now: datetime, *, lookback: timedelta) -> datetime:
    floor = now - lookback
    if watermark is None:
        return floor
    return max(min(watermark, now) - OVERLAP, floor)


def attempt(state: ReconcileState, key: str, now: datetime, apply: Callable[[], object]) -> bool:
    """Run ``apply`` for one item unless it is waiting out its back-off; True when it went
    through. A refused token travels up (the whole sweep fails); any other error is this
    item's, remembered with its own back-off."""
    waiting = state.item_failures.get(key)
    retry_at = _parse(waiting.get("retry_at")) if waiting else None
    if retry_at is not None and retry_at > now:
        return False
    try:
        apply()
    except ProviderAuthError:
        raise
    except Exception as exc:  # one bad item must not stop the others
        logger.warning("%s reconcile could not apply %s: %r", state.provider, key, exc)
        count = (waiting or {}).get("failures", 0) + 1
        state.item_failures[key] = {
            "failures": count,
            "retry_at": (now + backoff(count)).isoformat(),
            "error": type(exc).__name__,
        }
        return False
    state.item_failures.pop(key, None)
    return True


def succeeded(state: ReconcileState, now: datetime, failures: set[str]) -> None:
    # Forget the back-off of items that left the window.
    state.item_failures = {k: v for k, v in state.item_failures.items() if k in failures}
    state.consecutive_failures = 0
    state.last_error = ""
    _advance(state, now, next_run_at=None)


def failed(state: ReconcileState, now: datetime, message: str) -> None:
    state.consecutive_failures += 1
    state.last_error = message[:500]
    _advance(state, now, next_run_at=now + backoff(state.consecutive_failures))


def backoff(failures: int) -> timedelta:
    return min(BACKOFF_BASE * 2 ** max(failures - 1, 0), BACKOFF_MAX)


def _advance(state: ReconcileState, now: datetime, *, next_run_at) -> None:
    state.watermark = now
    state.last_run_at = now
    state.next_run_at = next_run_at
    state.save()


def _parse(value) -> datetime | None:
    return parse_datetime(value) if isinstance(value, str) else None
