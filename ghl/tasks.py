"""Reconciliation: repair what missed webhooks left out, for each connected workspace.

``reconcile_all`` (beat, every 5 minutes) claims each due workspace with one conditional UPDATE
and enqueues ``reconcile_workspace``. A sweep reads the calendar's appointments from the last
watermark to a month ahead and applies each through the same mapping as the webhooks, with
``source=reconcile`` (a booking found only here still goes through ``record_booked``, so the
follow-up engine reacts as for any booking). Our live appointments in the window that GHL no
longer lists are looked up one by one.

Failures never make the sweep repeat itself every run: the watermark always advances; a
workspace whose sweep fails waits longer each time (5 min, 10, 20… up to 6 h); an appointment
that fails to apply waits its own turn the same way while the others go through.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from celery import shared_task
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from booking.models import Appointment as OurAppointment
from integrations.errors import ProviderAuthError, ProviderBadRequest, ProviderError
from workspaces.models import Workspace

from . import connection
from .mapping import CANCELED_STATUSES, PROVIDER, AppointmentFacts, apply_appointment
from .models import ReconcileState
from .types import Appointment

logger = logging.getLogger(__name__)

LOOKBACK = timedelta(days=2)  # at most this far behind now, whatever the watermark says
OVERLAP = timedelta(minutes=10)  # re-read a little before the watermark: clocks and lag
HORIZON = timedelta(days=30)  # "upcoming": what GHL can still change before it happens
CLAIM_LEASE = timedelta(minutes=15)  # a claimed sweep that never reports back is retried then
BACKOFF_BASE = timedelta(minutes=5)
BACKOFF_MAX = timedelta(hours=6)
MAX_LOOKUPS = 50  # per sweep: our appointments GHL stopped listing, checked one by one


@shared_task(name="ghl.tasks.reconcile_all")
def reconcile_all() -> int:
    """Enqueue a sweep for every connected workspace that is due; returns how many."""
    now = timezone.now()
    enqueued = 0
    for workspace_id in connection.connected_workspace_ids():
        if _claim(workspace_id, now):
            reconcile_workspace.delay(workspace_id)
            enqueued += 1
    return enqueued


@shared_task(name="ghl.tasks.reconcile_workspace")
def reconcile_workspace(workspace_id: int) -> str:
    workspace = Workspace.objects.filter(pk=workspace_id, is_active=True).first()
    if workspace is None:
        return "gone"
    account = connection.find_account(workspace)
    if account is None:
        return "not connected"
    state, _ = ReconcileState.objects.get_or_create(workspace=workspace)
    now = timezone.now()
    start = _window_start(state.watermark, now)
    try:
        with connection.client_for(account) as client:
            events = client.events(account.calendar_id, start, now + HORIZON)
            failures = _apply_all(workspace, account, state, events, now)
            failures |= _check_missing(workspace, account, client, state, events, start, now)
    except ProviderError as exc:
        if isinstance(exc, ProviderAuthError):
            connection.mark_needs_reauth(workspace=workspace)
        _failed(state, now, exc.safe_message)
        logger.warning("GHL reconcile of workspace %s failed: %s", workspace_id, exc.detail)
        return "failed"
    _succeeded(state, now, failures)
    return "ok"


def _claim(workspace_id: int, now: datetime) -> bool:
    """Take the workspace's next sweep, unless it is backing off or already claimed."""
    ReconcileState.objects.get_or_create(workspace_id=workspace_id)
    return bool(
        ReconcileState.objects.filter(workspace_id=workspace_id)
        .filter(Q(next_run_at__isnull=True) | Q(next_run_at__lte=now))
        .update(next_run_at=now + CLAIM_LEASE)
    )


def _window_start(watermark: datetime | None, now: datetime) -> datetime:
    floor = now - LOOKBACK
    if watermark is None:
        return floor
    return max(min(watermark, now) - OVERLAP, floor)


