"""``POST /webhooks/email/<workspace uuid>/``: one raw RFC 822 message (``message/rfc822``, up to
10 MiB) forwarded by the workspace's MTA or inbound-parse service, signed with its inbound
secret. Verify on the raw bytes, drop the attachments, store, answer; the mapping runs in the
webhook inbox's task after commit, like every other provider's delivery.

A 5xx (with ``Retry-After``) when it can't be stored now, so the forwarder tries again; a 4xx
for what no retry fixes.
"""

from __future__ import annotations

import hashlib
import logging

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from integrations import connections, inbox, selectors, webhooks

from . import parsing
from .connection import NAME
from .signatures import SIGNATURE_HEADER, SignatureError, verify

logger = logging.getLogger(__name__)

MAX_BYTES = 10 * 1024 * 1024
CONTENT_TYPES = ("message/rfc822",)
KEPT_HEADERS = ("Content-Type", "User-Agent", SIGNATURE_HEADER)


@csrf_exempt
@require_POST
@webhooks.guarded(provider="E-mail", unavailable_status=503)
def inbound(request: HttpRequest, workspace_id) -> JsonResponse:
    workspace, conn = selectors.webhook_target(workspace_id=workspace_id, provider=NAME)
    if workspace is None:
        raise webhooks.Refused(404, "unknown workspace")
    if conn is None or not conn.is_usable:
        raise webhooks.Refused(404, "the e-mail channel is not connected")
    content_type = (request.content_type or "").lower()
    if content_type not in CONTENT_TYPES:
        raise webhooks.Refused(415, "send the raw message as Content-Type: message/rfc822")
    body = _read(request)
    try:
        verify(request.headers.get(SIGNATURE_HEADER), body, conn.secret("inbound_secret"))
    except SignatureError as exc:
        logger.info("inbound e-mail for workspace %s refused: %s", workspace.pk, exc.reason)
        connections.record_rejected_delivery(workspace=workspace, provider=NAME, reason=exc.reason)
        raise webhooks.Refused(401, exc.reason) from None
    msg = parsing.parse_message(body)
    if not msg.keys():
        raise webhooks.Refused(400, "the body is not an e-mail message")
    message_id = (parsing.ids(str(msg.get("Message-ID", ""))) or ("",))[0]
    try:
        kept = parsing.strip_attachments(msg).as_bytes()
    except (ValueError, TypeError, LookupError, UnicodeError):
        raise webhooks.Refused(400, "the message could not be read") from None
    _, created = inbox.accept_delivery(
        provider=NAME,
        workspace=workspace,
        dedupe_key=message_id or f"sha256:{hashlib.sha256(body).hexdigest()}",
        event="email.received",
        body=kept,
        headers=webhooks.kept_headers(request, KEPT_HEADERS),
    )
    return webhooks.answer(200, "stored" if created else "duplicate")


def _read(request: HttpRequest) -> bytes:
    """The raw bytes, read from the stream (Django's 1 MiB form limit is for the API)."""
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if declared.isdigit() and int(declared) > MAX_BYTES:
        raise webhooks.Refused(413, "message larger than 10 MiB")
    body = request.read(MAX_BYTES + 1)
    if len(body) > MAX_BYTES:
        raise webhooks.Refused(413, "message larger than 10 MiB")
    if not body:
        raise webhooks.Refused(400, "empty body")
    return body
