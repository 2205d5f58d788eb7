"""A lead's messages both ways, newest first, as the API lists them: replies from the lead
(``in``) and messages to it (``out``) with the state each ended in and why."""

from __future__ import annotations

from followups.models import OutboundMessage
from workspaces.models import Lead

LIMIT = 500


def _iso(value):
    return value.isoformat().replace("+00:00", "Z") if value else None


def lead_messages(lead: Lead, *, limit: int = LIMIT) -> list[dict]:
    inbound = [
        {
            "id": f"in-{m.pk}",
            "direction": "in",
            "channel": m.channel,
            "state": "received",
            "state_reason": m.autobook_detail,
            "subject": "",
            "body": m.body,
            "provider": m.provider,
            "provider_message_id": m.provider_message_id,
            "created_at": _iso(m.created_at),
            "sent_at": None,
            "received_at": _iso(m.received_at),
            "_at": m.received_at,
        }
        for m in lead.inbound_messages.order_by("-received_at", "-id")[:limit]
    ]
    outbound = [
        {
            "id": f"out-{m.pk}",
            "direction": "out",
            "channel": m.channel,
            "state": m.state,
            "state_reason": m.error,
            "subject": m.subject,
            "body": m.body,
            "provider": m.sent_via,
            "provider_message_id": m.provider_message_id,
            "created_at": _iso(m.created_at),
            "sent_at": _iso(m.sent_at),
            "received_at": None,
            "_at": m.sent_at or m.created_at,
        }
        for m in OutboundMessage.objects.filter(lead_id=lead.pk).order_by("-created_at", "-id")[
            :limit
        ]
    ]
    rows = sorted(inbound + outbound, key=lambda row: row["_at"], reverse=True)
    for row in rows:
        del row["_at"]
    return rows
