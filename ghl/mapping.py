"""Stored GHL deliveries (and reconciled appointments) → calls of the booking lifecycle / inbox.

``map_delivery`` is what the webhook inbox's task calls for a ``ghl`` delivery; it answers the
delivery's final state: ``processed``, ``ignored`` (another location or calendar, an event we
don't act on) or ``unmatched`` (no lead, and the workspace keeps unmatched events). Everything
here is idempotent: the lifecycle and the inbox are keyed on GHL's ids.

GHL status → ours: ``new``/``confirmed`` → booked (a new start for a booked appointment is a
reschedule in place; a confirmed no-show is a cleared no-show), ``cancelled``/``invalid`` and a
delete → canceled, ``showed`` → completed, ``noshow`` → no-show.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from booking import inbound, lifecycle
from booking.matching import Invitee, match_lead
from booking.models import Appointment as OurAppointment
from integrations.models import WebhookDelivery
from workspaces import stamps
from workspaces.models import Lead, Workspace

from . import connection
from .payloads import (
    WORKFLOW_APPOINTMENT,
    WORKFLOW_TEST_EVENT,
    AppointmentEvent,
    InboundMessageEvent,
    UnhandledEvent,
    WorkflowEvent,
    parse_marketplace_event,
    parse_workflow_event,
)

logger = logging.getLogger(__name__)

PROVIDER = "ghl"
# The inbox's final states a mapper may answer (integrations.inbox records them).
_State = WebhookDelivery.State
PROCESSED, IGNORED, UNMATCHED = _State.PROCESSED, _State.IGNORED, _State.UNMATCHED
MARKETPLACE, WORKFLOW = "marketplace", "workflow"
WORKFLOW_PREFIX = f"{WORKFLOW}."
BOOKED_STATUSES = frozenset({"new", "confirmed", ""})
CANCELED_STATUSES = frozenset({"cancelled", "canceled", "invalid"})


@dataclass(frozen=True)
class AppointmentFacts:
    """One appointment as GHL last described it, whichever door it came through."""

    appointment_id: str
    contact_id: str
    calendar_id: str
    status: str  # GHL's word, lower-case; "deleted" for AppointmentDelete
    start: datetime | None
    end: datetime | None
    invitee: Invitee = Invitee()
    # GHL's own time of this change (dateUpdated, else the webhook's timestamp): an update
    # older than one already applied is not applied.
    stamped_at: datetime | None = None

    @property
    def ref(self) -> lifecycle.BookingRef:
        return lifecycle.BookingRef(provider=PROVIDER, external_id=self.appointment_id)


def map_delivery(delivery: Any) -> str:
    """The inbox's hook: parse the stored body by the mode it was authenticated as, then map."""
    workspace = delivery.workspace
    if _mode(delivery) == WORKFLOW:
        return map_workflow_event(
            workspace=workspace,
            event=parse_workflow_event(_body(delivery)),
            fallback_message_id=f"delivery:{delivery.pk}",
        )
    return map_marketplace_event(
        workspace=workspace, event=parse_marketplace_event(_body(delivery))
    )


def map_marketplace_event(*, workspace: Workspace, event: Any) -> str:
    account = connection.find_account(workspace)
    if account is None or event.location_id != account.location_id:
        return IGNORED
    if isinstance(event, AppointmentEvent):
        facts = AppointmentFacts(
            appointment_id=event.appointment_id,
            contact_id=event.contact_id,
            calendar_id=event.calendar_id,
            status="deleted" if event.type == "AppointmentDelete" else event.status,
            start=event.start,
            end=event.end,
            stamped_at=event.updated_at or event.timestamp,
        )
        return apply_appointment(
            workspace=workspace, account=account, facts=facts, source="webhook"
        )
    if isinstance(event, InboundMessageEvent):
        if event.direction != "inbound":
            return IGNORED
        return _receive(
            workspace=workspace,
            account=account,
            contact_id=event.contact_id,
            invitee=Invitee(),
            channel=event.message_type.lower(),
            body=event.body,
            received_at=event.date_added,
            message_id=event.message_id,
        )
    assert isinstance(event, UnhandledEvent)
    return IGNORED


