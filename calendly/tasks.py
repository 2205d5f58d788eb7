"""Calendly's periodic work (routed to the ``providers`` queue by config/celery.py).

**Subscriptions**: ``ensure_subscription`` runs on connect, from the card's Repair button, and for
every workspace with a working token from ``check_all_subscriptions`` (beat, every 10 minutes):
see ``calendly.subscriptions``.

**Reconciliation**: ``reconcile_all`` (beat, every 5 minutes) claims each due workspace with one
conditional UPDATE and enqueues ``reconcile_workspace``. A sweep lists the connected user's
scheduled events from the last watermark (at most a day back) to 60 days ahead, and for those of
the chosen event type that disagree with what we hold (an active one we don't have, a canceled one
we still hold as booked) reads the invitees and applies them through the same mapping as the
webhooks, with ``source=reconcile``: a booking found only here still goes through
``record_booked``, so the follow-up engine reacts as for any booking.

Failures never make the sweep repeat itself every run: the watermark always advances; a
workspace whose sweep fails waits longer each time (5 min, 10, 20… up to 6 h); an event that
fails to apply waits its own turn the same way while the others go through.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from booking.models import Appointment
from followups.errors import ProviderAuthError, ProviderError, ProviderNotConnected
from integrations import reconcile
from workspaces.models import Workspace

from . import subscriptions
from .account import (
    account_for,
    client_for,
    connected_workspace_ids,
    mark_needs_reauth,
    workspace_ids_with_credentials,
)
from .mapping import PROVIDER, apply_invitee
from .payloads import INVITEE_CANCELED, INVITEE_CREATED
from .types import ScheduledEvent

logger = logging.getLogger(__name__)

LOOKBACK = timedelta(days=1)  # at most this far behind now, whatever the watermark says
HORIZON = timedelta(days=60)  # what can still change before it happens


# Subscriptions


@shared_task(name="calendly.tasks.ensure_subscription")
def ensure_subscription(workspace_id: int) -> str:
    """Check the workspace's webhook subscription and repair it; returns the state left."""
    workspace = Workspace.objects.filter(pk=workspace_id, is_active=True).first()
    if workspace is None:
        return "gone"
    return subscriptions.ensure(workspace=workspace).state


@shared_task(name="calendly.tasks.check_all_subscriptions")
def check_all_subscriptions() -> int:
    """The health check: one ``ensure_subscription`` per workspace with a working token."""
    ids = workspace_ids_with_credentials()
    for workspace_id in ids:
        ensure_subscription.delay(workspace_id)
    return len(ids)


# Reconciliation


@shared_task(name="calendly.tasks.reconcile_all")
def reconcile_all() -> int:
    """Enqueue a sweep for every connected workspace that is due; returns how many."""
    now = timezone.now()
    enqueued = 0
    for workspace_id in connected_workspace_ids():
        if reconcile.claim(provider=PROVIDER, workspace_id=workspace_id, now=now):
            reconcile_workspace.delay(workspace_id)
            enqueued += 1
    return enqueued


@shared_task(name="calendly.tasks.reconcile_workspace")
def reconcile_workspace(workspace_id: int) -> str:
    workspace = Workspace.objects.filter(pk=workspace_id, is_active=True).first()
    if workspace is None:
        return "gone"
    state = reconcile.state_of(provider=PROVIDER, workspace=workspace)
    now = timezone.now()
    try:
        account = account_for(workspace)
        start = reconcile.window_start(state.watermark, now, lookback=LOOKBACK)
        with client_for(account) as client:
            events = client.scheduled_events(
                user=account.user_uri, min_start_time=start, max_start_time=now + HORIZON
            )
            failures = _apply_all(workspace, account, client, state, events, now)
    except ProviderNotConnected:
        return "not connected"
    except ProviderError as exc:
        if isinstance(exc, ProviderAuthError):
            mark_needs_reauth(workspace=workspace, error=exc.safe_message)
        reconcile.failed(state, now, exc.safe_message)
        logger.warning("Calendly reconcile of workspace %s failed: %s", workspace_id, exc.detail)
        return "failed"
    reconcile.succeeded(state, now, failures)
    return "ok"


def _apply_all(workspace, account, client, state, events: list[ScheduledEvent], now) -> set[str]:
    """Apply the events that disagree with what we hold; returns the URIs that failed."""
    ours = [event for event in events if event.event_type == account.event_type_uri]
    held = dict(
        Appointment.objects.filter(
            workspace=workspace, provider=PROVIDER, secondary_id__in=[e.uri for e in ours]
        ).values_list("secondary_id", "status")
    )
    failed = set()
    for event in ours:
        if not _disagrees(event, held.get(event.uri)):
            continue
        if not _apply_one(workspace, client, state, event, now):
            failed.add(event.uri)
    return failed


def _disagrees(event: ScheduledEvent, held_status: str | None) -> bool:
    if event.is_canceled:
        # A cancel of something we never had is nothing to repair.
        return held_status == Appointment.Status.BOOKED
    return held_status is None


def _apply_one(workspace, client, state, event: ScheduledEvent, now) -> bool:
    """Apply one event's invitees unless it is waiting out its back-off; True when it went
    through."""

    def apply() -> None:
        for invitee in client.event_invitees(event.uri):
            apply_invitee(
                workspace=workspace,
                event_name=INVITEE_CANCELED if invitee.is_canceled else INVITEE_CREATED,
                invitee=invitee,
                scheduled_event=event,
                source="reconcile",
            )

    return reconcile.attempt(state, event.uri, now, apply)
