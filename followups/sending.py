"""Sending one queued message, once.

``send`` claims the row with a conditional UPDATE (queued and unclaimed → claimed), so of two
runs for the same message only one sends. The outcome is then settled:

- sent: the channel took it (``provider_message_id``, ``sent_via``);
- failed, for good: the lead opted out, the sequence it belongs to was stopped, the lead has no
  address for it, the provider refused it, or the provider may have sent it
  (``ProviderUnavailable(outcome_unknown=True)``): that one is never sent again blindly, since
  the lead would get it twice;
- still queued: a transient provider error. The claim is released and the beat's sweep sends it
  again a minute later, up to ``MAX_ATTEMPTS``.

A claim older than ``CLAIM_TTL`` belongs to a worker that died mid-send: whether the message went
is unknown, so it is failed with that reason rather than sent again.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.db.models import F
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


def enqueue(message_id: int) -> None:
    """Hand the message to a worker. A broker error is logged: the row stays queued and the
    beat's sweep enqueues it again."""
    try:
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
    refusal = _refusal(message)
    if refusal:
        return _fail(message, refusal)
    channel = channels.channel_for(message.lead.workspace)
    try:
        sent = channel.send(
            lead=message.lead, kind=message.channel, body=message.body, subject=message.subject
        )
    except ProviderUnavailable as exc:
        if exc.outcome_unknown:
            return _fail(message, UNKNOWN_OUTCOME, via=channel.name)
        return _retry_later(message, exc)
    except ProviderRateLimited as exc:
        return _retry_later(message, exc)
    except ProviderError as exc:
        return _fail(message, exc.safe_message, via=channel.name)
    except Exception:
        # A bug in a channel: we can't know whether it sent, so it is not repeated.
        logger.exception("channel %s failed on message %s", channel.name, message.pk)
        return _fail(message, INTERRUPTED, via=channel.name)
    OutboundMessage.objects.filter(pk=message.pk, state=State.QUEUED).update(
        state=State.SENT,
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


def _refusal(message: OutboundMessage) -> str:
    lead = message.lead
    if lead.status == Lead.Status.OPTED_OUT:
        return "The lead opted out: nothing is sent to it."
    enrollment = message.enrollment
    if enrollment is not None and not _still_sending(enrollment):
        return STOPPED.format(reason=enrollment.get_end_reason_display().lower())
    if message.channel == "sms" and not lead.phone:
        return "This lead has no phone number for an SMS."
    if message.channel == "email" and not lead.email:
        return "This lead has no e-mail address."
    return ""


def _still_sending(enrollment: Enrollment) -> bool:
    # An enrollment completes in the same transaction that queues its last step's message.
    if enrollment.state == Enrollment.State.ACTIVE:
        return True
    return (
        enrollment.state == Enrollment.State.COMPLETED
        and enrollment.end_reason == Enrollment.EndReason.FINISHED
    )


def _fail(message: OutboundMessage, reason: str, *, via: str = "") -> str:
    changes = {"state": State.FAILED, "error": reason}
    if via:
        changes["sent_via"] = via
    OutboundMessage.objects.filter(pk=message.pk, state=State.QUEUED).update(**changes)
    return State.FAILED


def _retry_later(message: OutboundMessage, exc: ProviderError) -> str:
    if message.attempts >= MAX_ATTEMPTS:
        return _fail(message, f"{exc.safe_message} (gave up after {message.attempts} tries)")
    OutboundMessage.objects.filter(pk=message.pk, state=State.QUEUED).update(
        claimed_at=None, error=exc.safe_message
    )
    return State.QUEUED
