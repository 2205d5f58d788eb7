"""The GHL message channel for the follow-up engine: SMS and e-mail through GHL's conversations
API, for workspaces with a connected GHL (the record-only channel stays the default otherwise).

A send is never retried by the client once it may have reached GHL; an unknown outcome is raised
as ``ProviderUnavailable(outcome_unknown=True)`` for the engine to settle, not to resend blindly.
"""

from __future__ import annotations

from dataclasses import dataclass

from followups.errors import ProviderBadRequest

from . import connection
from .provider import GhlProvider

NAME = "ghl"
KINDS = {"sms": "SMS", "email": "Email"}


@dataclass(frozen=True)
class Sent:
    provider_message_id: str
    conversation_id: str = ""


class GhlChannel:
    name = NAME

    def __init__(self, workspace):
        self.workspace = workspace

    def send(self, *, lead, kind: str, body: str, subject: str = "", message=None) -> Sent:
        message_type = KINDS.get((kind or "").lower())
        if message_type is None:
            raise ProviderBadRequest(f"GoHighLevel cannot send a “{kind}” message.")
        if message_type == "Email" and not lead.email:
            raise ProviderBadRequest("This lead has no e-mail address.")
        if message_type == "SMS" and not lead.phone:
            raise ProviderBadRequest("This lead has no phone number.")
        provider = GhlProvider(self.workspace)
        with provider._client() as client:
            contact = provider._ensure_contact(client, lead)
            sent = client.send_message(
                contact.id,
                message_type,
                body,
                subject=(subject or None) if message_type == "Email" else None,
            )
        return Sent(provider_message_id=sent.message_id, conversation_id=sent.conversation_id)


def is_available(workspace) -> bool:
    return connection.is_connected(workspace)


def register(register_channel) -> None:
    register_channel(NAME, GhlChannel, is_available)
