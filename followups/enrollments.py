"""Enrolling leads in sequences, stopping them, and moving them with their meeting.

Each enrollment keeps ``next_due_at``, the time its next undone step is due, so the scheduler
finds due work with one indexed query. Every change here (an enrollment made, moved, revived, a
step done, a step edited) ends with ``refresh``, which recomputes it.

A step's time is the enrollment's anchor plus the step's delay. A step whose time has already
passed when the lead is enrolled, or when its meeting moves, is recorded as skipped at once and
never sent late: a "24 hours before" reminder for a meeting three hours away helps nobody.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from followups.models import Enrollment, SentStep, Sequence, Step
from workspaces.formatting import format_time, zone_named
from workspaces.inserts import insert_unless_conflict
from workspaces.models import Lead

State = Enrollment.State
Reason = Enrollment.EndReason


# --- reading --------------------------------------------------------------------------------


def live(lead: Lead, *, triggers, appointment_id: int | None = None) -> QuerySet[Enrollment]:
    """The lead's live enrollments in sequences with these triggers, locked. No join: the
    sequences are a subquery, so FOR UPDATE locks only the enrollments, and ``stop`` is one
    UPDATE whose conditions PostgreSQL checks again on a row another transaction changed."""
    sequences = Sequence.objects.filter(workspace_id=lead.workspace_id, trigger__in=list(triggers))
    qs = Enrollment.objects.select_for_update().filter(
        lead_id=lead.pk, state__in=Enrollment.LIVE, sequence_id__in=sequences.values("pk")
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
    move_why: str = "",
) -> list[tuple[Enrollment, bool]]:
    """Enroll the lead in each active sequence of its workspace with this trigger. A live
    enrollment already there is kept as it is (a repeated event enrolls nobody twice); with
    ``move_why``, one tied to another appointment is moved onto this one (``move``).

    The sequences, their steps and the lead's live enrollment in each come in one statement;
    a new enrollment is one INSERT carrying its next due time."""
    if lead.status == Lead.Status.OPTED_OUT:
        return []
    results = []
    for plan in _plans(lead, trigger):
        fields = {"anchor_at": anchor, "appointment_id": appointment_id, "meeting_at": meeting_at}
        enrollment, created = _get_or_create_live(lead, plan, **fields)
        if not created and move_why and enrollment.appointment_id != appointment_id:
            move(
                enrollment,
                start=anchor,
                appointment_id=appointment_id,
                why=move_why,
                steps=plan.steps,
            )
        results.append((enrollment, created))
    return results


def stop(enrollments: QuerySet[Enrollment], *, reason: str, state: str = State.CANCELED) -> int:
    """End (or pause) these enrollments: nothing more is sent for them. One UPDATE, which locks
    them; pass a query on the enrollment table alone (``live``), so a row another transaction
    ended meanwhile is checked again and left alone."""
    now = timezone.now()
    changes = {"state": state, "end_reason": reason, "ended_at": now, "updated_at": now}
    if state != State.PAUSED:
        changes["next_due_at"] = None
    return enrollments.update(**changes)


def move(
    enrollment: Enrollment,
    *,
    start: datetime,
    appointment_id: int | None,
    why: str,
    steps: list[_Step] | None = None,
) -> Enrollment:
    """Re-anchor an enrollment on its meeting's new start. Steps already sent stay sent; a step
    skipped before may go now if its new time is ahead; a step whose new time has passed is
    skipped. A completed enrollment with steps left comes back to life. ``steps``: the
    sequence's, when the caller read them already."""
    done = list(
        SentStep.objects.filter(enrollment_id=enrollment.pk).values_list("step_id", "outcome")
    )
    if any(outcome == SentStep.Outcome.SKIPPED for _, outcome in done):
        SentStep.objects.filter(enrollment=enrollment, outcome=SentStep.Outcome.SKIPPED).delete()
    sent = {step_id for step_id, outcome in done if outcome == SentStep.Outcome.SENT}
    if steps is None:
        steps = _steps_of(enrollment.sequence_id)
    enrollment.anchor_at = start
    enrollment.meeting_at = start
    enrollment.appointment_id = appointment_id
    ahead = _skip_passed(enrollment, [s for s in steps if s.pk not in sent], why=why)
    fields = ["anchor_at", "meeting_at", "appointment_id"]
    if enrollment.state == State.COMPLETED and ahead:
        enrollment.save(update_fields=[*fields, "updated_at"])
        fields = []
        _reactivate(enrollment)
    _set_next(enrollment, ahead, fields)
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


@dataclass(frozen=True)
class _Step:
    pk: int
    delay_minutes: int
    position: int


@dataclass(frozen=True)
class _Plan:
    sequence_id: int
    trigger: str
    live_id: int | None  # the lead's live enrollment in it, when the statement saw one
    steps: list[_Step]


