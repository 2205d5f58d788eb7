"""``POST /webhooks/ghl/<workspace uuid>/``: authenticate, store, answer. Nothing else.

GHL retries a delivery only when we answer 429, so: 2xx as soon as the delivery is stored, 429
(never 5xx) when it can't be stored right now, 4xx for what no retry can fix. Processing happens
in the webhook inbox's task (``ghl.mapping``), after commit.
"""

from __future__ import annotations

import hashlib
import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from integrations import connections, inbox, selectors, webhooks
from workspaces.access import ADMINS, workspace_view
from workspaces.models import Workspace

from . import connection
from .mapping import MARKETPLACE, PROVIDER, WORKFLOW, event_name
from .payloads import (
    WORKFLOW_FIELDS,
    PayloadError,
    load_json,
    parse_marketplace_event,
    parse_workflow_event,
)
from .signatures import (
    SIGNATURE_HEADER,
    UNSIGNED,
    WORKFLOW_SECRET_HEADER,
    SignatureError,
    verify_marketplace_signature,
    verify_workflow_secret,
)

logger = logging.getLogger(__name__)

KEPT_HEADERS = ("Content-Type", "User-Agent", SIGNATURE_HEADER)  # never the workflow secret


@csrf_exempt
@require_POST
@webhooks.guarded(provider="GHL", unavailable_status=429)  # GHL retries only a 429
def webhook(request: HttpRequest, workspace_id) -> JsonResponse:
    workspace, stored = selectors.webhook_target(workspace_id=workspace_id, provider=PROVIDER)
    if workspace is None:
        raise webhooks.Refused(404, "unknown workspace")
    body = webhooks.read_body(request)
    secret = connection.workflow_secret_of(stored)
    mode = _authenticate(request, workspace, body, secret=secret)
    try:
        data = load_json(body)
        dedupe_key, event_type = _identify(mode, data, body)
    except PayloadError as exc:
        inbox.record_failed_delivery(
            provider=PROVIDER,
            workspace=workspace,
            body=body,
            headers=webhooks.kept_headers(request, KEPT_HEADERS),
            error=exc.reason,
            event=event_name(mode, ""),
        )
        raise webhooks.Refused(400, exc.reason) from None
    _, created = inbox.accept_delivery(
        provider=PROVIDER,
        workspace=workspace,
        dedupe_key=dedupe_key,
        event=event_name(mode, event_type),
        body=body,
        headers=webhooks.kept_headers(request, KEPT_HEADERS),
    )
    return webhooks.answer(200, "stored" if created else "duplicate")


def _authenticate(request: HttpRequest, workspace: Workspace, body: bytes, *, secret: str) -> str:
    """Which door the delivery came through; a refusal is counted on the connection (one
    UPDATE) and logged, never stored."""
    signature = request.headers.get(SIGNATURE_HEADER)
    sent_secret = request.headers.get(WORKFLOW_SECRET_HEADER)
    try:
        if signature and signature.strip().upper() != UNSIGNED:
            verify_marketplace_signature(body, signature)
            return MARKETPLACE
        if sent_secret is not None:
            verify_workflow_secret(sent_secret, secret)
            return WORKFLOW
        # Reported as the signature's problem: missing, or "N/A" (unsigned).
        verify_marketplace_signature(body, signature)
    except SignatureError as exc:
        logger.info("GHL webhook for workspace %s refused: %s", workspace.pk, exc.reason)
        connections.record_rejected_delivery(
            workspace=workspace, provider=PROVIDER, reason=exc.reason
        )
        raise webhooks.Refused(401, exc.reason) from None
    raise webhooks.Refused(401, "not authenticated")  # pragma: no cover - verify raised above


def _identify(mode: str, data, body: bytes) -> tuple[str, str]:
    """The dedupe key and a short event type, from a body parsed to the shape it must have."""
    if mode == MARKETPLACE:
        event = parse_marketplace_event(data)
        if not event.webhook_id:
            raise PayloadError("webhookId is missing")
        return f"webhook:{event.webhook_id}", _type_of(data)
    event = parse_workflow_event(data)
    key = event.dedupe_key or f"body:{hashlib.sha256(body).hexdigest()}"
    return f"workflow:{key}"[:255], f"workflow.{event.event}"


def _type_of(data) -> str:
    value = data.get("type")
    return value[:64] if isinstance(value, str) else ""


@require_POST
@workspace_view(roles=ADMINS)
def workflow_secret(request: HttpRequest) -> HttpResponse:
    """Generate a new workflow webhook secret and show it this once (it is never shown again)."""
    workspace = request.workspace
    secret = connection.new_workflow_secret(workspace=workspace, actor=request.user)
    response = render(
        request,
        "ghl/workflow_secret.html",
        {
            "workspace": workspace,
            "secret": secret,
            "webhook_url": connection.webhook_url(workspace),
            "fields": WORKFLOW_FIELDS,
            "header": WORKFLOW_SECRET_HEADER,
        },
    )
    response["Cache-Control"] = "no-store"
    return response
