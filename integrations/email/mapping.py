"""Turning a stored inbound e-mail into what it means for a lead: a reply (through the reply
receiver, like a GHL or API reply: auto-booking and the follow-up engine take it from there), a
bounce (a hard one marks the lead's address undeliverable), or an auto-reply (ignored).

The lead is found through the ids the mail answers (``In-Reply-To``, then ``References``) among
the e-mails we sent, else by the ``From`` address in this workspace.
"""

from __future__ import annotations

from django.utils import timezone

from followups import channels, services
from followups.models import OutboundMessage
from integrations.models import WebhookDelivery
from workspaces.models import Lead

from . import parsing
from .connection import NAME

State = WebhookDelivery.State
BOUNCED = "The lead's mail server refused it for good (a bounce): {address}."


def map_delivery(delivery: WebhookDelivery) -> str:
    mail = parsing.parse(delivery.raw_body)
    workspace = delivery.workspace
    if mail.kind == parsing.AUTO_REPLY:
        return State.IGNORED
    if mail.kind == parsing.BOUNCE:
        return _bounce(workspace, mail)
    lead = _sent_to(workspace, (*mail.in_reply_to, *reversed(mail.references)))
    if lead is None and mail.from_address:
        lead = Lead.objects.filter(workspace=workspace, email=mail.from_address).first()
    if lead is None:
        return State.UNMATCHED
    if mail.subject.strip().lower() == "unsubscribe" and not mail.text.strip():
        services.opt_out(lead=lead)  # the List-Unsubscribe mailto
        return State.PROCESSED
    channels.deliver_reply(
        lead=lead,
        channel="email",
        body=mail.text,
        received_at=_received_at(mail),
        provider=NAME,
        provider_message_id=mail.message_id[:255],
    )
    return State.PROCESSED


def _sent_to(workspace, message_ids) -> Lead | None:
    for message_id in message_ids:
        sent = (
            OutboundMessage.objects.filter(
                workspace=workspace, sent_via=NAME, provider_message_id=message_id
            )
            .select_related("lead")
            .first()
        )
        if sent is not None:
            return sent.lead
    return None


def _bounce(workspace, mail: parsing.ParsedEmail) -> str:
    lead = _sent_to(workspace, mail.bounced_message_ids)
    if lead is None and mail.bounced_address:
        lead = Lead.objects.filter(workspace=workspace, email=mail.bounced_address).first()
    if lead is None or not mail.hard_bounce:
        return State.IGNORED
    now = timezone.now()
    Lead.objects.filter(pk=lead.pk, email_undeliverable_at__isnull=True).update(
        email_undeliverable_at=now, updated_at=now
    )
    reason = BOUNCED.format(address=lead.email)
    if mail.bounced_message_ids:
        OutboundMessage.objects.filter(
            workspace=workspace,
            sent_via=NAME,
            provider_message_id__in=mail.bounced_message_ids,
            state=OutboundMessage.State.SENT,
        ).update(state=OutboundMessage.State.FAILED, error=reason)
    return State.PROCESSED


def _received_at(mail: parsing.ParsedEmail):
    now = timezone.now()
    if mail.date is None or mail.date > now:
        return now
    return mail.date
