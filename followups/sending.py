"""Sending one queued message, once.

``send`` claims the row with a conditional UPDATE (queued and unclaimed → claimed), so of two
runs for the same message only one sends. The outcome is then settled:

- sent: the channel took it (``provider_message_id``, ``sent_via``);
- failed, for good: the lead opted out, the sequence it belongs to was stopped, the lead has no
  address for it, the provider refused it, or the provider may have sent it
  (``ProviderUnavailable(outcome_unknown=True)``): that one is never sent again blindly, since
  the lead would get it twice;
- not sent: no channel can reach the workspace's leads (``channels.NOT_CONNECTED``);
- still queued: a transient provider error. The claim is released and the beat's sweep sends it
  again a minute later, up to ``MAX_ATTEMPTS``.

A claim older than ``CLAIM_TTL`` belongs to a worker that died mid-send: whether the message went
is unknown, so it is failed with that reason rather than sent again.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from followups import channels
from followups.errors import ProviderError, ProviderRateLimited, ProviderUnavailable
from followups.models import Enrollment, OutboundMessage
from workspaces.models import Lead

logger = logging.getLogger(__name__)

State = OutboundMessage.State
MAX_ATTEMPTS = 5
REQUEUE_AFTER = timedelta(minutes=1)
CLAIM_TTL = timedelta(minutes=10)  # well past the task's hard time limit (90 s)
SWEEP_LIMIT = 500

UNKNOWN_OUTCOME = (
    "The provider did not confirm this message; it may have reached the lead, so it was not "
    "sent again."
)
INTERRUPTED = "Sending was interrupted; it may have reached the lead, so it was not sent again."
STOPPED = "Its sequence was stopped before it went out ({reason})."


# Defined beside the work it runs (not in followups.tasks, which runs the scheduler): queueing
# a message enqueues it, and the scheduler queues messages.
@shared_task(name="followups.tasks.send_message")
def send_message(message_id: int) -> str | None:
    """Send one queued message; a duplicate run finds it claimed and does nothing."""
    return send(message_id)


def enqueue(message_id: int, *, countdown: float | None = None) -> None:
    """Hand the message to a worker. A broker error is logged: the row stays queued and the
    beat's sweep enqueues it again."""
    try:
        if countdown:
            send_message.apply_async((message_id,), countdown=countdown)
        else:
            send_message.delay(message_id)
    except Exception:
        logger.exception("could not enqueue send_message(%s); the sweep will retry", message_id)


def send(message_id: int) -> str | None:
    """Send the message if this run claims it; returns its state, or None when another run has
    it or it was settled already."""
    now = timezone.now()
    claimed = OutboundMessage.objects.filter(
        pk=message_id, state=State.QUEUED, claimed_at__isnull=True
    ).update(claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return None
    message = OutboundMessage.objects.select_related("lead__workspace", "enrollment").get(
        pk=message_id
    )
    channel = channels.channel_for(message.lead.workspace)
    if channel is None:
        return _fail(message, channels.NOT_CONNECTED, state=State.NOT_SENT)
    kind = _kind_for(message, channel)
    refusal = _refusal(message, kind)
    if refusal:
        return _fail(message, refusal)
    try:
        sent = channel.send(
            lead=message.lead,
            kind=kind,
            body=message.body,
            subject=message.subject,
            message=message,
        )
    except ProviderUnavailable as exc:
        if exc.outcome_unknown:
            return _fail(message, UNKNOWN_OUTCOME, via=channel.name)
        return _retry_later(message, exc, channel)
    except ProviderRateLimited as exc:
        return _retry_later(message, exc, channel)
    except ProviderError as exc:
        return _fail(message, exc.safe_message, via=channel.name)
    except Exception:
        # A bug in a channel: we can't know whether it sent, so it is not repeated.
        logger.exception("channel %s failed on message %s", channel.name, message.pk)
        return _fail(message, INTERRUPTED, via=channel.name)
    OutboundMessage.objects.filter(pk=message.pk, state=State.QUEUED).update(
        state=State.SENT,
        channel=kind,
        sent_at=timezone.now(),
        sent_via=channel.name,
        provider_message_id=(getattr(sent, "provider_message_id", "") or "")[:255],
        error="",
    )
    return State.SENT


def sweep(*, now=None) -> int:
    """Enqueue again what was left queued for over a minute (a lost enqueue, a transient error);
    fail what a dead worker claimed. Returns how many were enqueued."""
    now = now or timezone.now()
    OutboundMessage.objects.filter(state=State.QUEUED, claimed_at__lt=now - CLAIM_TTL).update(
        state=State.FAILED, error=INTERRUPTED
    )
    stale = (
        OutboundMessage.objects.filter(
            state=State.QUEUED, claimed_at__isnull=True, created_at__lt=now - REQUEUE_AFTER
        )
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:SWEEP_LIMIT]
    )
    ids = list(stale)
    for message_id in ids:
        enqueue(message_id)
    return len(ids)


