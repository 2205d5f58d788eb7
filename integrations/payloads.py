"""A stored delivery as the Integrations tab may show it: the JSON body and the headers we kept,
with anything that could be a secret or a signature hidden, whatever its nesting."""

from __future__ import annotations

import json
import re

from integrations.models import WebhookDelivery

HIDDEN = "•••• hidden"
# Names of fields whose value must never reach a page: credentials and signatures of any kind.
SECRET_NAME = re.compile(
    r"secret|signature|signing|token|password|passwd|authori[sz]ation|api[-_]?key|cookie", re.I
)
MAX_SHOWN = 64 * 1024  # a page shows this much of a body; the rest is said to be cut


def redacted(value):
    if isinstance(value, dict):
        return {k: HIDDEN if SECRET_NAME.search(str(k)) else redacted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redacted(v) for v in value]
    return value


def shown_payload(delivery: WebhookDelivery) -> tuple[str, str]:
    """(body, headers) as pretty text. A body that is not JSON is not shown at all: it can't be
    searched for secrets, so it is described instead."""
    raw = delivery.raw_body
    try:
        body = json.dumps(redacted(json.loads(raw)), indent=2, ensure_ascii=False)
    except (ValueError, UnicodeDecodeError):
        body = f"({len(raw)} bytes, not JSON: not shown)"
    if len(body) > MAX_SHOWN:
        body = body[:MAX_SHOWN] + f"\n… ({len(body) - MAX_SHOWN} more characters not shown)"
    headers = json.dumps(redacted(delivery.headers or {}), indent=2, ensure_ascii=False)
    return body, headers


def strings_in(raw: bytes, *, limit: int = 200) -> set[str]:
    """Up to ``limit`` string values of a JSON body (the ids a delivery names), for linking it to
    what it was about; an unreadable body names nothing."""
    try:
        stack = [json.loads(raw)]
    except (ValueError, UnicodeDecodeError):
        return set()
    found: set[str] = set()
    while stack and len(found) < limit:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str) and 0 < len(value) <= 500:
            found.add(value)
    return found
