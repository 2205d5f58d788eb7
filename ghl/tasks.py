"""Reconciliation: repair what missed webhooks left out, for each connected workspace.

``reconcile_all`` (beat, every 5 minutes) enqueues each connected workspace's
``reconcile_workspace`` for its slot in the five minutes (``integrations.spread``), which claims
the workspace with one conditional UPDATE when the slot comes. A sweep reads the calendar's
appointments from the last watermark to a month ahead and applies each through the same mapping
as the webhooks, with ``source=reconcile`` (a booking found only here still goes through
``record_booked``, so the follow-up engine reacts as for any booking). Our live appointments in
the window that GHL no longer lists are looked up one by one.

The claiming, the watermark and the back-off (a failed sweep never repeats itself every run; an
appointment that fails to apply waits its own turn) are ``integrations.reconcile``'s; this module
hands it the listing and the mapping.
"""

from __future__ import annotations

from datetime import timedelta

from booking.models import Appointment as OurAppointment
from followups.errors import (
    ProviderAuthError,
    ProviderBadRequest,
    ProviderNotConnected,
)
from integrations import reconcile

from . import connection
from .mapping import CANCELED_STATUSES, PROVIDER, AppointmentFacts, apply_appointment
from .types import Appointment

LOOKBACK = timedelta(days=2)  # at most this far behind now, whatever the watermark says
HORIZON = timedelta(days=30)  # "upcoming": what GHL can still change before it happens
MAX_LOOKUPS = 50  # per sweep: our appointments GHL stopped listing, checked one by one


def _repair(workspace, state, start, now) -> set[str]:
    account = connection.find_account(workspace)
    if account is None:
        raise ProviderNotConnected("GoHighLevel is not connected.")
    with connection.client_for(account) as client:
        events = client.events(account.calendar_id, start, now + HORIZON)
        failures = _apply_all(workspace, account, state, events, now)
        failures |= _check_missing(workspace, account, client, state, events, start, now)
    return failures


def _needs_reauth(workspace, error: ProviderAuthError) -> None:
    connection.mark_needs_reauth(workspace=workspace)


reconcile_all, reconcile_workspace = reconcile.tasks(
    reconcile.Sweep(
        provider=PROVIDER,
        lookback=LOOKBACK,
        connected_workspace_ids=connection.connected_workspace_ids,
        repair=_repair,
        on_auth_error=_needs_reauth,
    ),
    prefix="ghl.tasks",
)


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
