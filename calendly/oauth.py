"""Connecting Calendly with OAuth 2.0: the authorize redirect (PKCE, S256) and the callback.

The ``state`` and the PKCE verifier live in the admin's session, bound to the workspace the
flow was started for, for ten minutes, and are used once: a callback that doesn't carry that
state (another browser, a replay, a forged link) is refused before any code is exchanged.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.dateparse import parse_datetime

from workspaces.models import Workspace

from . import client

SESSION_KEY = "calendly_oauth"
STATE_TTL = timedelta(minutes=10)


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


def exchange(*, code: str, pending: Pending):
    return client.exchange_code(code, redirect_uri(), code_verifier=pending.verifier)


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")
