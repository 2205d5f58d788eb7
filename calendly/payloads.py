"""Calendly webhook bodies parsed once, at the edge, into frozen dataclasses.

Every body is untrusted (verify its signature first, with ``calendly.signatures``): anything we
can't use raises ``PayloadError(reason)`` with a short, safe reason. The invitee events
(``invitee.created``, ``invitee.canceled``, ``invitee_no_show.created``,
``invitee_no_show.deleted``) carry an ``InviteePayload``; any other well-formed event comes back
with ``invitee=None``, for the caller to store and mark ignored.

Deliveries carry no delivery id and may arrive twice or out of order: ``dedupe_key`` names what a
delivery is about, so a repeat can be recognised.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from integrations.responses import ResponseShapeError, optional_time
from workspaces import jsonsafe

from .types import Invitee, optional_uri

INVITEE_CREATED = "invitee.created"
INVITEE_CANCELED = "invitee.canceled"
NO_SHOW_CREATED = "invitee_no_show.created"
NO_SHOW_DELETED = "invitee_no_show.deleted"
INVITEE_EVENTS = frozenset({INVITEE_CREATED, INVITEE_CANCELED, NO_SHOW_CREATED, NO_SHOW_DELETED})
MAX_BODY_BYTES = 1_000_000
_MAX_EVENT_NAME = 100

# The webhook invitee is the API's invitee with its scheduled event embedded.
InviteePayload = Invitee


class PayloadError(ValueError):
    """The body can't be used; ``reason`` is short and safe to store or answer with."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class WebhookEvent:
    """One delivery. ``invitee`` is set for the invitee events, None for any other event."""

    event: str
    created_at: datetime | None
    created_by: str
    invitee: InviteePayload | None

    @property
    def dedupe_key(self) -> str:
        """The same for every delivery of the same happening, different between happenings.

        An invitee is created once and canceled once; a no-show mark can be set, removed and set
        again, so those also key on the mark (or the invitee's ``updated_at``).
        """
        if self.invitee is None:
            parts = [self.event, self.created_by, str(self.created_at)]
        else:
            parts = [self.event, self.invitee.uri]
            if self.event == NO_SHOW_CREATED and self.invitee.no_show:
                parts.append(self.invitee.no_show.uri)
            elif self.event == NO_SHOW_DELETED:
                parts.append(str(self.invitee.updated_at or self.created_at))
        joined = "\n".join(parts)
        # surrogatepass: a lone surrogate must reach the inbox, which keeps it as failed.
        digest = hashlib.sha256(joined.encode("utf-8", "surrogatepass")).hexdigest()[:40]
        return f"{self.event}:{digest}"


def parse_event(body: bytes | str | Mapping[str, Any]) -> WebhookEvent:
    """Parse a delivery body (raw bytes, text, or an already decoded object)."""
    data = _decode(body) if isinstance(body, bytes | str) else body
    if not isinstance(data, Mapping):
        raise PayloadError("body is not a JSON object")
    event = data.get("event")
    if not isinstance(event, str) or not event.strip() or len(event) > _MAX_EVENT_NAME:
        raise PayloadError("event is missing")
    event = event.strip()
    try:
        created_at = optional_time(data.get("created_at"), field="created_at")
        created_by = optional_uri(data, "created_by")
    except ResponseShapeError as exc:
        raise PayloadError(str(exc)) from None
    payload = data.get("payload")
    if not isinstance(payload, Mapping):
        raise PayloadError("payload is not an object")
    invitee = _invitee(payload) if event in INVITEE_EVENTS else None
    return WebhookEvent(event=event, created_at=created_at, created_by=created_by, invitee=invitee)


def _decode(body: bytes | str) -> Any:
    if len(body) > MAX_BODY_BYTES:
        raise PayloadError("body is too large")
    try:
        return jsonsafe.loads(body)
    except jsonsafe.UnsafeJSON as exc:
        raise PayloadError(exc.reason) from None
    except ValueError:
        raise PayloadError("body is not JSON") from None


def _invitee(payload: Mapping[str, Any]) -> InviteePayload:
    if not isinstance(payload.get("uri"), str) or not payload["uri"].strip():
        raise PayloadError("payload.uri is missing")
    if not isinstance(payload.get("scheduled_event"), Mapping):
        raise PayloadError("payload.scheduled_event is missing")
    try:
        return Invitee.from_api(payload)
    except ResponseShapeError as exc:
        raise PayloadError(f"payload: {exc}") from None