def _apply_all(workspace, account, state, events: list[Appointment], now) -> set[str]:
    """Apply each appointment; returns the ids that failed (now or still waiting)."""
    known = set(
        OurAppointment.objects.filter(
            workspace=workspace, provider=PROVIDER, external_id__in=[e.id for e in events]
        ).values_list("external_id", flat=True)
    )
    failed = set()
    for event in events:
        if event.status in CANCELED_STATUSES and event.id not in known:
            continue  # a cancel of something we never had: nothing to repair
        if not _apply_one(workspace, account, state, _facts(event), now):
            failed.add(event.id)
    return failed


def _check_missing(workspace, account, client, state, events, start, now) -> set[str]:
    """Our live appointments in the window that GHL no longer lists: deleted or moved away."""
    listed = {event.id for event in events}
    ours = (
        OurAppointment.objects.filter(
            workspace=workspace,
            provider=PROVIDER,
            status=OurAppointment.Status.BOOKED,
            start_at__gte=start,
            start_at__lt=now + HORIZON,
        )
        .exclude(external_id__in=listed)
        .order_by("start_at")[:MAX_LOOKUPS]
    )
    failed = set()
    for appointment in ours:
        facts = _look_up(client, appointment)
        if facts is not None and not _apply_one(workspace, account, state, facts, now):
            failed.add(appointment.external_id)
    return failed


def _look_up(client, appointment: OurAppointment) -> AppointmentFacts | None:
    try:
        found = client.get_appointment(appointment.external_id)
    except ProviderBadRequest as exc:
        if exc.status != 404:
            raise
        return AppointmentFacts(
            appointment_id=appointment.external_id,
            contact_id="",
            calendar_id="",
            status="deleted",
            start=None,
            end=None,
        )
    return _facts(found)


def _apply_one(workspace, account, state, facts: AppointmentFacts, now) -> bool:
    """Apply one appointment unless it is waiting out its back-off; True when it went through."""
    waiting = state.item_failures.get(facts.appointment_id)
    retry_at = _parse(waiting.get("retry_at")) if waiting else None
    if retry_at is not None and retry_at > now:
        return False
    try:
        apply_appointment(workspace=workspace, account=account, facts=facts, source="reconcile")
    except ProviderAuthError:
        raise
    except Exception as exc:  # one bad appointment must not stop the others
        logger.exception("GHL reconcile could not apply appointment %s", facts.appointment_id)
        count = (waiting or {}).get("failures", 0) + 1
        state.item_failures[facts.appointment_id] = {
            "failures": count,
            "retry_at": (now + _backoff(count)).isoformat(),
            "error": type(exc).__name__,
        }
        return False
    state.item_failures.pop(facts.appointment_id, None)
    return True


def _facts(event: Appointment) -> AppointmentFacts:
    return AppointmentFacts(
        appointment_id=event.id,
        contact_id=event.contact_id,
        calendar_id=event.calendar_id,
        status=event.status,
        start=event.start,
        end=event.end,
    )


def _succeeded(state: ReconcileState, now: datetime, failures: set[str]) -> None:
    # Forget the back-off of appointments that left the window.
    state.item_failures = {k: v for k, v in state.item_failures.items() if k in failures}
    state.consecutive_failures = 0
    state.last_error = ""
    _advance(state, now, next_run_at=None)


def _failed(state: ReconcileState, now: datetime, message: str) -> None:
    state.consecutive_failures += 1
    state.last_error = message[:500]
    _advance(state, now, next_run_at=now + _backoff(state.consecutive_failures))


def _advance(state: ReconcileState, now: datetime, *, next_run_at) -> None:
    state.watermark = now
    state.last_run_at = now
    state.next_run_at = next_run_at
    state.save()


def _backoff(failures: int) -> timedelta:
    return min(BACKOFF_BASE * 2 ** max(failures - 1, 0), BACKOFF_MAX)


def _parse(value) -> datetime | None:
    return parse_datetime(value) if isinstance(value, str) else None
