"""Reads for the Tasks and Sequences pages, each with its joins done."""

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from followups.models import Enrollment, Sequence, Task, Trigger

# The order a lead meets them in.
TRIGGER_ORDER = [Trigger.NO_RESPONSE, Trigger.POST_BOOKING, Trigger.NO_SHOW, Trigger.REBOOK]


def tasks_of(*, workspace, state: str = Task.State.OPEN, kind: str = "") -> QuerySet[Task]:
    qs = Task.objects.filter(workspace=workspace, state=state).select_related(
        "lead", "assignee", "done_by"
    )
    if kind:
        qs = qs.filter(kind=kind)
    if state == Task.State.DONE:
        return qs.order_by("-done_at", "-id")
    return qs.order_by("due_at", "id")


def task_counts(*, workspace) -> dict[str, int]:
    counts = Task.objects.filter(workspace=workspace).aggregate(
        open=Count("id", filter=Q(state=Task.State.OPEN)),
        done=Count("id", filter=Q(state=Task.State.DONE)),
    )
    return {"open": counts["open"] or 0, "done": counts["done"] or 0}


def sequences_of(*, workspace) -> QuerySet[Sequence]:
    return (
        Sequence.objects.filter(workspace=workspace)
        .annotate(
            step_count=Count("steps", distinct=True),
            live_count=Count(
                "enrollments",
                filter=Q(enrollments__state__in=Enrollment.LIVE),
                distinct=True,
            ),
        )
        .annotate(
            trigger_rank=Case(
                *[When(trigger=t, then=Value(i)) for i, t in enumerate(TRIGGER_ORDER)],
                output_field=IntegerField(),
            )
        )
        .order_by("trigger_rank", "name", "id")
    )


def live_enrollments(*, sequence, limit: int = 20) -> QuerySet[Enrollment]:
    return (
        Enrollment.objects.filter(sequence=sequence, state__in=Enrollment.LIVE)
        .select_related("lead")
        .order_by("next_due_at", "id")[:limit]
    )