def map_workflow_event(
    *, workspace: Workspace, event: WorkflowEvent, fallback_message_id: str = ""
) -> str:
    account = connection.find_account(workspace)
    if account is None or event.event == WORKFLOW_TEST_EVENT:
        return IGNORED
    invitee = Invitee(
        email=event.email,
        phone=event.phone,
        first_name=event.first_name,
        last_name=event.last_name,
    )
    if event.event == WORKFLOW_APPOINTMENT:
        facts = AppointmentFacts(
            appointment_id=event.appointment_id,
            contact_id=event.contact_id,
            calendar_id=event.calendar_id,
            status=event.appointment_status,
            start=event.appointment_start,
            end=event.appointment_end,
            invitee=invitee,
        )
        return apply_appointment(
            workspace=workspace, account=account, facts=facts, source="webhook"
        )
    return _receive(
        workspace=workspace,
        account=account,
        contact_id=event.contact_id,
        invitee=invitee,
        channel=event.message_type.lower(),
        body=event.message_body,
        received_at=None,
        message_id=event.message_id or fallback_message_id,
    )


def apply_appointment(
    *, workspace: Workspace, account: connection.Account, facts: AppointmentFacts, source: str
) -> str:
    """Bring our appointment in step with what GHL says about it."""
    if facts.calendar_id and account.calendar_id and facts.calendar_id != account.calendar_id:
        return IGNORED
    action = _ACTIONS.get(facts.status)
    if action is None:
        logger.info("GHL appointment status %r not acted on", facts.status)
        return IGNORED
    lead = _lead_for(
        workspace=workspace,
        account=account,
        contact_id=facts.contact_id,
        invitee=facts.invitee,
        appointment_id=facts.appointment_id,
    )
    if lead is None:
        return UNMATCHED
    if facts.stamped_at is not None and not stamps.advance(
        workspace=workspace,
        provider=PROVIDER,
        object_id=facts.appointment_id,
        stamped_at=facts.stamped_at,
    ):
        logger.info(
            "GHL appointment %s: an update stamped %s is older than one applied; not applied",
            facts.appointment_id,
            facts.stamped_at.isoformat(),
        )
        return IGNORED
    action(workspace=workspace, lead=lead, facts=facts, source=source)
    return PROCESSED


def _booked(*, workspace, lead, facts: AppointmentFacts, source: str) -> None:
    ours = _ours(workspace, facts)
    if ours is not None and ours.status == OurAppointment.Status.NO_SHOW:
        lifecycle.record_no_show_cleared(
            workspace=workspace, lead=lead, ref=facts.ref, source=source
        )
        return
    moved = (
        ours is not None
        and ours.status == OurAppointment.Status.BOOKED
        and facts.start is not None
        and ours.start_at is not None
        and ours.start_at != facts.start
    )
    if moved:
        lifecycle.record_rescheduled(
            workspace=workspace,
            lead=lead,
            old_ref=facts.ref,
            new_ref=facts.ref,
            new_start=facts.start,
            new_end=facts.end,
            source=source,
        )
        return
    if facts.start is None:  # nothing to book from; the lifecycle needs a time
        return
    lifecycle.record_booked(**_times(workspace, lead, facts), source=source)


def _canceled(*, workspace, lead, facts: AppointmentFacts, source: str) -> None:
    reason = "Deleted in GoHighLevel" if facts.status == "deleted" else "Canceled in GoHighLevel"
    lifecycle.record_canceled(
        workspace=workspace,
        lead=lead,
        ref=facts.ref,
        start=facts.start,
        end=facts.end,
        reason=reason,
        source=source,
    )


def _showed(*, workspace, lead, facts: AppointmentFacts, source: str) -> None:
    if _ours(workspace, facts) is None and facts.start is not None:
        # Heard of only now: it was a booking first, and every booking path reacts the same.
        lifecycle.record_booked(
            workspace=workspace,
            lead=lead,
            ref=facts.ref,
            start=facts.start,
            end=facts.end,
            source=source,
        )
    lifecycle.record_completed(workspace=workspace, lead=lead, ref=facts.ref, source=source)


