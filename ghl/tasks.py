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
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from booking.models import Appointment as OurAppointment
from followups.errors import ProviderAuthError, ProviderBadRequest, ProviderError
from integrations import reconcile
from workspaces.models import Workspace

from . import connection
from .mapping import CANCELED_STATUSES, PROVIDER, AppointmentFacts, apply_appointment
from .types import Appointment

logger = logging.getLogger(__name__)

LOOKBACK = timedelta(days=2)  # at most this far behind now, whatever the watermark says
HORIZON = timedelta(days=30)  # "upcoming": what GHL can still change before it happens
MAX_LOOKUPS = 50  # per sweep: our appointments GHL stopped listing, checked one by one


@shared_task(name="ghl.tasks.reconcile_all")
def reconcile_all() -> int:
    """Enqueue a sweep for every connected workspace that is due; returns how many."""
    now = timezone.now()
    enqueued = 0
    for workspace_id in connection.connected_workspace_ids():
        if reconcile.claim(provider=PROVIDER, workspace_id=workspace_id, now=now):
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
    state = reconcile.state_of(provider=PROVIDER, workspace=workspace)
    now = timezone.now()
    start = reconcile.window_start(state.watermark, now, lookback=LOOKBACK)
    try:
        with connection.client_for(account) as client:
            events = client.events(account.calendar_id, start, now + HORIZON)
            failures = _apply_all(workspace, account, state, events, now)
            failures |= _check_missing(workspace, account, client, state, events, start, now)
    except ProviderError as exc:
        if isinstance(exc, ProviderAuthError):
            connection.mark_needs_reauth(workspace=workspace)
        reconcile.failed(state, now, exc.safe_message)
        logger.warning("GHL reconcile of workspace %s failed: %s", workspace_id, exc.detail)
        return "failed"
    reconcile.succeeded(state, now, failures)
    return "ok"


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
        # The look-up is part of the item: one that GHL can't answer waits its own turn.
        def repair(appointment=appointment) -> None:
            facts = _look_up(client, appointment)
            if facts is not None:
                apply_appointment(
                    workspace=workspace, account=account, facts=facts, source="reconcile"
                )

        if not reconcile.attempt(state, appointment.external_id, now, repair):
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
    return reconcile.attempt(
        state,
        facts.appointment_id,
        now,
        lambda: apply_appointment(
            workspace=workspace, account=account, facts=facts, source="reconcile"
        ),
    )


def _facts(event: Appointment) -> AppointmentFacts:
    return AppointmentFacts(
        appointment_id=event.id,
        contact_id=event.contact_id,
        calendar_id=event.calendar_id,
        status=event.status,
        start=event.start,
        end=event.end,
    )
