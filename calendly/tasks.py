"""Calendly's periodic work (routed to the ``providers`` queue by config/celery.py).

**Subscriptions**: ``ensure_subscription`` runs on connect, from the card's Repair button, and for
every workspace with a working token from ``check_all_subscriptions`` (beat, every 10 minutes),
which enqueues each workspace's check for its slot in the ten minutes (``integrations.spread``):
see ``calendly.subscriptions``.

**Reconciliation**: ``reconcile_all`` (beat, every 5 minutes) enqueues each connected
workspace's ``reconcile_workspace`` for its slot in the five minutes, which claims the workspace
with one conditional UPDATE when the slot comes. A sweep lists the connected user's
scheduled events (the organization's when the subscription is organization-scoped) from the last
watermark (at most a day back) to 60 days ahead, and for those of the booked or a tracked event
type that disagree with what we hold (an active one we don't have, a canceled one
we still hold as booked) reads the invitees and applies them through the same mapping as the
webhooks, with ``source=reconcile``: a booking found only here still goes through
``record_booked``, so the follow-up engine reacts as for any booking. An event whose hosts
changed (a round robin's reassignment) has them rewritten on our appointments.

The claiming, the watermark and the back-off (a failed sweep never repeats itself every run; an
event that fails to apply waits its own turn) are ``integrations.reconcile``'s; this module hands
it the listing and the mapping.
"""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from booking.models import Appointment
from followups.errors import ProviderAuthError
from integrations import reconcile, spread
from workspaces.models import Workspace

from . import subscriptions
from .account import (
    account_for,
    client_for,
    connected_workspace_ids,
    mark_needs_reauth,
    workspace_ids_with_credentials,
)
from .mapping import PROVIDER, apply_invitee, record_hosts
from .organization import whose_events
from .payloads import INVITEE_CANCELED, INVITEE_CREATED
from .types import ScheduledEvent

LOOKBACK = timedelta(days=1)  # at most this far behind now, whatever the watermark says
HORIZON = timedelta(days=60)  # what can still change before it happens
SUBSCRIPTIONS_INTERVAL = 600.0  # seconds: the beat's period (config/celery.py passes it too)


# Subscriptions


@shared_task(name="calendly.tasks.ensure_subscription")
def ensure_subscription(workspace_id: int, interval: float | None = None) -> str:
    """Check the workspace's webhook subscription and repair it; returns the state left. With
    ``interval`` (the beat's check) nothing is done when it was checked less than half an
    interval ago."""
    workspace = Workspace.objects.filter(pk=workspace_id, is_active=True).first()
    if workspace is None:
        return "gone"
    recent = timezone.now() - timedelta(seconds=interval / 2) if interval is not None else None
    return subscriptions.ensure(workspace=workspace, checked_before=recent).state


@shared_task(name="calendly.tasks.check_all_subscriptions")
def check_all_subscriptions(interval: float = SUBSCRIPTIONS_INTERVAL) -> int:
    """The health check: each workspace with a working token gets one ``ensure_subscription``,
    at its slot in the interval."""
    return spread.enqueue(
        ensure_subscription,
        workspace_ids_with_credentials(),
        interval=interval,
        salt="calendly.tasks.check_all_subscriptions",
    )


# Reconciliation


def _repair(workspace, state, start, now) -> set[str]:
    account = account_for(workspace)
    whose = whose_events(workspace, user=account.user_uri, organization=account.organization_uri)
    with client_for(account) as client:
        events = client.scheduled_events(
            **whose, min_start_time=start, max_start_time=now + HORIZON
        )
        return _apply_all(workspace, account, client, state, events, now)


def _needs_reauth(workspace, error: ProviderAuthError) -> None:
    mark_needs_reauth(workspace=workspace, error=error.safe_message)


reconcile_all, reconcile_workspace = reconcile.tasks(
    reconcile.Sweep(
        provider=PROVIDER,
        lookback=LOOKBACK,
        connected_workspace_ids=connected_workspace_ids,
        repair=_repair,
        on_auth_error=_needs_reauth,
    ),
    prefix="calendly.tasks",
)


def _apply_all(workspace, account, client, state, events: list[ScheduledEvent], now) -> set[str]:
    """Apply the events that disagree with what we hold; returns the URIs that failed."""
    ours = [event for event in events if event.event_type.rstrip("/") in account.watched]
    rows = Appointment.objects.filter(
        workspace=workspace, provider=PROVIDER, secondary_id__in=[e.uri for e in ours]
    ).values_list("secondary_id", "status", "hosts")
    held = {uri: status for uri, status, _ in rows}
    hosted = {uri: [h.get("email") for h in hosts] for uri, _, hosts in rows}
    failed = set()
    for event in ours:
        if event.uri in hosted and hosted[event.uri] != list(event.host_emails):
            record_hosts(workspace, event)  # reassigned (a round robin's other host)
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
