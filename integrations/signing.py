"""The timestamped HMAC signature that Calendly's deliveries use, and that our own signed
endpoints (the inbound e-mail one) adopt so one recipe signs for both:
``<header>: t=<unix seconds>,v1=<hex HMAC-SHA256(key, "<t>." + raw body)>``.

Verify on the raw bytes before parsing anything, compare in constant time, and refuse a ``t``
too far from now so a captured delivery can't be replayed later. Stdlib only: the Calendly
sandbox signs with the same code the webhook views verify with.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time

DEFAULT_TOLERANCE = 180  # seconds either side of now
_HEX_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_MAX_HEADER_LENGTH = 1000


class SignatureError(Exception):
    """The delivery is not proven to come from who it claims; ``reason`` is short and safe for
    the card and the log (a stranger is told less)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def sign(body: bytes, key: str, t: int | None = None) -> str:
    """The header value for ``body`` signed with ``key`` at time ``t`` (default: now)."""
    t = int(time.time()) if t is None else t
    return f"t={t},v1={_digest(body, key, t)}"


def verify(
    header: str | None,
    body: bytes,
    key: str,
    *,
    now: float | None = None,
    tolerance: int = DEFAULT_TOLERANCE,
    missing_key: str = "no signing key is set",
) -> None:
    """Return if ``header`` signs exactly ``body`` with ``key`` recently; else ``SignatureError``.

    Several ``v1`` values are accepted (any one matching will do), as during a key rotation.
    """
    if not key:
        raise SignatureError(missing_key)
    if header is None or not header.strip():
        raise SignatureError("missing signature header")
    t, candidates = _parse(header)
    current = time.time() if now is None else now
    if t < current - tolerance:
        raise SignatureError("signature is too old")
    if t > current + tolerance:
        raise SignatureError("signature is from the future")
    expected = _digest(body, key, t).encode()
    # Check every candidate so the time taken doesn't tell which one came close.
    matched = False
    for candidate in candidates:
        matched |= hmac.compare_digest(candidate.lower().encode(), expected)
    if not matched:
        raise SignatureError("signature does not match")


def _digest(body: bytes, key: str, t: int) -> str:
    return hmac.new(key.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()


def _parse(header: str) -> tuple[int, list[str]]:
    if len(header) > _MAX_HEADER_LENGTH:
        raise SignatureError("malformed signature header")
    t = None
    candidates = []
    for part in header.split(","):
        name, sep, value = part.strip().partition("=")
        if not sep:
            raise SignatureError("malformed signature header")
        if name == "t":
            if t is not None or not value.isascii() or not value.isdigit():
                raise SignatureError("malformed signature header")
            t = int(value)
        elif name == "v1":
            if not _HEX_SHA256.fullmatch(value):
                raise SignatureError("malformed signature header")
            candidates.append(value)
    if t is None or not candidates:
        raise SignatureError("malformed signature header")
    return t, candidates
