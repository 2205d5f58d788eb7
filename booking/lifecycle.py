"""The booking lifecycle: the ONE place that records booked / canceled / rescheduled / no-show.

Every function here:
- runs in one transaction that first locks the lead row, so all events of one lead are applied one
  at a time (a race between a webhook and our own booking write is settled here). Inside a
  caller's transaction it adds no savepoint (``atomic(savepoint=False)``): an error rolls the
  whole transaction back, which is what every caller does with one anyway. A caller that
  already locked the lead in this transaction (``booking.matching.match_lead(lock=True)``)
  says ``locked=True``;
- is idempotent on the provider's ids (``BookingRef``): a repeated event changes nothing;
- is safe against out-of-order delivery: ``canceled`` and ``rescheduled`` are terminal, a cancel
  that arrives before its booking creates the row already canceled;
- keeps the lead's rollup (status, booked slot) in step;
- tells the follow-up engine what happened, *inside the same transaction*, so a rolled-back
  booking leaves no enrollment or task behind; the engine only writes rows here, and the messages
  they lead to are sent later by the scheduler, after commit.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from booking import hosts as booking_hosts
from booking.models import Appointment, Offer
from followups import hooks
from integrations.providers import BookingRef
from workspaces.inserts import insert_unless_conflict
from workspaces.models import Lead, Workspace

Status = Appointment.Status
TERMINAL = {Status.CANCELED, Status.RESCHEDULED}


def record_booked(
    *,
    workspace: Workspace,
    lead: Lead,
    ref: BookingRef,
    start: datetime,
    end: datetime | None = None,
    source: str,
    confirm_channel: str | None = None,
    locked: bool = False,
    hosts: list[booking_hosts.Host] | None = None,
    event_type_name: str = "",
) -> Appointment:
    """A booking exists at the provider. A repeat, or a late "booked" after a cancel, is a no-op.
    ``hosts`` (and the event type's name), when the provider names them, are written with a
    new row, or brought up to date on one we had."""
    with transaction.atomic(savepoint=False):
        lead = _lock_lead(lead, locked=locked)
        details = {}
        if hosts is not None:
            details = booking_hosts.fields_for_new(
                workspace=workspace, hosts=hosts, event_type_name=event_type_name
            )
        appointment, created = _get_or_create(
            workspace,
            lead,
            ref,
            status=Status.BOOKED,
            start=start,
            end=end,
            source=source,
            expect_new=True,
            details=details,
        )
        if not created:
            _fill_missing(appointment, ref=ref, start=start, end=end)
            if hosts is not None:
                booking_hosts.record_hosts(
                    workspace=workspace,
                    appointments=Appointment.objects.filter(pk=appointment.pk),
                    hosts=hosts,
                    event_type_name=event_type_name,
                )
            return appointment
        _refresh_lead(lead, booked=True)
        hooks.on_booked(appointment=appointment, source=source, confirm_channel=confirm_channel)
        return appointment


def record_canceled(
    *,
    workspace: Workspace,
    lead: Lead,
    ref: BookingRef,
    source: str,
    start: datetime | None = None,
    end: datetime | None = None,
    reason: str = "",
    canceled_at: datetime | None = None,
    locked: bool = False,
) -> Appointment:
    """A booking was canceled (not as part of a reschedule: see ``record_rescheduled``)."""
    with transaction.atomic(savepoint=False):
        lead = _lock_lead(lead, locked=locked)
        appointment, created = _get_or_create(
            workspace, lead, ref, status=Status.CANCELED, start=start, end=end, source=source
        )
        if not created and appointment.status != Status.BOOKED:
            _fill_missing(appointment, ref=ref, start=start, end=end)
            return appointment
        appointment.status = Status.CANCELED
        appointment.canceled_at = canceled_at or timezone.now()
        appointment.cancel_reason = (reason or "")[:500]
        appointment.save()
        _refresh_lead(lead)
        hooks.on_canceled(appointment=appointment)
        return appointment


def record_rescheduled(
    *,
    workspace: Workspace,
    lead: Lead,
    old_ref: BookingRef,
    new_ref: BookingRef,
    source: str,
    new_start: datetime | None = None,
    new_end: datetime | None = None,
    old_start: datetime | None = None,
    old_end: datetime | None = None,
    locked: bool = False,
) -> Appointment:
    """A booking moved. Returns the old appointment.

    With two ids (Calendly), the old row becomes ``rescheduled`` and points to the new one; the
    two halves may arrive in either order, and the follow-up engine hears of the move once, when
    both are known. With one id (GHL moves an appointment in place), the row's times change.
    """
    if old_ref.external_id == new_ref.external_id:
        return _move_in_place(workspace, lead, old_ref, new_start, new_end, source, locked)
    with transaction.atomic(savepoint=False):
        lead = _lock_lead(lead, locked=locked)
        old, _ = _get_or_create(
            workspace,
            lead,
            old_ref,
            status=Status.RESCHEDULED,
            start=old_start,
            end=old_end,
            source=source,
        )
        _fill_missing(old, ref=old_ref, start=old_start, end=old_end)
        new = _find_or_create_new_half(workspace, lead, new_ref, new_start, new_end, source)
        already_linked = old.rescheduled_to_id is not None
        if old.status != Status.RESCHEDULED:
            old.status = Status.RESCHEDULED
            old.canceled_at = timezone.now()
        old.rescheduled_to_external_id = new_ref.external_id
        if new is not None:
            old.rescheduled_to = new
        old.save()
        _refresh_lead(lead, booked=True)
        if new is not None and not already_linked:
            hooks.on_rescheduled(old=old, new=new)
        return old


def record_no_show(
    *,
    workspace: Workspace,
    lead: Lead,
    ref: BookingRef,
    source: str,
    start: datetime | None = None,
    end: datetime | None = None,
    locked: bool = False,
) -> Appointment:
    with transaction.atomic(savepoint=False):
        lead = _lock_lead(lead, locked=locked)
        appointment, created = _get_or_create(
            workspace, lead, ref, status=Status.NO_SHOW, start=start, end=end, source=source
        )
        if not created and appointment.status not in {Status.BOOKED, Status.COMPLETED}:
            return appointment
        appointment.status = Status.NO_SHOW
        appointment.no_show_at = timezone.now()
        appointment.save()
        _refresh_lead(lead, status=Lead.Status.NO_SHOW)
        hooks.on_no_show(appointment=appointment)
        return appointment


def record_no_show_cleared(
    *, workspace: Workspace, lead: Lead, ref: BookingRef, source: str, locked: bool = False
) -> Appointment | None:
    """The no-show mark was removed at the provider: the meeting counts as held (or still ahead)."""
    with transaction.atomic(savepoint=False):
        lead = _lock_lead(lead, locked=locked)
        appointment = _find(workspace, ref, for_update=True)
        if appointment is None or appointment.status != Status.NO_SHOW:
            return appointment
        held = appointment.end_at is not None and appointment.end_at <= timezone.now()
        appointment.status = Status.COMPLETED if held else Status.BOOKED
        appointment.no_show_at = None
        appointment.save()
        _refresh_lead(lead, status=Lead.Status.COMPLETED if held else Lead.Status.MEETING_BOOKED)
        hooks.on_no_show_cleared(appointment=appointment)
        return appointment


def record_completed(
    *, workspace: Workspace, lead: Lead, ref: BookingRef, source: str, locked: bool = False
) -> Appointment | None:
    """The provider says the lead showed up."""
    with transaction.atomic(savepoint=False):
        lead = _lock_lead(lead, locked=locked)
        appointment = _find(workspace, ref, for_update=True)
        if appointment is None or appointment.status not in {Status.BOOKED, Status.NO_SHOW}:
            return appointment
        appointment.status = Status.COMPLETED
        appointment.save()
        _refresh_lead(lead, status=Lead.Status.COMPLETED)
        return appointment


# --- helpers -------------------------------------------------------------------------------


def _lock_lead(lead: Lead, *, locked: bool) -> Lead:
    """The lead, its row locked in this transaction: as given when the caller ``locked`` it."""
    if locked:
        return lead
    # Only the lead's row: FOR UPDATE on the join would lock the workspace row too, and make
    # every event of a workspace wait for the one before it.
    return Lead.objects.select_for_update(of=("self",)).select_related("workspace").get(pk=lead.pk)


def _find(workspace, ref: BookingRef, *, for_update=False) -> Appointment | None:
    qs = Appointment.objects.filter(
        workspace=workspace, provider=ref.provider, external_id=ref.external_id
    )
    if for_update:
        qs = qs.select_for_update()
    return qs.first()


def _get_or_create(
    workspace, lead, ref: BookingRef, *, status, start, end, source, expect_new=False, details=None
):
    """The appointment with these provider ids, locked, or a new one. Under the lead lock; the
    unique constraint still settles a race between two leads: the INSERT does nothing when the
    other transaction's row is there (it waits for that transaction first), and the winner's
    row is read. ``expect_new``: INSERT first (a booking is usually new), else look first (a
    cancel or a no-show is usually about a row we have)."""
    if not expect_new:
        found = _find(workspace, ref, for_update=True)
        if found is not None:
            return found, False
    appointment = Appointment(
        workspace=workspace,
        lead=lead,
        provider=ref.provider,
        external_id=ref.external_id,
        secondary_id=ref.secondary_id,
        start_at=start,
        end_at=end,
        status=status,
        source=source,
        canceled_at=timezone.now() if status in TERMINAL else None,
        no_show_at=timezone.now() if status == Status.NO_SHOW else None,
        **(details or {}),
    )
    returning = ("host_user",) if "host_user_id" in (details or {}) else ()
    if insert_unless_conflict(appointment, returning=returning):
        return appointment, True
    return _find(workspace, ref, for_update=True), False


def _fill_missing(appointment: Appointment, *, ref: BookingRef, start, end) -> None:
    """Complete a row created from a partial event; never overwrite what we already know."""
    changed = []
    for field, value in (("secondary_id", ref.secondary_id), ("start_at", start), ("end_at", end)):
        if value and not getattr(appointment, field):
            setattr(appointment, field, value)
            changed.append(field)
    if changed:
        appointment.save(update_fields=[*changed, "updated_at"])


def _find_or_create_new_half(workspace, lead, ref, start, end, source) -> Appointment | None:
    if start is None:
        return _find(workspace, ref)
    appointment, _ = _get_or_create(
        workspace, lead, ref, status=Status.BOOKED, start=start, end=end, source=source
    )
    _fill_missing(appointment, ref=ref, start=start, end=end)
    return appointment


def _move_in_place(workspace, lead, ref, start, end, source, locked=False) -> Appointment:
    with transaction.atomic(savepoint=False):
        lead = _lock_lead(lead, locked=locked)
        appointment, created = _get_or_create(
            workspace, lead, ref, status=Status.BOOKED, start=start, end=end, source=source
        )
        if created:
            _refresh_lead(lead, booked=True)
            hooks.on_booked(appointment=appointment, source=source)
            return appointment
        if appointment.status != Status.BOOKED or start is None or appointment.start_at == start:
            return appointment
        appointment.start_at, appointment.end_at = start, end or appointment.end_at
        appointment.save()
        _refresh_lead(lead, booked=True)
        hooks.on_rescheduled(old=appointment, new=appointment)
        return appointment


def _refresh_lead(lead: Lead, *, booked: bool = False, status: str | None = None) -> None:
    """Recompute the lead's booked slot and move its status as DOMAIN.md says."""
    live = (
        Appointment.objects.filter(lead=lead, status=Status.BOOKED)
        .order_by("-start_at")
        .values_list("start_at", flat=True)
        .first()
    )
    lead.booked_slot = live
    if booked and live is not None:
        # A booking by any path closes the lead's open offers (DOMAIN.md).
        Offer.objects.filter(lead=lead, state=Offer.State.OPEN).update(
            state=Offer.State.CLOSED, closed_at=timezone.now()
        )
    if lead.status != Lead.Status.OPTED_OUT:  # opted_out is sticky
        if status is not None:
            lead.status = status
        elif booked and live is not None:
            lead.status = Lead.Status.MEETING_BOOKED
        elif lead.status == Lead.Status.MEETING_BOOKED and live is None and not booked:
            lead.status = Lead.Status.QUALIFIED  # canceled: the lead can be offered times again
    lead.save(update_fields=["booked_slot", "status", "updated_at"])
