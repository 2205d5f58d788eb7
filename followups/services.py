"""What other apps ask of the follow-up engine: open a setter task, queue a message to a lead,
start the no-response nudges, opt a lead out. Plain functions with keyword-only arguments.

Messages are only stored here (``queued``); ``followups.sending`` sends each one after commit,
from a Celery task, so a rolled-back transaction never leaves a message sent.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from followups import enrollments, sending
from followups.channels import KINDS
from followups.models import Enrollment, OutboundMessage, Task, Trigger
from workspaces import audit
from workspaces.models import Lead

OPTED_OUT_ERROR = "The lead opted out: nothing is sent to it."


def open_task(
    *,
    lead: Lead,
    kind: str,
    title: str,
    detail: str = "",
    dedupe_key: str = "",
    due_at: datetime | None = None,
    assignee=None,
    appointment_id: int | None = None,
    enrollment: Enrollment | None = None,
    suggested: dict | None = None,
) -> Task:
    """Open a setter task. With a ``dedupe_key``, a second call returns the first task (open or
    done) and opens nothing: the unique constraint on (workspace, dedupe_key) settles races.
    ``suggested`` holds the task's ``suggested_*`` fields (the offered time it names)."""
    if kind not in Task.Kind.values:
        raise ValueError(f"unknown task kind {kind!r}")
    fields = {
        "lead": lead,
        "kind": kind,
        "title": (title or "Follow up")[:200],
        "detail": detail,
        "due_at": due_at or timezone.now(),
        "assignee": assignee,
        "appointment_id": appointment_id,
        "enrollment": enrollment,
        **{f"suggested_{name}": value for name, value in (suggested or {}).items()},
    }
    if not dedupe_key:
        return Task.objects.create(workspace_id=lead.workspace_id, **fields)
    with transaction.atomic():
        task, _ = Task.objects.get_or_create(
            workspace_id=lead.workspace_id, dedupe_key=dedupe_key[:200], defaults=fields
        )
    return task


def queue_message(
    *,
    lead: Lead,
    channel: str,
    body: str,
    subject: str = "",
    dedupe_key: str = "",
    enrollment: Enrollment | None = None,
) -> OutboundMessage:
    """Store a message to the lead as ``queued``; it is sent after commit. To an opted-out lead
    it is stored ``failed`` and never sent. With a ``dedupe_key``, a repeat returns the first."""
    opted_out = lead.status == Lead.Status.OPTED_OUT
    fields = {
        "lead": lead,
        "channel": kind_for(lead, channel),
        "subject": (subject or "")[:200],
        "body": body,
        "enrollment": enrollment,
        "state": OutboundMessage.State.FAILED if opted_out else OutboundMessage.State.QUEUED,
        "error": OPTED_OUT_ERROR if opted_out else "",
    }
    with transaction.atomic():
        if dedupe_key:
            message, created = OutboundMessage.objects.get_or_create(
                workspace_id=lead.workspace_id, dedupe_key=dedupe_key[:200], defaults=fields
            )
        else:
            message = OutboundMessage.objects.create(workspace_id=lead.workspace_id, **fields)
            created = True
        if created and not opted_out:
            transaction.on_commit(lambda: sending.enqueue(message.pk))
    return message


def kind_for(lead: Lead, channel: str) -> str:
    """The message kind for a channel name: "sms" or "email" as asked; anything else (a chat
    channel we can't write on) becomes the lead's SMS when it has a phone, else e-mail."""
    kind = (channel or "").strip().lower()
    if kind in KINDS:
        return kind
    return "sms" if lead.phone else "email"


def set_task_state(*, task: Task, state: str, user) -> bool:
    """Mark a task done (or open again). Posting the state already held changes nothing and
    returns False, so a second click is harmless."""
    now = timezone.now()
    tasks = Task.objects.filter(pk=task.pk)
    if state == Task.State.DONE:
        changed = tasks.filter(state=Task.State.OPEN).update(
            state=Task.State.DONE, done_by=user, done_at=now, updated_at=now
        )
    elif state == Task.State.OPEN:
        changed = tasks.filter(state=Task.State.DONE).update(
            state=Task.State.OPEN, done_by=None, done_at=None, resolution="", updated_at=now
        )
    else:
        raise ValueError(f"unknown task state {state!r}")
    task.refresh_from_db()
    return bool(changed)


def close_tasks(tasks, *, resolution: str) -> int:
    """Close open tasks that an event made moot (nobody did them: ``done_by`` stays empty)."""
    now = timezone.now()
    return tasks.filter(state=Task.State.OPEN).update(
        state=Task.State.DONE, done_at=now, resolution=resolution[:200], updated_at=now
    )


def start_no_response(*, lead: Lead, anchor: datetime | None = None) -> list[Enrollment]:
    """We just contacted the lead: start the no-response nudges, counted from ``anchor`` (now by
    default). An active one is kept as it is; one paused by an earlier reply is replaced, since
    the lead has gone quiet again since."""
    with transaction.atomic():
        lead = Lead.objects.select_for_update().select_related("workspace").get(pk=lead.pk)
        if lead.status in (Lead.Status.OPTED_OUT, Lead.Status.MEETING_BOOKED):
            return []
        paused = enrollments.live(lead, triggers=[Trigger.NO_RESPONSE]).filter(
            state=Enrollment.State.PAUSED
        )
        enrollments.stop(paused, reason=Enrollment.EndReason.SUPERSEDED)
        results = enrollments.enroll(
            lead=lead, trigger=Trigger.NO_RESPONSE, anchor=anchor or timezone.now()
        )
    return [enrollment for enrollment, _ in results]


def opt_out(*, lead: Lead, actor=None) -> Lead:
    """The lead asked us to stop: it is ``opted_out`` for good, and everything stops (live
    sequences, queued messages, its open tasks)."""
    with transaction.atomic():
        locked = Lead.objects.select_for_update().select_related("workspace").get(pk=lead.pk)
        if locked.status != Lead.Status.OPTED_OUT:
            locked.status = Lead.Status.OPTED_OUT
            locked.save(update_fields=["status", "updated_at"])
            if actor is not None:
                audit.record(
                    workspace=locked.workspace,
                    action="lead.opted_out",
                    actor=actor,
                    changes={"lead": locked.pk},
                )
        _stop_everything(locked)
    lead.status = locked.status
    return locked


def _stop_everything(lead: Lead) -> None:
    """Live sequences, messages still queued, the lead's open tasks (a setter's own manual
    notes stay)."""
    enrollments.stop(
        Enrollment.objects.filter(lead_id=lead.pk, state__in=Enrollment.LIVE),
        reason=Enrollment.EndReason.OPTED_OUT,
    )
    sending.fail_queued(lead=lead, reason=OPTED_OUT_ERROR)
    close_tasks(
        Task.objects.filter(lead_id=lead.pk).exclude(kind=Task.Kind.MANUAL),
        resolution="The lead opted out.",
    )
