"""The inbound e-mail endpoint's signature: ``Webhook-Signature: t=<unix seconds>,v1=<hex>``,
where ``v1`` is the hex HMAC-SHA256, keyed with the workspace's inbound secret (its UTF-8 bytes),
of ``<t>.`` followed by the raw body. The same scheme as Calendly's deliveries, so one
``openssl`` line in an MTA's pipe can sign (README, "Messaging"). Stdlib only.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time

SIGNATURE_HEADER = "Webhook-Signature"
TOLERANCE = 180  # seconds either side of now
_HEX_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_MAX_HEADER_LENGTH = 1000


class SignatureError(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _digest(body: bytes, secret: str, t: int) -> str:
    return hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()


def sign(body: bytes, secret: str, t: int | None = None) -> str:
    t = int(time.time()) if t is None else t
    return f"t={t},v1={_digest(body, secret, t)}"


def verify(header: str | None, body: bytes, secret: str, *, now: float | None = None) -> None:
    """Return if ``header`` signs exactly ``body`` with ``secret`` within the tolerance; else
    SignatureError with a short reason."""
    if not secret:
        raise SignatureError("no inbound secret is set")
    if header is None or not header.strip():
        raise SignatureError("missing Webhook-Signature header")
    t, candidates = _parse(header)
    current = time.time() if now is None else now
    if abs(t - current) > TOLERANCE:
        raise SignatureError("signature timestamp is outside the 3-minute tolerance")
    expected = _digest(body, secret, t).encode()
    matched = False
    for candidate in candidates:  # all compared, so timing tells nothing
        matched |= hmac.compare_digest(candidate.lower().encode(), expected)
    if not matched:
        raise SignatureError("signature does not match")


def _parse(header: str) -> tuple[int, list[str]]:
    if len(header) > _MAX_HEADER_LENGTH:
        raise SignatureError("malformed Webhook-Signature header")
    t, candidates = None, []
    for part in header.split(","):
        name, sep, value = part.strip().partition("=")
        if not sep:
            raise SignatureError("malformed Webhook-Signature header")
        if name == "t" and t is None and value.isascii() and value.isdigit():
            t = int(value)
        elif name == "v1" and _HEX_SHA256.fullmatch(value):
            candidates.append(value)
        else:
            raise SignatureError("malformed Webhook-Signature header")
    if t is None or not candidates:
        raise SignatureError("malformed Webhook-Signature header")
    return t, candidates
