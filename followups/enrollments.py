"""Enrolling leads in sequences, stopping them, and moving them with their meeting.

Each enrollment keeps ``next_due_at``, the time its next undone step is due, so the scheduler
finds due work with one indexed query. Every change here (an enrollment made, moved, revived, a
step done, a step edited) ends with ``refresh``, which recomputes it.

A step's time is the enrollment's anchor plus the step's delay. A step whose time has already
passed when the lead is enrolled, or when its meeting moves, is recorded as skipped at once and
never sent late: a "24 hours before" reminder for a meeting three hours away helps nobody.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from followups.models import Enrollment, SentStep, Sequence, Step
from workspaces.formatting import format_time, zone_named
from workspaces.models import Lead

State = Enrollment.State
Reason = Enrollment.EndReason


# --- reading --------------------------------------------------------------------------------


def live(lead: Lead, *, triggers, appointment_id: int | None = None) -> QuerySet[Enrollment]:
    """The lead's live enrollments in sequences with these triggers, locked."""
    qs = Enrollment.objects.select_for_update().filter(
        lead_id=lead.pk, state__in=Enrollment.LIVE, sequence__trigger__in=list(triggers)
    )
    if appointment_id is not None:
        qs = qs.filter(appointment_id=appointment_id)
    return qs


def due_at(enrollment: Enrollment, step: Step) -> datetime:
    return enrollment.anchor_at + timedelta(minutes=step.delay_minutes)


def next_step(enrollment: Enrollment) -> tuple[Step, datetime] | None:
    """The enrollment's next undone step and when it is due, in sending order."""
    done = SentStep.objects.filter(enrollment_id=enrollment.pk).values("step_id")
    step = (
        Step.objects.filter(sequence_id=enrollment.sequence_id)
        .exclude(pk__in=done)
        .order_by("delay_minutes", "position", "id")
        .first()
    )
    return (step, due_at(enrollment, step)) if step else None


# --- writing --------------------------------------------------------------------------------


def enroll(
    *,
    lead: Lead,
    trigger: str,
    anchor: datetime,
    appointment_id: int | None = None,
    meeting_at: datetime | None = None,
) -> list[tuple[Enrollment, bool]]:
    """Enroll the lead in each active sequence of its workspace with this trigger. A live
    enrollment already there is kept as it is (a repeated event enrolls nobody twice)."""
    if lead.status == Lead.Status.OPTED_OUT:
        return []
    sequences = Sequence.objects.filter(
        workspace_id=lead.workspace_id, trigger=trigger, is_active=True
    )
    results = []
    for sequence in sequences:
        enrollment, created = _get_or_create_live(
            lead,
            sequence,
            anchor_at=anchor,
            appointment_id=appointment_id,
            meeting_at=meeting_at,
        )
        if created:
            _skip_passed(enrollment, why="had passed when the lead was enrolled")
            refresh(enrollment)
        results.append((enrollment, created))
    return results


def stop(enrollments: QuerySet[Enrollment], *, reason: str, state: str = State.CANCELED) -> int:
    """End (or pause) these enrollments: nothing more is sent for them."""
    now = timezone.now()
    changes = {"state": state, "end_reason": reason, "ended_at": now, "updated_at": now}
    if state != State.PAUSED:
        changes["next_due_at"] = None
    return Enrollment.objects.filter(pk__in=list(enrollments.values_list("pk", flat=True))).update(
        **changes
    )


def move(
    enrollment: Enrollment, *, start: datetime, appointment_id: int | None, why: str
) -> Enrollment:
    """Re-anchor an enrollment on its meeting's new start. Steps already sent stay sent; a step
    skipped before may go now if its new time is ahead; a step whose new time has passed is
    skipped. A completed enrollment with steps left comes back to life."""
    SentStep.objects.filter(enrollment=enrollment, outcome=SentStep.Outcome.SKIPPED).delete()
    enrollment.anchor_at = start
    enrollment.meeting_at = start
    enrollment.appointment_id = appointment_id
    enrollment.save(update_fields=["anchor_at", "meeting_at", "appointment_id", "updated_at"])
    _skip_passed(enrollment, why=why)
    if enrollment.state == State.COMPLETED and next_step(enrollment) is not None:
        _reactivate(enrollment)
    refresh(enrollment)
    return enrollment


