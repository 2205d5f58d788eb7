"""The sandbox as its own OAuth server (point ``CALENDLY_AUTH_BASE`` at it too)."""

from __future__ import annotations

import secrets
import time
from urllib.parse import urlencode

from .errors import invalid
from .http import PUBLIC, Request, Routes, SandboxHandler

ROUTES = Routes()


@ROUTES.route("GET", r"/oauth/authorize", PUBLIC)
def oauth_authorize(handler: SandboxHandler, request: Request) -> tuple:
    """Approves at once: redirects to ``redirect_uri`` with a code (and the ``state``)."""
    redirect_uri = request.query.get("redirect_uri", "")
    if not redirect_uri.startswith(("http://", "https://")):
        raise invalid("redirect_uri is required", "redirect_uri")
    code = secrets.token_urlsafe(16)
    handler.state.oauth_codes.add(code)
    params = {"code": code}
    if request.query.get("state"):
        params["state"] = request.query["state"]
    separator = "&" if "?" in redirect_uri else "?"
    return 302, None, {"Location": f"{redirect_uri}{separator}{urlencode(params)}"}


@ROUTES.route("POST", r"/oauth/token", PUBLIC)
def oauth_token(handler: SandboxHandler, request: Request) -> tuple:
    state = handler.state
    form = request.body if isinstance(request.body, dict) else {}
    expected = (state.oauth_client_id, state.oauth_client_secret)
    if expected[0] and (form.get("client_id"), form.get("client_secret")) != expected:
        return 401, {"error": "invalid_client", "error_description": "Client authentication failed"}
    grant = form.get("grant_type")
    if grant == "authorization_code" and form.get("code") in state.oauth_codes:
        state.oauth_codes.discard(form["code"])
    elif grant == "refresh_token" and form.get("refresh_token") in state.oauth_refresh:
        state.oauth_refresh.discard(form["refresh_token"])
    else:
        return 400, {"error": "invalid_grant", "error_description": "The grant is invalid"}
    access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    state.oauth_access.add(access)
    state.oauth_refresh.add(refresh)
    return 200, {
        "token_type": "Bearer",
        "access_token": access,
        "refresh_token": refresh,
        "scope": "default",
        "created_at": int(time.time()),
        "expires_in": 7200,
        "owner": state.user["uri"],
        "organization": state.organization,
    }
