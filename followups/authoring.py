"""Workspace admins editing sequences and steps (the Sequences pages).

Steps go out in the order of their delays, and ``position`` always shows that order: after any
change the steps are renumbered by delay. Moving a step trades its place *and its time* with the
steps it passes, so the schedule's times stay where they were and the messages change order.
Every change reschedules the sequence's live enrollments and is recorded in the audit trail.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max

from followups import enrollments
from followups.models import Sequence, Step
from workspaces import audit


def save_sequence(*, sequence: Sequence, actor) -> Sequence:
    created = sequence.pk is None
    with transaction.atomic():
        sequence.save()
        audit.record(
            workspace=sequence.workspace,
            action="followups.sequence_created" if created else "followups.sequence_changed",
            actor=actor,
            changes={
                "sequence": sequence.pk,
                "name": sequence.name,
                "trigger": sequence.trigger,
                "active": sequence.is_active,
            },
        )
    return sequence


def save_step(*, step: Step, actor) -> Step:
    """Add or update a step (validated by followups.forms.StepForm)."""
    created = step.pk is None
    with transaction.atomic():
        sequence = _lock(step.sequence)
        if created:
            last = sequence.steps.aggregate(last=Max("position"))["last"] or 0
            step.position = last + 1
        step.save()
        _renumber(sequence)
        enrollments.reschedule(sequence)
        action = "followups.step_added" if created else "followups.step_changed"
        _audit(sequence, actor, action, step)
    step.refresh_from_db()
    return step


def delete_step(*, sequence: Sequence, step_id: int, actor) -> bool:
    """False when the step was already gone (a second click)."""
    with transaction.atomic():
        sequence = _lock(sequence)
        step = sequence.steps.filter(pk=step_id).first()
        if step is None:
            return False
        _audit(sequence, actor, "followups.step_deleted", step)
        step.delete()
        _renumber(sequence)
        enrollments.reschedule(sequence)
    return True


def move_step(*, step: Step, position: int, actor) -> bool:
    """Put the step at ``position`` (1-based); False when it already is there."""
    with transaction.atomic():
        sequence = _lock(step.sequence)
        steps = list(sequence.steps.order_by("position", "id"))
        current = next((s for s in steps if s.pk == step.pk), None)
        if current is None:
            return False
        target = max(1, min(position, len(steps)))
        if steps.index(current) == target - 1:
            return False
        slots = [s.delay_minutes for s in steps]  # the schedule's times, in order
        steps.remove(current)
        steps.insert(target - 1, current)
        for number, (moved, delay) in enumerate(zip(steps, slots, strict=True), start=1):
            moved.position, moved.delay_minutes = number, delay
        Step.objects.bulk_update(steps, ["position", "delay_minutes"])
        enrollments.reschedule(sequence)
        _audit(sequence, actor, "followups.step_moved", current)
    return True


def _lock(sequence: Sequence) -> Sequence:
    # One editor at a time per sequence, so two renumberings never interleave.
    return Sequence.objects.select_for_update().get(pk=sequence.pk)


def _renumber(sequence: Sequence) -> None:
    steps = list(sequence.steps.order_by("delay_minutes", "position", "id"))
    for number, step in enumerate(steps, start=1):
        step.position = number
    Step.objects.bulk_update(steps, ["position"])


def _audit(sequence: Sequence, actor, action: str, step: Step) -> None:
    audit.record(
        workspace=sequence.workspace,
        action=action,
        actor=actor,
        changes={
            "sequence": sequence.pk,
            "step": step.pk,
            "delay_minutes": step.delay_minutes,
            "channel": step.channel,
        },
    )
