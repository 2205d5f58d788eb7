"""The inbound e-mail endpoint's signature: ``Webhook-Signature: t=<unix seconds>,v1=<hex>``, the
hex HMAC-SHA256 with the workspace's inbound secret (its UTF-8 bytes) over ``"<t>." + raw body``:
Calendly's scheme (``integrations.signing``), so one ``openssl`` line in an MTA's pipe signs
(README, "Messaging"), with a three-minute tolerance.
"""

from functools import partial

from integrations.signing import SignatureError, sign
from integrations.signing import verify as _verify

SIGNATURE_HEADER = "Webhook-Signature"

verify = partial(_verify, missing_key="no inbound secret is set")

__all__ = ["SIGNATURE_HEADER", "SignatureError", "sign", "verify"]