def revive(enrollment: Enrollment) -> bool:
    """Make a stopped enrollment live again (a no-show mark removed). False when another live
    enrollment in the same sequence took its place meanwhile."""
    if not _reactivate(enrollment):
        return False
    move(
        enrollment,
        start=enrollment.anchor_at,
        appointment_id=enrollment.appointment_id,
        why="had passed when the no-show mark was removed",
    )
    return True


def refresh(enrollment: Enrollment) -> None:
    """Recompute when the next step is due; an active enrollment with nothing left completes."""
    upcoming = next_step(enrollment)
    enrollment.next_due_at = upcoming[1] if upcoming else None
    fields = ["next_due_at", "updated_at"]
    if upcoming is None and enrollment.state == State.ACTIVE:
        enrollment.state = State.COMPLETED
        enrollment.end_reason = Reason.FINISHED
        enrollment.ended_at = timezone.now()
        fields += ["state", "end_reason", "ended_at"]
    enrollment.save(update_fields=fields)


def reschedule(sequence: Sequence) -> None:
    """After its steps changed: every live enrollment's next step is recomputed."""
    for enrollment in Enrollment.objects.select_for_update().filter(
        sequence=sequence, state__in=Enrollment.LIVE
    ):
        refresh(enrollment)


def record_step(
    enrollment: Enrollment, step: Step, *, due: datetime, outcome: str, detail: str = ""
) -> SentStep | None:
    """The step is done for this enrollment, or None when it already was (the unique constraint
    settles a race between two scheduler runs)."""
    try:
        with transaction.atomic():
            return SentStep.objects.create(
                enrollment=enrollment, step=step, due_at=due, outcome=outcome, detail=detail[:300]
            )
    except IntegrityError:
        return None


# --- helpers --------------------------------------------------------------------------------


def _get_or_create_live(lead, sequence, **fields) -> tuple[Enrollment, bool]:
    existing = live(lead, triggers=[sequence.trigger]).filter(sequence=sequence).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            created = Enrollment.objects.create(
                workspace_id=lead.workspace_id, lead=lead, sequence=sequence, **fields
            )
            return created, True
    except IntegrityError:  # a concurrent call enrolled the lead first
        return live(lead, triggers=[sequence.trigger]).get(sequence=sequence), False


def _reactivate(enrollment: Enrollment) -> bool:
    try:
        with transaction.atomic():
            enrollment.state = State.ACTIVE
            enrollment.end_reason = ""
            enrollment.ended_at = None
            enrollment.save(update_fields=["state", "end_reason", "ended_at", "updated_at"])
    except IntegrityError:
        enrollment.refresh_from_db()
        return False
    return True


def _skip_passed(enrollment: Enrollment, *, why: str) -> None:
    now = timezone.now()
    done = SentStep.objects.filter(enrollment_id=enrollment.pk).values("step_id")
    zone = zone_named(enrollment.lead.timezone, enrollment.lead.workspace.timezone)
    skipped = []
    for step in Step.objects.filter(sequence_id=enrollment.sequence_id).exclude(pk__in=done):
        due = due_at(enrollment, step)
        if due < now:
            detail = f"Its time ({format_time(due, zone)}) {why}."
            skipped.append(
                SentStep(
                    enrollment=enrollment,
                    step=step,
                    due_at=due,
                    outcome=SentStep.Outcome.SKIPPED,
                    detail=detail[:300],
                )
            )
    SentStep.objects.bulk_create(skipped, ignore_conflicts=True)
