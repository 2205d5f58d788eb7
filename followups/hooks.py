"""What the booking lifecycle and the inbox tell the follow-up engine, and how it reacts
(DOMAIN.md, "Follow-up engine reactions").

The lifecycle service calls these inside its own transaction, with the lead row locked (see
booking.lifecycle): the engine's writes commit or roll back with the appointment, so a
rolled-back booking leaves no enrollment and no task behind. Nothing here calls out to a
provider or sends a message: a message is only stored ``queued`` and sent after commit by
``followups.tasks.send_message``.

Each hook is ``transaction.atomic(savepoint=False)``: part of the lifecycle's transaction (an
error rolls all of it back, no savepoint needed), or a transaction of its own when called alone
(it locks the enrollments it changes). Each is
idempotent: a repeated call finds the live enrollment (one per lead and sequence, a
database constraint) and the task (unique dedupe key) it made the first time. ``appointment`` is
a ``booking.models.Appointment``; only its plain fields are read (pk, lead, start_at, status,
cancel_reason, no_show_at, is_live), so this app needs nothing from booking.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from followups import enrollments, services
from followups.models import PRE_BOOKING, Enrollment, Task, Trigger
from workspaces.formatting import format_time, zone_named
from workspaces.models import Lead

State = Enrollment.State
Reason = Enrollment.EndReason
POST_BOOKING = [Trigger.POST_BOOKING]


@transaction.atomic(savepoint=False)
def on_booked(*, appointment, source: str, confirm_channel: str | None = None) -> None:
    """Booked, by any path (webhook, auto-book, manual, reconcile): the pre-booking sequences
    have done their job; the meeting's reminders start; when we booked it from the lead's reply,
    the lead gets a confirmation on the channel it replied on."""
    lead = appointment.lead
    if lead.status == Lead.Status.OPTED_OUT:
        return
    enrollments.stop(
        enrollments.live(lead, triggers=PRE_BOOKING), reason=Reason.BOOKED, state=State.COMPLETED
    )
    if appointment.start_at is None:  # a partial event: reminders start once the time is known
        return
    _follow_meeting(lead, appointment)
    if confirm_channel:
        when = format_time(appointment.start_at, _zone(lead))
        services.queue_message(
            lead=lead,
            channel=confirm_channel,
            body=f"You're booked for {when}.",
            subject="Your meeting is booked",
            dedupe_key=f"confirm:appointment:{appointment.pk}",
        )


@transaction.atomic(savepoint=False)
def on_canceled(*, appointment) -> None:
    """Canceled, not as part of a reschedule: its reminders stop, a setter gets a rebook task and
    the lead the rebook sequence, unless it still has another live meeting."""
    lead = appointment.lead
    enrollments.stop(
        enrollments.live(lead, triggers=POST_BOOKING, appointment_id=appointment.pk),
        reason=Reason.CANCELED,
    )
    current = Lead.objects.only("status", "booked_slot").get(pk=lead.pk)
    if current.status == Lead.Status.OPTED_OUT or current.booked_slot is not None:
        return
    reason = (getattr(appointment, "cancel_reason", "") or "").strip()
    detail = f"The meeting{_when(lead, appointment)} was canceled."
    if reason:
        detail += f" Reason given: “{reason}”."
    services.open_task(
        lead=lead,
        kind=Task.Kind.REBOOK,
        title=f"Meeting canceled — rebook {lead.display_name}",
        detail=detail + " Offer the lead new times.",
        dedupe_key=f"rebook:appointment:{appointment.pk}",
        appointment_id=appointment.pk,
    )
    enrollments.enroll(
        lead=lead,
        trigger=Trigger.REBOOK,
        anchor=timezone.now(),
        appointment_id=appointment.pk,
        meeting_at=appointment.start_at,
    )


@transaction.atomic(savepoint=False)
def on_rescheduled(*, old, new) -> None:
    """The meeting moved (for GHL ``old`` and ``new`` are the same row): its reminders move with
    it. Steps already sent are not sent again; steps whose new time has passed are skipped."""
    lead = new.lead
    if lead.status == Lead.Status.OPTED_OUT or new.start_at is None:
        return
    enrollments.stop(
        enrollments.live(lead, triggers=PRE_BOOKING), reason=Reason.BOOKED, state=State.COMPLETED
    )
    moved = set()
    candidates = (
        Enrollment.objects.select_for_update()
        .filter(
            lead_id=lead.pk,
            sequence__trigger=Trigger.POST_BOOKING,
            appointment_id__in={old.pk, new.pk},
        )
        .exclude(state=State.CANCELED)
        .order_by("-created_at", "-id")
    )
    for enrollment in sorted(candidates, key=lambda e: not e.is_live):  # live ones first
        if enrollment.sequence_id in moved:
            continue
        moved.add(enrollment.sequence_id)
        enrollments.move(
            enrollment,
            start=new.start_at,
            appointment_id=new.pk,
            why="had passed when the meeting was moved",
        )
    if not moved:  # no reminders were running for it (booked before they existed): start them
        _follow_meeting(lead, new)


@transaction.atomic(savepoint=False)
def on_no_show(*, appointment) -> None:
    """The lead missed the meeting: its reminders stop, a setter gets a task, the lead the
    no-show sequence."""
    lead = appointment.lead
    enrollments.stop(
        enrollments.live(lead, triggers=POST_BOOKING, appointment_id=appointment.pk),
        reason=Reason.NO_SHOW,
    )
    if lead.status == Lead.Status.OPTED_OUT:
        return
    marked = getattr(appointment, "no_show_at", None)
    stamp = int(marked.timestamp()) if marked else ""
    services.open_task(
        lead=lead,
        kind=Task.Kind.NO_SHOW,
        title=f"No-show — follow up with {lead.display_name}",
        detail=f"{lead.display_name} missed the meeting{_when(lead, appointment)}. "
        "Reach out and offer new times.",
        # One task per no-show mark: a repeated hook finds it, a second mark after a clear opens
        # a fresh one.
        dedupe_key=f"no_show:appointment:{appointment.pk}:{stamp}",
        appointment_id=appointment.pk,
    )
    enrollments.enroll(
        lead=lead,
        trigger=Trigger.NO_SHOW,
        anchor=timezone.now(),
        appointment_id=appointment.pk,
        meeting_at=appointment.start_at,
    )


@transaction.atomic(savepoint=False)
def on_no_show_cleared(*, appointment) -> None:
    """The no-show mark was a mistake: the no-show sequence and task stop, and the meeting's
    reminders resume if it is still ahead."""
    lead = appointment.lead
    enrollments.stop(
        enrollments.live(lead, triggers=[Trigger.NO_SHOW], appointment_id=appointment.pk),
        reason=Reason.NO_SHOW_CLEARED,
    )
    services.close_tasks(
        Task.objects.filter(lead_id=lead.pk, kind=Task.Kind.NO_SHOW, appointment_id=appointment.pk),
        resolution="The no-show mark was removed.",
    )
    start = appointment.start_at
    ahead = start is not None and start > timezone.now()
    if lead.status == Lead.Status.OPTED_OUT or not getattr(appointment, "is_live", False):
        return
    if not ahead:  # the meeting counts as held: nothing to remind of
        return
    stopped = (
        Enrollment.objects.select_for_update(of=("self",))
        .select_related("sequence")
        .filter(
            lead_id=lead.pk,
            appointment_id=appointment.pk,
            sequence__trigger=Trigger.POST_BOOKING,
            state=State.CANCELED,
            end_reason=Reason.NO_SHOW,
        )
        .order_by("-ended_at", "-id")
    )
    revived = set()
    for enrollment in stopped:
        if enrollment.sequence_id in revived or not enrollment.sequence.is_active:
            continue
        if enrollments.revive(enrollment):
            revived.add(enrollment.sequence_id)
    if not revived:
        _follow_meeting(lead, appointment)


@transaction.atomic(savepoint=False)
def on_lead_replied(*, lead, channel: str = "") -> None:
    """The lead wrote back: the no-response nudges pause (nothing more is sent for them)."""
    enrollments.stop(
        enrollments.live(lead, triggers=[Trigger.NO_RESPONSE]).filter(state=State.ACTIVE),
        reason=Reason.REPLIED,
        state=State.PAUSED,
    )


# --- helpers --------------------------------------------------------------------------------


def _follow_meeting(lead: Lead, appointment) -> None:
    """Start the meeting's reminders. A live post-booking enrollment tied to another meeting is
    moved onto this one rather than run twice: it is almost always the new half of a reschedule
    whose two halves reached us apart, and the lead's reminders follow its latest booking."""
    enrollments.enroll(
        lead=lead,
        trigger=Trigger.POST_BOOKING,
        anchor=appointment.start_at,
        appointment_id=appointment.pk,
        meeting_at=appointment.start_at,
        move_why="had passed when the meeting was moved",
    )


def _zone(lead: Lead):
    return zone_named(lead.timezone, lead.workspace.timezone)


def _when(lead: Lead, appointment) -> str:
    if appointment.start_at is None:
        return ""
    return f" on {format_time(appointment.start_at, _zone(lead))}"