def _no_show(*, workspace, lead, facts: AppointmentFacts, source: str) -> None:
    lifecycle.record_no_show(**_times(workspace, lead, facts), source=source)


def _times(workspace, lead, facts: AppointmentFacts) -> dict[str, Any]:
    return {
        "workspace": workspace,
        "lead": lead,
        "ref": facts.ref,
        "start": facts.start,
        "end": facts.end,
    }


_ACTIONS: dict[str, Callable[..., None]] = {
    **dict.fromkeys(BOOKED_STATUSES, _booked),
    **dict.fromkeys(CANCELED_STATUSES, _canceled),
    "deleted": _canceled,
    "showed": _showed,
    "noshow": _no_show,
}


def _receive(
    *,
    workspace: Workspace,
    account: connection.Account,
    contact_id: str,
    invitee: Invitee,
    channel: str,
    body: str,
    received_at: datetime | None,
    message_id: str,
) -> str:
    if not body.strip():
        return IGNORED
    lead = _lead_for(workspace=workspace, account=account, contact_id=contact_id, invitee=invitee)
    if lead is None:
        return UNMATCHED
    inbound.receive_message(
        lead=lead,
        channel=channel or "sms",
        body=body,
        received_at=received_at or timezone.now(),
        provider=PROVIDER,
        provider_message_id=message_id,
    )
    return PROCESSED


def _lead_for(
    *,
    workspace: Workspace,
    account: connection.Account,
    contact_id: str,
    invitee: Invitee,
    appointment_id: str = "",
) -> Lead | None:
    """Match without creating first; only then ask GHL who the contact is (a marketplace body
    carries just its id) and let the workspace's unmatched setting decide."""
    found = match_lead(
        workspace=workspace,
        provider=PROVIDER,
        invitee=invitee,
        booking_external_id=appointment_id,
        contact_id=contact_id,
        create=False,
    )
    if found is not None:
        return found
    if contact_id and not (invitee.email or invitee.phone):
        invitee = _contact_details(account, contact_id) or invitee
    return match_lead(
        workspace=workspace,
        provider=PROVIDER,
        invitee=invitee,
        booking_external_id=appointment_id,
        contact_id=contact_id,
        # Never a lead (nor a contact id bound to one for good) made of nothing: a contact we
        # could not read stays unmatched, and the delivery can be replayed.
        create=None if invitee.email or invitee.phone else False,
    )


def _contact_details(account: connection.Account, contact_id: str) -> Invitee | None:
    """Who the contact is; None only when GHL no longer has it. A 429, 5xx or timeout raises
    (the inbox retries the delivery with back-off), a 401 too (the connection is marked
    needs_reauth): guessing from missing data once made a blank twin of an existing lead."""
    with connection.client_for(account) as client:
        contact = client.get_contact(contact_id)
    if contact is None:
        return None
    return Invitee(
        email=contact.email,
        phone=contact.phone,
        first_name=contact.first_name,
        last_name=contact.last_name,
        name=contact.name,
        timezone=contact.timezone,
    )


def _ours(workspace: Workspace, facts: AppointmentFacts) -> OurAppointment | None:
    return OurAppointment.objects.filter(
        workspace=workspace, provider=PROVIDER, external_id=facts.appointment_id
    ).first()


def event_name(mode: str, event_type: str) -> str:
    """The stored delivery's ``event`` also records which door it came through: workflow bodies
    are parsed differently, and must never be read as signed marketplace ones."""
    if mode == WORKFLOW:
        return event_type if event_type.startswith(WORKFLOW_PREFIX) else WORKFLOW_PREFIX
    return event_type or MARKETPLACE


def _mode(delivery: Any) -> str:
    return WORKFLOW if delivery.event.startswith(WORKFLOW_PREFIX) else MARKETPLACE


def _body(delivery: Any) -> bytes:
    return delivery.raw_body
