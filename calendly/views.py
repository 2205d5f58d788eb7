"""``POST /webhooks/calendly/<workspace uuid>/``: verify, store, answer. Nothing else. And the
card's own buttons: OAuth, Repair subscription, Disable.

Calendly retries any non-2xx for 24 hours, so: 2xx only once a delivery is stored, 503 when it
can't be stored right now (Calendly comes back), 4xx for what no retry can fix. The signature is
checked on the raw bytes before anything is parsed; a request that fails it leaves no row (only a
log line and a counter on the card), so nobody can fill the database. Processing happens in the
webhook inbox's task (``calendly.mapping``), after commit. The request path costs a workspace
lookup, a connection lookup and one insert: no call to Calendly.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from followups.errors import ProviderError
from integrations import connections, inbox, provider_actions, selectors, webhooks
from integrations.providers import get_spec
from workspaces.access import ADMINS, get_workspace_for, workspace_view
from workspaces.models import Workspace

from . import connection, oauth
from .account import has_credentials, signing_key_of
from .models import Subscription
from .payloads import PayloadError, parse_event
from .signatures import SIGNATURE_HEADER, SignatureError, verify

logger = logging.getLogger(__name__)

PROVIDER = "calendly"
KEPT_HEADERS = ("Content-Type", "User-Agent", SIGNATURE_HEADER)


@csrf_exempt
@require_POST
@webhooks.guarded(provider="Calendly", unavailable_status=503)  # Calendly retries any non-2xx
def webhook(request: HttpRequest, workspace_id) -> JsonResponse:
    workspace, stored = selectors.webhook_target(workspace_id=workspace_id, provider=PROVIDER)
    if workspace is None:
        raise webhooks.Refused(404, "unknown workspace")
    body = webhooks.read_body(request)
    _authenticate(request, workspace, body, key=signing_key_of(stored))
    try:
        event = parse_event(body)
    except PayloadError as exc:
        inbox.record_failed_delivery(
            provider=PROVIDER,
            workspace=workspace,
            body=body,
            headers=webhooks.kept_headers(request, KEPT_HEADERS),
            error=exc.reason,
        )
        raise webhooks.Refused(400, exc.reason) from None
    _, created = inbox.accept_delivery(
        provider=PROVIDER,
        workspace=workspace,
        dedupe_key=event.dedupe_key,
        event=event.event,
        body=body,
        headers=webhooks.kept_headers(request, KEPT_HEADERS),
    )
    return webhooks.answer(200, "stored" if created else "duplicate")


def _authenticate(request: HttpRequest, workspace: Workspace, body: bytes, *, key: str) -> None:
    """Refused → counted on the connection (one UPDATE) and logged, never stored."""
    try:
        verify(request.headers.get(SIGNATURE_HEADER), body, key)
    except SignatureError as exc:
        logger.info("Calendly webhook for workspace %s refused: %s", workspace.pk, exc.reason)
        connections.record_rejected_delivery(
            workspace=workspace, provider=PROVIDER, reason=exc.reason
        )
        raise webhooks.Refused(401, exc.reason) from None


# The card's buttons (workspace admins only; each is safe to click twice)


@workspace_view(roles=ADMINS)
@require_POST
def oauth_start(request: HttpRequest):
    if not connection.oauth_configured():
        raise Http404("Calendly OAuth is not configured.")
    return redirect(oauth.authorize_url(session=request.session, workspace=request.workspace))


@login_required
@require_GET
def oauth_callback(request: HttpRequest):
    try:
        pending = oauth.take_pending(session=request.session, state=request.GET.get("state", ""))
    except oauth.OAuthRefused as exc:
        return HttpResponseBadRequest(exc.reason)
    workspace, _ = get_workspace_for(request.user, pending.workspace_id, roles=ADMINS)
    if request.GET.get("error"):
        messages.error(request, "Calendly was not connected: the sign-in was canceled or refused.")
        return _back(workspace)
    code = request.GET.get("code", "")
    if not code:
        return HttpResponseBadRequest("Calendly sent no authorization code.")
    try:
        tokens = oauth.exchange(code=code, pending=pending)
        connection.connect_oauth(workspace=workspace, tokens=tokens, actor=request.user)
    except ProviderError as exc:
        messages.error(request, f"Calendly was not connected: {exc.safe_message}")
        return _back(workspace)
    status = connection.status(workspace)
    messages.success(request, f"Calendly is connected as {status['user_name']}.")
    if not status["event_type"]["uri"]:
        messages.info(request, connection.CHOOSE_EVENT_TYPE)
    return _back(workspace)


@workspace_view(roles=ADMINS)
@require_POST
def repair_subscription(request: HttpRequest):
    workspace = request.workspace
    if not has_credentials(workspace):
        messages.error(request, "Connect Calendly first: the subscription is made on connect.")
        return _back(workspace)
    asked_at = timezone.now()
    connection.request_subscription_check(workspace=workspace)
    subscription = Subscription.objects.filter(workspace=workspace).first()
    if subscription is None or not subscription.checked_at or subscription.checked_at < asked_at:
        messages.info(
            request,
            "The webhook subscription is being checked and repaired if needed: reload in a "
            "moment to see its state.",
        )
    elif subscription.state == Subscription.State.ACTIVE:
        messages.success(request, "Calendly's webhook subscription is active.")
    else:
        messages.error(
            request,
            f"Calendly's webhook subscription is {subscription.get_state_display().lower()}: "
            f"{subscription.last_error}",
        )
    return _back(workspace)


@workspace_view(roles=ADMINS)
@require_POST
def disable(request: HttpRequest):
    workspace = request.workspace
    if not has_credentials(workspace):
        messages.info(request, "Calendly is already disabled for this workspace.")
        return _back(workspace)
    spec = get_spec(connection.PROVIDER)
    done = provider_actions.disconnect_provider(spec=spec, workspace=workspace, actor=request.user)
    outcome = done.answer
    messages.success(
        request,
        "Calendly is disabled: its token and webhook signing key are wiped; appointments are kept.",
    )
    if outcome.subscription_removed:
        messages.info(request, "Its webhook subscription was deleted at Calendly.")
    else:
        messages.warning(
            request,
            "Its webhook subscription could not be removed at Calendly "
            f"({outcome.subscription_detail}). Its deliveries are refused here; delete it in "
            "Calendly, or Calendly disables it after a day of refusals.",
        )
    if done.auto_book_turned_off:
        messages.warning(request, provider_actions.auto_book_off_notice(spec))
    return _back(workspace)


def _back(workspace: Workspace):
    return redirect("integrations_tab", workspace.public_id)
