"""Connecting Calendly with OAuth 2.0: the authorize redirect (PKCE, S256), the callback, and
the token calls (a code traded for tokens, tokens refreshed).

The ``state`` and the PKCE verifier live in the admin's session, bound to the workspace the
flow was started for, for ten minutes, and are used once: a callback that doesn't carry that
state (another browser, a replay, a forged link) is refused before any code is exchanged.

A token call is never retried (a code or a refresh token works once) and goes through the shared
transport, so a failure after sending is ``outcome_unknown`` and the code, the refresh token and
the client secret never appear in an error.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.dateparse import parse_datetime

from followups.errors import ProviderAuthError, ProviderBadRequest, ProviderError
from integrations.http import DEFAULT_TIMEOUT, Call, Policy, ProviderHttp, Refusal
from workspaces.models import Workspace

from .dialect import CalendlyDialect
from .types import OAuthTokens

SESSION_KEY = "calendly_oauth"
STATE_TTL = timedelta(minutes=10)
TOKEN_CALL = Policy(attempts=1, wait_on_rate_limit=False, repeatable=False)
_REAUTHORIZE = ("invalid_grant", "invalid_client", "unauthorized_client")


class OAuthRefused(Exception):
    """The callback can't be used; ``reason`` is short and safe to show."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Pending:
    workspace_id: str  # the workspace's public id
    verifier: str


def redirect_uri() -> str:
    """The one callback URL registered with the OAuth app (not per workspace)."""
    return f"{settings.PUBLIC_BASE_URL}{reverse('calendly_oauth_callback')}"


def authorize_url(*, session, workspace: Workspace) -> str:
    """Remember a fresh state and PKCE verifier in the session; the URL to send the admin to."""
    state = secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(48)
    session[SESSION_KEY] = {
        "state": state,
        "verifier": verifier,
        "workspace": str(workspace.public_id),
        "at": timezone.now().isoformat(),
    }
    query = urlencode(
        {
            "client_id": settings.CALENDLY_OAUTH_CLIENT_ID,
            "response_type": "code",
            "redirect_uri": redirect_uri(),
            "state": state,
            "code_challenge": _challenge(verifier),
            "code_challenge_method": "S256",
        }
    )
    return f"{settings.CALENDLY_AUTH_BASE}/oauth/authorize?{query}"


def take_pending(*, session, state: str) -> Pending:
    """The flow this callback finishes, removed from the session (so it works once). Checked
    before it is removed: a hit without the right ``state`` (a stranger's link) leaves the
    admin's own sign-in to finish."""
    pending = session.get(SESSION_KEY)
    if not isinstance(pending, dict) or not state:
        raise OAuthRefused("This Calendly sign-in was not started here, or was already used.")
    if not constant_time_compare(state, pending.get("state", "")):
        raise OAuthRefused("This Calendly sign-in does not match the one started here.")
    session.pop(SESSION_KEY, None)
    started = parse_datetime(pending.get("at") or "")
    if started is None or timezone.now() - started > STATE_TTL:
        raise OAuthRefused("This Calendly sign-in took too long: start it again.")
    return Pending(workspace_id=pending["workspace"], verifier=pending["verifier"])


def exchange(*, code: str, pending: Pending) -> OAuthTokens:
    return exchange_code(code, redirect_uri(), code_verifier=pending.verifier)


def exchange_code(
    code: str,
    redirect_uri: str,
    *,
    code_verifier: str | None = None,
    auth_base: str | None = None,
    transport: httpx.BaseTransport | None = None,
    timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
) -> OAuthTokens:
    """Trade an authorization code for tokens (``code_verifier`` when PKCE was used)."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if code_verifier:
        form["code_verifier"] = code_verifier
    return _token_request(form, "connect Calendly", auth_base, transport, timeout)


def refresh_token(
    refresh_token: str,
    *,
    auth_base: str | None = None,
    transport: httpx.BaseTransport | None = None,
    timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
) -> OAuthTokens:
    """New tokens for a refresh token. Calendly replaces the refresh token on use: store the
    new one. Not retried: a second try with the same refresh token could only fail."""
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return _token_request(form, "refresh the Calendly token", auth_base, transport, timeout)


class TokenDialect(CalendlyDialect):
    """The token endpoint answers as OAuth 2.0 says (``error``, ``error_description``)."""

    rate_limited_whom = "us"

    def reason(self, body) -> str:
        code, description = body.get("error"), body.get("error_description")
        return " ".join(part for part in (code, description) if isinstance(part, str))

    def refusal(self, call: Call, refusal: Refusal) -> ProviderError:
        code = refusal.body.get("error")
        text, status, detail = refusal.reason, refusal.status, refusal.detail
        if code in _REAUTHORIZE or status == 401:
            return ProviderAuthError(
                f"Calendly refused to {call.action} ({text or 'invalid grant'}): "
                "connect Calendly again.",
                status=status,
                detail=detail,
            )
        return ProviderBadRequest(
            f"Calendly refused to {call.action}: {text or f'HTTP {status}'}",
            status=status,
            detail=detail,
        )


def _token_request(form, action, auth_base, transport, timeout) -> OAuthTokens:
    client_id = settings.CALENDLY_OAUTH_CLIENT_ID
    client_secret = settings.CALENDLY_OAUTH_CLIENT_SECRET
    if not client_id or not client_secret:
        raise ImproperlyConfigured(
            "CALENDLY_OAUTH_CLIENT_ID and CALENDLY_OAUTH_CLIENT_SECRET must be set to use OAuth"
        )
    http = ProviderHttp(
        TokenDialect(),
        base_url=auth_base or settings.CALENDLY_AUTH_BASE,
        timeout=timeout,
        transport=transport,
    )
    with http:
        body = http.request(
            "POST",
            "/oauth/token",
            action=action,
            policy=TOKEN_CALL,
            data={**form, "client_id": client_id, "client_secret": client_secret},
            secrets=(form.get("code"), form.get("refresh_token"), client_secret),
        )
        return http.parse(OAuthTokens.from_api, body, action=action, written=True)


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")