def _plans(lead: Lead, trigger: str) -> list[_Plan]:
    """The workspace's active sequences with this trigger (in their order), each with its steps
    and the lead's live enrollment in it: one statement (a LEFT JOIN to the steps), written
    here rather than built by the ORM since it runs for every booking."""
    with connection.cursor() as cursor:
        cursor.execute(_PLANS_SQL, [lead.pk, *Enrollment.LIVE, lead.workspace_id, trigger, True])
        rows = cursor.fetchall()
    plans: dict[int, _Plan] = {}
    for sequence_id, live_id, step_id, delay, position in rows:
        plan = plans.setdefault(sequence_id, _Plan(sequence_id, trigger, live_id, []))
        if step_id is not None:
            plan.steps.append(_Step(step_id, delay, position))
    return list(plans.values())


_SEQUENCE, _STEP, _ENROLLMENT = (
    connection.ops.quote_name(model._meta.db_table) for model in (Sequence, Step, Enrollment)
)
_PLANS_SQL = (
    f"SELECT q.id, (SELECT e.id FROM {_ENROLLMENT} e WHERE e.lead_id = %s "
    "AND e.sequence_id = q.id AND e.state IN (%s, %s) LIMIT 1), "
    f"s.id, s.delay_minutes, s.position FROM {_SEQUENCE} q LEFT OUTER JOIN {_STEP} s "
    "ON s.sequence_id = q.id WHERE q.workspace_id = %s AND q.trigger = %s AND q.is_active = %s "
    "ORDER BY q.trigger, q.name, q.id"
)


def _steps_of(sequence_id: int) -> list[_Step]:
    rows = Step.objects.filter(sequence_id=sequence_id).values_list(
        "pk", "delay_minutes", "position"
    )
    return [_Step(*row) for row in rows]


def _get_or_create_live(lead, plan: _Plan, **fields) -> tuple[Enrollment, bool]:
    """The lead's live enrollment in the sequence, locked, or a new one. A new one is inserted
    unless the one-live-enrollment constraint already holds one (a concurrent call's: the INSERT
    waits for it), with no savepoint either way."""
    if plan.live_id is not None:
        existing = _live_in(lead, plan).filter(pk=plan.live_id).first()
        if existing is not None:
            existing.lead = lead
            return existing, False
    enrollment = Enrollment(
        workspace_id=lead.workspace_id, lead=lead, sequence_id=plan.sequence_id, **fields
    )
    now = timezone.now()
    ahead = _due_steps(enrollment, plan.steps, now=now)
    enrollment.next_due_at = ahead[0][0] if ahead else None
    if not insert_unless_conflict(enrollment):
        existing = _live_in(lead, plan).first()
        if existing is None:  # ended again since the INSERT saw it: try once more
            return _get_or_create_live(lead, replace(plan, live_id=None), **fields)
        existing.lead = lead
        return existing, False
    _skip_passed(enrollment, plan.steps, why="had passed when the lead was enrolled", now=now)
    if not ahead:
        _set_next(enrollment, ahead, [])
    return enrollment, True


def _live_in(lead, plan: _Plan) -> QuerySet[Enrollment]:
    return Enrollment.objects.select_for_update().filter(
        lead_id=lead.pk, sequence_id=plan.sequence_id, state__in=Enrollment.LIVE
    )


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


def _due_steps(enrollment: Enrollment, steps, *, now) -> list[tuple[datetime, _Step]]:
    """The steps still ahead, in sending order (``next_step``'s order), with their due times."""
    order = sorted(steps, key=lambda s: (s.delay_minutes, s.position, s.pk))
    due = [(due_at(enrollment, step), step) for step in order]
    return [(when, step) for when, step in due if when >= now]


def _skip_passed(
    enrollment: Enrollment, steps, *, why: str, now: datetime | None = None
) -> list[tuple[datetime, _Step]]:
    """Record as skipped the ``steps`` (not done yet) whose time has passed; the others, in
    sending order with their due times."""
    now = now or timezone.now()
    ahead = _due_steps(enrollment, steps, now=now)
    left = {step.pk for _, step in ahead}
    skipped = []
    passed = [step for step in steps if step.pk not in left]
    if passed:
        zone = zone_named(enrollment.lead.timezone, enrollment.lead.workspace.timezone)
    for step in passed:
        due = due_at(enrollment, step)
        skipped.append(
            SentStep(
                enrollment=enrollment,
                step_id=step.pk,
                due_at=due,
                outcome=SentStep.Outcome.SKIPPED,
                detail=f"Its time ({format_time(due, zone)}) {why}."[:300],
            )
        )
    if skipped:
        SentStep.objects.bulk_create(skipped, ignore_conflicts=True)
    return ahead


def _set_next(enrollment: Enrollment, ahead, fields: list[str]) -> None:
    """``refresh`` with what the caller knows already: the steps still ahead."""
    enrollment.next_due_at = ahead[0][0] if ahead else None
    fields = [*fields, "next_due_at", "updated_at"]
    if not ahead and enrollment.state == State.ACTIVE:
        enrollment.state = State.COMPLETED
        enrollment.end_reason = Reason.FINISHED
        enrollment.ended_at = timezone.now()
        fields += ["state", "end_reason", "ended_at"]
    enrollment.save(update_fields=fields)
