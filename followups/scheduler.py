"""Doing the steps that are due (the beat runs this every minute).

Due enrollments are taken in batches with ``SELECT … FOR UPDATE SKIP LOCKED``, so two runs at the
same moment split the work instead of doing it twice; each done step is also a ``SentStep`` row,
unique per enrollment and step, so even a run that somehow got the same enrollment could not send
a step again. A message step queues an ``OutboundMessage`` (sent after commit, by its own task); a
task step opens a ``Task``. Nothing is done for a paused or stopped enrollment, an opted-out lead
or a sequence that was turned off.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from followups import enrollments, services, templating
from followups.models import Enrollment, SentStep, Step, Trigger
from workspaces.formatting import format_time, zone_named
from workspaces.models import Lead

BATCH = 100
MAX_BATCHES = 50  # per run; the next minute's run carries on
# A step found this long after its time (the scheduler was down) is skipped, not sent late.
LATE_LIMIT = timedelta(hours=1)

Reason = Enrollment.EndReason
TASK_KINDS = {Trigger.NO_SHOW: "no_show", Trigger.REBOOK: "rebook"}


def run_due_steps(*, now: datetime | None = None) -> int:
    """Do every step due by ``now``; returns how many were sent (messages queued, tasks opened)."""
    now = now or timezone.now()
    sent = 0
    for _ in range(MAX_BATCHES):
        done, picked = _run_batch(now)
        sent += done
        if picked < BATCH:
            break
    return sent


def _run_batch(now: datetime) -> tuple[int, int]:
    with transaction.atomic():
        batch = list(
            Enrollment.objects.filter(state=Enrollment.State.ACTIVE, next_due_at__lte=now)
            .select_related("lead__workspace", "sequence")
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("next_due_at", "id")[:BATCH]
        )
        return sum(_advance(enrollment, now) for enrollment in batch), len(batch)


def _advance(enrollment: Enrollment, now: datetime) -> int:
    if enrollment.lead.status == Lead.Status.OPTED_OUT:
        _stop(enrollment, Reason.OPTED_OUT)
        return 0
    if not enrollment.sequence.is_active:
        _stop(enrollment, Reason.SEQUENCE_OFF)
        return 0
    sent = 0
    while (upcoming := enrollments.next_step(enrollment)) is not None:
        step, due = upcoming
        if due > now:
            break
        sent += _do(enrollment, step, due, now)
    enrollments.refresh(enrollment)
    return sent


def _do(enrollment: Enrollment, step: Step, due: datetime, now: datetime) -> int:
    missed = _missed(enrollment, step, due, now)
    if missed:
        enrollments.record_step(
            enrollment, step, due=due, outcome=SentStep.Outcome.SKIPPED, detail=missed
        )
        return 0
    lead = enrollment.lead
    kind = step.channel if step.channel == Step.Channel.TASK else _reachable(lead, step.channel)
    if kind is None:
        enrollments.record_step(
            enrollment,
            step,
            due=due,
            outcome=SentStep.Outcome.SKIPPED,
            detail="The lead has no phone number or e-mail address.",
        )
        return 0
    record = enrollments.record_step(enrollment, step, due=due, outcome=SentStep.Outcome.SENT)
    if record is None:  # already done by another run
        return 0
    values = templating.values_for(lead=lead, meeting_at=enrollment.meeting_at)
    subject = templating.render(step.subject, values)
    body = templating.render(step.body, values)
    key = f"step:{enrollment.pk}:{step.pk}"
    if kind == Step.Channel.TASK:
        record.task = services.open_task(
            lead=lead,
            kind=TASK_KINDS.get(enrollment.sequence.trigger, "manual"),
            title=subject or f"Follow up with {lead.display_name}",
            detail=body,
            due_at=due,
            dedupe_key=key,
            appointment_id=enrollment.appointment_id,
            enrollment=enrollment,
        )
        record.save(update_fields=["task"])
        return 1
    if kind == "email" and not subject:
        subject = f"A note from {lead.workspace.name}"
    record.message = services.queue_message(
        lead=lead,
        channel=kind,
        body=body,
        subject=subject if kind == "email" else "",
        dedupe_key=key,
        enrollment=enrollment,
    )
    record.save(update_fields=["message"])
    return 1


def _missed(enrollment: Enrollment, step: Step, due: datetime, now: datetime) -> str:
    """Why a due step is too late to do, or "" when it is not."""
    zone = zone_named(enrollment.lead.timezone, enrollment.lead.workspace.timezone)
    if step.delay_minutes < 0 and enrollment.anchor_at <= now:
        return f"The meeting had started ({format_time(enrollment.anchor_at, zone)})."
    if due < now - LATE_LIMIT:
        return f"Found more than an hour after its time ({format_time(due, zone)})."
    return ""


def _reachable(lead: Lead, wanted: str) -> str | None:
    """The step's channel when the lead has that address, else the other one it has: a nudge by
    e-mail beats no nudge for a lead we only know by e-mail."""
    has = {"sms": bool(lead.phone), "email": bool(lead.email)}
    if has.get(wanted):
        return wanted
    for kind, present in has.items():
        if present:
            return kind
    return None


def _stop(enrollment: Enrollment, reason: str) -> None:
    enrollments.stop(Enrollment.objects.filter(pk=enrollment.pk), reason=reason)
