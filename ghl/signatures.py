"""Who may call our GHL webhooks: HighLevel's signed marketplace deliveries, or an agency's
workflow carrying the workspace's secret.

Marketplace deliveries carry ``X-GHL-Signature``: a base64 Ed25519 signature of the raw body,
checked against HighLevel's published public key (``settings.GHL_WEBHOOK_PUBLIC_KEY``). The older
``X-WH-Signature`` (RSA-SHA256) is deprecated and deliberately not accepted. Workflow "custom
webhook" actions are unsigned; they carry the per-workspace secret in ``X-Webhook-Secret``.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_der_public_key
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

SIGNATURE_HEADER = "X-GHL-Signature"
WORKFLOW_SECRET_HEADER = "X-Webhook-Secret"
UNSIGNED = "N/A"  # what GHL puts in the signature header of an unsigned delivery
_ED25519_SIGNATURE_LENGTH = 64


class SignatureError(Exception):
    """The delivery is not proven to come from who it claims; ``reason`` is short and safe."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@lru_cache(maxsize=8)
def _public_key(public_key_b64: str) -> Ed25519PublicKey:
    try:
        key = load_der_public_key(base64.b64decode(public_key_b64, validate=True))
    except (ValueError, binascii.Error, TypeError):
        raise ImproperlyConfigured(
            "GHL_WEBHOOK_PUBLIC_KEY is not a base64 DER public key"
        ) from None
    if not isinstance(key, Ed25519PublicKey):
        raise ImproperlyConfigured("GHL_WEBHOOK_PUBLIC_KEY is not an Ed25519 key")
    return key


def verify_marketplace_signature(
    body: bytes, signature_b64: str | None, public_key_b64: str | None = None
) -> None:
    """Return if ``signature_b64`` signs exactly ``body``; raise ``SignatureError`` otherwise.

    ``public_key_b64`` defaults to ``settings.GHL_WEBHOOK_PUBLIC_KEY`` (read at call time). A
    misconfigured key raises ``ImproperlyConfigured``: that is our fault, not the sender's.
    """
    key = _public_key(public_key_b64 or settings.GHL_WEBHOOK_PUBLIC_KEY)
    if signature_b64 is None or not signature_b64.strip():
        raise SignatureError("missing X-GHL-Signature header")
    signature_b64 = signature_b64.strip()
    if signature_b64.upper() == UNSIGNED:
        raise SignatureError("delivery is unsigned (N/A)")
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except (ValueError, binascii.Error):
        raise SignatureError("signature is not base64") from None
    if len(signature) != _ED25519_SIGNATURE_LENGTH:
        raise SignatureError("signature has the wrong length")
    try:
        key.verify(signature, body)
    except InvalidSignature:
        raise SignatureError("signature does not match the body") from None


def verify_workflow_secret(header_value: str | None, expected: str | None) -> None:
    """Return if the header carries the workspace's secret; compared in constant time.

    With no secret configured nothing is accepted.
    """
    if not expected:
        raise SignatureError("no workflow secret is set for this workspace")
    if not header_value:
        raise SignatureError("missing X-Webhook-Secret header")
    if not hmac.compare_digest(header_value.strip().encode(), expected.encode()):
        raise SignatureError("workflow secret does not match")
