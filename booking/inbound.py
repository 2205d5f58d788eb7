"""Inbound replies from leads, whatever the channel (GHL conversations, the API...)."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction

from booking.models import InboundMessage
from booking.reading import words as reply_words
from booking.reading.text import own_text
from followups import hooks, services
from workspaces.models import Lead

# A reply moves only these statuses forward; a provider-backed status (booked, no-show...) is
# never overwritten by what a message says.
_REPLY_ADVANCES = {Lead.Status.NEW, Lead.Status.CONTACTED}


def receive_message(
    *,
    lead: Lead,
    channel: str,
    body: str,
    received_at: datetime,
    provider: str = "api",
    provider_message_id: str = "",
) -> tuple[InboundMessage, bool]:
    """Store the reply once (per provider message id), tell the follow-up engine, and hand it to
    auto-booking after commit. A duplicate returns the stored message and does nothing else."""
    try:
        with transaction.atomic():
            message = InboundMessage.objects.create(
                workspace_id=lead.workspace_id,
                lead=lead,
                channel=channel,
                body=body,
                received_at=received_at,
                provider=provider,
                provider_message_id=provider_message_id,
            )
            if lead.status in _REPLY_ADVANCES:
                Lead.objects.filter(pk=lead.pk, status__in=_REPLY_ADVANCES).update(
                    status=Lead.Status.REPLIED
                )
            hooks.on_lead_replied(lead=lead, channel=channel)
            if asks_to_stop(body):
                services.opt_out(lead=lead)
            transaction.on_commit(lambda: _enqueue_auto_book(message.pk))
            return message, True
    except IntegrityError:
        existing = InboundMessage.objects.get(
            workspace_id=lead.workspace_id,
            provider=provider,
            provider_message_id=provider_message_id,
        )
        return existing, False


def last_reply(lead: Lead) -> tuple[str, str] | None:
    """The lead's latest reply as (provider, provider_message_id), for threading an answer."""
    return (
        InboundMessage.objects.filter(lead_id=lead.pk)
        .order_by("-received_at", "-id")
        .values_list("provider", "provider_message_id")
        .first()
    )


def asks_to_stop(body: str) -> bool:
    """The lead's own words (quoted history aside) are a STOP: it is opted out for good."""
    return reply_words.OPT_OUT.match(own_text(body)) is not None


def _enqueue_auto_book(message_id: int) -> None:
    from booking.tasks import auto_book

    try:
        auto_book.delay(message_id)
    except Exception:  # broker down: the message is stored; a setter can still act on it
        import logging

        logging.getLogger(__name__).exception("could not enqueue auto_book(%s)", message_id)
