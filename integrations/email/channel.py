"""The e-mail channel: each message to a lead goes out through the workspace's own SMTP server,
with its own Message-ID (stored as the message's provider id, so a reply finds it) and, when it
answers the lead's latest e-mail, ``In-Reply-To``/``References`` so it threads."""

from __future__ import annotations

from dataclasses import dataclass

from followups import channels
from followups.errors import ProviderBadRequest, ProviderNotConnected
from followups.models import OutboundMessage
from integrations import selectors

from . import compose, smtp, unsubscribe
from .connection import NAME, settings_of

DEFAULT_SUBJECT = "A message from {name}"


@dataclass(frozen=True)
class Sent:
    provider_message_id: str


class EmailChannel:
    name = NAME
    kinds = ("email",)  # an SMS step goes by e-mail here

    def __init__(self, workspace):
        self.workspace = workspace

    def send(self, *, lead, kind: str, body: str, subject: str = "", message=None) -> Sent:
        if not lead.email:
            raise ProviderBadRequest("This lead has no e-mail address.")
        conn = selectors.get_connection(workspace=self.workspace, provider=NAME)
        if conn is None or not conn.is_usable:
            raise ProviderNotConnected("The e-mail channel is not connected.")
        in_reply_to = _answering(lead)
        subject = _subject(lead, subject, in_reply_to, self.workspace)
        if message is not None and message.subject != subject:
            # Kept, so a later answer in the same thread can say "Re:" to it.
            OutboundMessage.objects.filter(pk=message.pk).update(subject=subject[:200])
        mail = compose.build(
            compose.Outgoing(
                from_email=conn.config.get("from_email", ""),
                from_name=conn.config.get("from_name", ""),
                to=lead.email,
                subject=subject,
                body=body,
                unsubscribe_url=unsubscribe.url_for(lead),
                unsubscribe_mailto=unsubscribe.mailto_for(conn.config.get("from_email", "")),
                in_reply_to=in_reply_to,
                references=_references(lead, in_reply_to),
            )
        )
        smtp.deliver(
            settings_of(conn),
            sender=conn.config.get("from_email", ""),
            recipient=lead.email,
            data=mail.as_bytes(),
        )
        return Sent(provider_message_id=mail["Message-ID"])


def _answering(lead) -> str:
    """The Message-ID of the lead's latest reply, when it came by e-mail."""
    last = channels.last_reply(lead)
    if last and last[0] == NAME and last[1]:
        return last[1]
    return ""


def _references(lead, in_reply_to: str) -> tuple[str, ...]:
    """Our earlier e-mails to the lead, oldest first, so the whole exchange stays one thread."""
    if not in_reply_to:
        return ()
    ours = (
        OutboundMessage.objects.filter(lead_id=lead.pk, sent_via=NAME)
        .exclude(provider_message_id="")
        .order_by("-created_at", "-id")
        .values_list("provider_message_id", flat=True)[:5]
    )
    return tuple(reversed(list(ours)))


def _subject(lead, subject: str, in_reply_to: str, workspace) -> str:
    """An answer keeps the thread's subject ("Re: …"): mail clients thread by it as well as by
    References. Anything else says its own subject, or a plain default."""
    if in_reply_to:
        earlier = (
            OutboundMessage.objects.filter(lead_id=lead.pk, sent_via=NAME, state="sent")
            .exclude(subject="")
            .order_by("-created_at", "-id")
            .values_list("subject", flat=True)
            .first()
        )
        if earlier:
            return earlier if earlier.lower().startswith("re:") else f"Re: {earlier}"
    return subject or DEFAULT_SUBJECT.format(name=workspace.name)
