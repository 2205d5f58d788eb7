"""How Calendly's API behaves under the shared transport (``integrations.http``): which calls may
be retried, and how its refusals read.

- reads (GET) and DELETE: a 429 waits for ``X-RateLimit-Reset`` (seconds) while that fits a small
  budget, then raises ``ProviderRateLimited``; a 5xx or a network failure is retried with
  exponential back-off and jitter, then raises ``ProviderUnavailable``.
- writes that are safe to repeat (a scheduling link, a webhook subscription, a cancellation):
  the same, but a 5xx or a failure after sending is retried once only.
- booking (``POST /invitees``) has no idempotency key and its own low rate limit: nothing is
  retried. A 429 raises ``ProviderRateLimited`` at once (send the lead a link instead); a 5xx or a
  timeout raises ``ProviderUnavailable(outcome_unknown=True)``: look the booking up (scheduled
  events by the invitee's e-mail around that start) before trying again.

Messages come from Calendly's ``title``/``message``/``details``, never the token.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from followups.errors import (
    ProviderBadRequest,
    ProviderError,
    ProviderPermissionError,
    SlotTaken,
)
from integrations.http import Call, Dialect, Policy, Refusal

READ = Policy(attempts=3)
SAFE_WRITE = Policy(attempts=2)
BOOKING = Policy(attempts=1, wait_on_rate_limit=False, repeatable=False)
PROBE = Policy(attempts=2)

_SCOPE = re.compile(r"\b[a-z][a-z_]*:(?:read|write)\b")
_SLOT_TAKEN_WORDS = (
    "no longer available",
    "not available",
    "unavailable",
    "already booked",
    "already taken",
    "is taken",
)


class CalendlyConflict(ProviderBadRequest):
    """HTTP 409: the thing already exists, e.g. "Hook with this url already exists" when a
    webhook subscription for the same URL and scope is created twice (list, then reuse it or
    delete and recreate)."""


class CalendlyDialect(Dialect):
    """Calendly says why in ``title``, ``message`` and ``details``; a 403 may name a scope."""

    name = "Calendly"
    rate_limit_header = "X-RateLimit-Reset"
    remaining_header = "X-RateLimit-Remaining"

    def reason(self, body: Mapping[str, Any]) -> str:
        parts = [body.get("title"), body.get("message")]
        details = body.get("details")
        for item in details if isinstance(details, list) else []:
            if isinstance(item, dict) and isinstance(item.get("message"), str):
                parameter = item.get("parameter")
                prefix = f"{parameter}: " if isinstance(parameter, str) and parameter else ""
                parts.append(prefix + item["message"])
        return " - ".join(part for part in parts if isinstance(part, str) and part.strip())

    def refusal(self, call: Call, refusal: Refusal) -> ProviderError | None:
        status, detail = refusal.status, refusal.detail
        if status == 403:
            return _permission_error(call, refusal.reason, status=status, detail=detail)
        if status == 400 and call.policy is BOOKING and _says_slot_taken(refusal.reason):
            return SlotTaken(
                "That time was just taken at Calendly; pick another slot.",
                status=status,
                detail=detail,
            )
        if status == 409:
            because = f": {refusal.reason}" if refusal.reason else f" (HTTP {status})"
            return CalendlyConflict(
                f"Calendly refused to {call.action}{because}", status=status, detail=detail
            )
        return None


def _permission_error(call: Call, message: str, **kwargs) -> ProviderPermissionError:
    missing = tuple(dict.fromkeys(_SCOPE.findall(message)))
    if missing:
        text = (
            f"Calendly did not allow us to {call.action}: the token lacks the "
            f"{', '.join(missing)} scope{'s' if len(missing) > 1 else ''}. Grant "
            f"{'them' if len(missing) > 1 else 'it'} in Calendly and connect again."
        )
    elif call.policy is BOOKING:
        text = (
            "Calendly did not allow us to book directly"
            f"{': ' + message if message else ''}. Booking through the API needs a paid "
            "Calendly plan and the scheduled_events:write scope; send a booking link instead."
        )
    else:
        text = f"Calendly did not allow us to {call.action}{': ' + message if message else ''}."
    return ProviderPermissionError(text, missing_scopes=missing, **kwargs)


def _says_slot_taken(message: str) -> bool:
    lowered = message.lower()
    return any(words in lowered for words in _SLOT_TAKEN_WORDS)
