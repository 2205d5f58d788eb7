"""Calendly's webhook signature: ``Calendly-Webhook-Signature: t=<unix seconds>,v1=<hex>``, the
hex HMAC-SHA256 with the subscription's signing key over ``"<t>." + raw body``
(docs/calendly-api.md). The scheme is ``integrations.signing``; this module names the header.
"""

from integrations.signing import DEFAULT_TOLERANCE, SignatureError, sign, verify

SIGNATURE_HEADER = "Calendly-Webhook-Signature"

__all__ = ["DEFAULT_TOLERANCE", "SIGNATURE_HEADER", "SignatureError", "sign", "verify"]