def fail_queued(*, lead: Lead, reason: str) -> int:
    """Settle every message still waiting to go to the lead as failed (the lead opted out)."""
    return OutboundMessage.objects.filter(
        lead_id=lead.pk, state=State.QUEUED, claimed_at__isnull=True
    ).update(state=State.FAILED, error=reason)


# --- helpers --------------------------------------------------------------------------------


def _kind_for(message: OutboundMessage, channel) -> str:
    """An SMS step goes by e-mail through a channel that can't send SMS (the e-mail channel)."""
    kinds = channels.kinds_of(channel)
    if message.channel in kinds or not kinds:
        return message.channel
    return "email" if "email" in kinds else kinds[0]


def _refusal(message: OutboundMessage, kind: str) -> str:
    lead = message.lead
    if lead.status == Lead.Status.OPTED_OUT:
        return "The lead opted out: nothing is sent to it."
    enrollment = message.enrollment
    if enrollment is not None and not _still_sending(enrollment):
        return STOPPED.format(reason=enrollment.get_end_reason_display().lower())
    if kind == "sms" and not lead.phone:
        return "This lead has no phone number for an SMS."
    if kind == "email" and not lead.email:
        return "This lead has no e-mail address."
    if kind == "email" and lead.email_undeliverable_at is not None:
        return "The lead's e-mail address bounced: nothing more is e-mailed to it."
    return ""


def _still_sending(enrollment: Enrollment) -> bool:
    # An enrollment completes in the same transaction that queues its last step's message.
    if enrollment.state == Enrollment.State.ACTIVE:
        return True
    return (
        enrollment.state == Enrollment.State.COMPLETED
        and enrollment.end_reason == Enrollment.EndReason.FINISHED
    )


def _fail(message: OutboundMessage, reason: str, *, via: str = "", state=State.FAILED) -> str:
    changes = {"state": state, "error": reason}
    if via:
        changes["sent_via"] = via
    OutboundMessage.objects.filter(pk=message.pk, state=State.QUEUED).update(**changes)
    return state


def _retry_later(message: OutboundMessage, exc: ProviderError, channel) -> str:
    """Release the claim for another try: at the channel's own schedule when it has one (the
    first retry enqueued with its countdown, the later ones found by the sweep), else the
    sweep's next pass, up to MAX_ATTEMPTS."""
    schedule = tuple(getattr(channel, "retry_schedule", ()) or ())
    limit = len(schedule) + 1 if schedule else MAX_ATTEMPTS
    if message.attempts >= limit:
        return _fail(
            message,
            f"{exc.safe_message} (gave up after {message.attempts} tries)",
            via=channel.name,
        )
    delay = schedule[message.attempts - 1] if schedule else None
    next_at = timezone.now() + timedelta(seconds=delay) if delay is not None else None
    OutboundMessage.objects.filter(pk=message.pk, state=State.QUEUED).update(
        claimed_at=None, error=exc.safe_message, next_attempt_at=next_at
    )
    # Eager Celery (tests) would run a countdown at once: there the sweep brings it back.
    eager = getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False)
    if delay is not None and delay <= REQUEUE_AFTER.total_seconds() and not eager:
        enqueue(message.pk, countdown=delay)
    return State.QUEUED
