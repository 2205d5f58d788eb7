"""Stored Calendly deliveries (and reconciled invitees) → calls of the booking lifecycle.

``map_delivery`` is what the webhook inbox's task calls for a ``calendly`` delivery; it answers
the delivery's final state: ``processed``, ``ignored`` (another event type, an event we don't
act on) or ``unmatched`` (no lead, and the workspace keeps unmatched bookings). The lifecycle is
keyed on the invitee URI (with the scheduled event URI beside it), so everything here is
idempotent and order-free: a cancel before its booking ends canceled, the two halves of a
reschedule may arrive either way round, a replay changes nothing.

- ``invitee.created`` → booked; with ``old_invitee`` it is the new half of a reschedule.
- ``invitee.canceled`` → canceled; with ``rescheduled`` the old half of a reschedule, pointing
  to ``new_invitee``.
- ``invitee_no_show.created`` / ``.deleted`` → no-show set / cleared.

When a booking we are making ourselves (auto-book or a setter's click) reaches us by webhook
before our own write has committed, the delivery waits: ``OwnBookingInFlight`` is transient, the
inbox retries it with back-off, and by then the appointment exists and the delivery changes
nothing (one appointment, source ``auto_book``, the lead's confirmation sent by our path).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from booking import hosts as booking_hosts
from booking import lifecycle
from booking.matching import Invitee as Person
from booking.matching import match_lead
from booking.models import Appointment
from followups.errors import ProviderError
from integrations.models import WebhookDelivery
from integrations.providers import BookingRef
from workspaces import stamps
from workspaces.models import Lead, Workspace

from .account import watched_event_types, watched_of
from .payloads import (
    INVITEE_CANCELED,
    INVITEE_CREATED,
    NO_SHOW_CREATED,
    NO_SHOW_DELETED,
    WebhookEvent,
    parse_event,
)
from .types import Invitee, ScheduledEvent

logger = logging.getLogger(__name__)

PROVIDER = "calendly"
# The inbox's final states a mapper may answer (integrations.inbox records them).
_State = WebhookDelivery.State
PROCESSED, IGNORED, UNMATCHED = _State.PROCESSED, _State.IGNORED, _State.UNMATCHED


class OwnBookingInFlight(ProviderError):
    """The webhook of a booking we are still recording ourselves: retried later, never failed."""

    permanent = False


@dataclass(frozen=True)
class Facts:
    """One invitee and its scheduled event, whichever way they reached us."""

    invitee: Invitee
    event: ScheduledEvent

    @property
    def ref(self) -> BookingRef:
        return BookingRef(
            provider=PROVIDER,
            external_id=self.invitee.uri,
            secondary_id=self.invitee.event or self.event.uri,
        )

    @property
    def start(self) -> datetime:
        return self.event.start

    @property
    def end(self) -> datetime:
        return self.event.end


def map_delivery(delivery: Any) -> str:
    """The inbox's hook: the stored body was verified and parsed once already; parse it again
    (a body that no longer parses fails the delivery, permanently). The connection's settings
    came with the claimed row (``WebhookDelivery.connection_config``)."""
    event = parse_event(delivery.raw_body)
    config = delivery.connection_config
    return apply_event(
        workspace=delivery.workspace,
        event=event,
        source="webhook",
        watched=watched_of(config) if config is not None else None,
    )


# Marks that can be set, removed and set again: applied in the order Calendly stamped them.
_STAMPED = (NO_SHOW_CREATED, NO_SHOW_DELETED)


def apply_event(
    *, workspace: Workspace, event: WebhookEvent, source: str, watched: set[str] | None = None
) -> str:
    if event.invitee is None or event.invitee.scheduled_event is None:
        return IGNORED
    if (
        event.event in _STAMPED
        and event.created_at
        and not stamps.advance(
            workspace=workspace,
            provider=PROVIDER,
            object_id=f"{event.invitee.uri}#no_show"[:255],
            stamped_at=event.created_at,
        )
    ):
        logger.info("Calendly %s for %s is older than one applied", event.event, event.invitee.uri)
        return IGNORED
    return apply_invitee(
        workspace=workspace,
        event_name=event.event,
        invitee=event.invitee,
        scheduled_event=event.invitee.scheduled_event,
        source=source,
        watched=watched,
    )


def apply_invitee(
    *,
    workspace: Workspace,
    event_name: str,
    invitee: Invitee,
    scheduled_event: ScheduledEvent,
    source: str,
    watched: set[str] | None = None,
) -> str:
    """Bring our appointment in step with what Calendly says about this invitee. ``watched``:
    the workspace's watched event types when the caller has its connection already.

    One transaction (the caller's, without a savepoint): the lead is found and its row locked by
    one statement, then the lifecycle runs under that lock (``locked=True``)."""
    action = _ACTIONS.get(event_name)
    if action is None:
        logger.info("Calendly event %r not acted on", event_name)
        return IGNORED
    facts = Facts(invitee=invitee, event=scheduled_event)
    if not _is_ours(workspace, facts, watched):
        return IGNORED
    with transaction.atomic(savepoint=False):
        lead = _lead_for(workspace, invitee, in_flight_at=_own_booking_start(event_name, facts))
        if lead is None:
            return UNMATCHED
        outcome = action(workspace=workspace, lead=lead, facts=facts, source=source) or PROCESSED
        if not _books_anew(event_name, invitee):  # a new booking's INSERT wrote them
            record_hosts(workspace, facts.event, invitee_uris=[invitee.uri])
    return outcome


def _books_anew(event_name: str, invitee: Invitee) -> bool:
    return event_name == INVITEE_CREATED and not invitee.old_invitee


def _own_booking_start(event_name: str, facts: Facts) -> datetime | None:
    """The start to ask about our own booking in flight (``_wait_for_our_own_booking``)."""
    return facts.start if _books_anew(event_name, facts.invitee) else None


def record_hosts(
    workspace: Workspace, event: ScheduledEvent, *, invitee_uris: list[str] | None = None
) -> int:
    """The event's hosts (``event_memberships``) and event type name on our appointments of
    it: the invitees named, or every one of the event (a reassignment found by reconcile)."""
    appointments = Appointment.objects.filter(workspace=workspace, provider=PROVIDER)
    if invitee_uris is not None:
        appointments = appointments.filter(external_id__in=invitee_uris)
    else:
        appointments = appointments.filter(secondary_id=event.uri)
    return booking_hosts.record_hosts(
        workspace=workspace,
        appointments=appointments,
        hosts=_hosts(event),
        event_type_name=event.name,
    )


def _hosts(event: ScheduledEvent) -> list[booking_hosts.Host]:
    return [booking_hosts.Host(name=h.name, email=h.email) for h in event.hosts]


def _created(*, workspace, lead, facts: Facts, source: str) -> str | None:
    invitee = facts.invitee
    if invitee.old_invitee:
        lifecycle.record_rescheduled(
            workspace=workspace,
            lead=lead,
            old_ref=ref_of(invitee.old_invitee),
            new_ref=facts.ref,
            new_start=facts.start,
            new_end=facts.end,
            source=source,
            locked=True,
        )
        return None
    _wait_for_our_own_booking(lead, facts)
    lifecycle.record_booked(
        workspace=workspace,
        lead=lead,
        ref=facts.ref,
        start=facts.start,
        end=facts.end,
        source=source,
        locked=True,
        hosts=_hosts(facts.event),
        event_type_name=facts.event.name,
    )
    return None


def _canceled(*, workspace, lead, facts: Facts, source: str) -> str | None:
    invitee = facts.invitee
    if invitee.rescheduled:
        if not invitee.new_invitee:
            # Never a plain cancel: that would open a "rebook" task for a meeting that moved.
            logger.warning("Calendly reschedule of %s names no new invitee", invitee.uri)
            return IGNORED
        lifecycle.record_rescheduled(
            workspace=workspace,
            lead=lead,
            old_ref=facts.ref,
            new_ref=ref_of(invitee.new_invitee),
            old_start=facts.start,
            old_end=facts.end,
            source=source,
            locked=True,
        )
        return None
    cancellation = invitee.cancellation or facts.event.cancellation
    lifecycle.record_canceled(
        workspace=workspace,
        lead=lead,
        ref=facts.ref,
        start=facts.start,
        end=facts.end,
        reason=_reason(cancellation),
        canceled_at=cancellation.created_at if cancellation else None,
        source=source,
        locked=True,
    )
    return None


def _no_show(*, workspace, lead, facts: Facts, source: str) -> str | None:
    lifecycle.record_no_show(
        workspace=workspace,
        lead=lead,
        ref=facts.ref,
        start=facts.start,
        end=facts.end,
        source=source,
        locked=True,
    )
    return None


def _no_show_cleared(*, workspace, lead, facts: Facts, source: str) -> str | None:
    lifecycle.record_no_show_cleared(
        workspace=workspace, lead=lead, ref=facts.ref, source=source, locked=True
    )
    return None


_ACTIONS: dict[str, Callable[..., str | None]] = {
    INVITEE_CREATED: _created,
    INVITEE_CANCELED: _canceled,
    NO_SHOW_CREATED: _no_show,
    NO_SHOW_DELETED: _no_show_cleared,
}


def ref_of(invitee_uri: str) -> BookingRef:
    """An invitee URI (``…/scheduled_events/<event>/invitees/<invitee>``) names its event too."""
    event_uri, found, _ = invitee_uri.rpartition("/invitees/")
    return BookingRef(
        provider=PROVIDER, external_id=invitee_uri, secondary_id=event_uri if found else ""
    )


def _is_ours(workspace: Workspace, facts: Facts, watched: set[str] | None) -> bool:
    """Of the event type the workspace books into or of one it tracks, or about a booking we
    already hold."""
    if watched is None:
        watched = watched_event_types(workspace)
    if facts.event.event_type.rstrip("/") in watched:
        return True
    invitee = facts.invitee
    related = [uri for uri in (invitee.uri, invitee.old_invitee) if uri]
    return Appointment.objects.filter(
        workspace=workspace, provider=PROVIDER, external_id__in=related
    ).exists()


def _lead_for(
    workspace: Workspace, invitee: Invitee, *, in_flight_at: datetime | None
) -> Lead | None:
    """DOMAIN.md's order: the lead id we carried in ``utm_content``, an appointment with the
    same ids (this invitee, or the other half of its reschedule), the e-mail, the phone; then
    the workspace's setting decides between a new lead and ``unmatched``. One statement, which
    also locks the lead's row."""
    return match_lead(
        workspace=workspace,
        provider=PROVIDER,
        invitee=Person(
            email=invitee.email,
            phone=invitee.text_reminder_number,
            first_name=invitee.first_name,
            last_name=invitee.last_name,
            name=invitee.name,
            timezone=invitee.timezone,
        ),
        booking_external_ids=(invitee.uri, invitee.old_invitee, invitee.new_invitee),
        lead_id_hint=invitee.utm_content,
        lock=True,
        in_flight_at=in_flight_at,
    )


def _wait_for_our_own_booking(lead: Lead, facts: Facts) -> None:
    """Raise ``OwnBookingInFlight`` when this is the webhook of our own booking attempt for
    this lead and time, and the attempt has not recorded its appointment yet (asked by the
    statement that found the lead: ``booking_in_flight``)."""
    if facts.invitee.utm_content != str(lead.pk):
        return
    if lead.booking_in_flight:
        raise OwnBookingInFlight(
            "Our own booking of this time is still being recorded; this delivery is tried "
            "again shortly and will change nothing."
        )


def _reason(cancellation) -> str:
    if cancellation is None:
        return "Canceled in Calendly"
    who = {"host": "the host", "invitee": "the invitee"}.get(cancellation.canceler_type, "")
    text = f"Canceled in Calendly by {who}" if who else "Canceled in Calendly"
    return f"{text}: {cancellation.reason}" if cancellation.reason else text
