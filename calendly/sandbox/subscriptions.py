"""Calendly's webhook subscription endpoints (the deliveries themselves leave from the server)."""

from __future__ import annotations

from .errors import ApiError, invalid, not_found, permission_denied
from .http import Request, Routes, SandboxHandler, page, resource
from .inputs import object_body
from .records import EVENTS, new_uuid, now_iso

ROUTES = Routes()
SCOPES = ("user", "organization", "group")
# Calendly's answer when a member who is not an owner or admin asks for the organization's.
NOT_AN_ADMIN = "You do not have permission to access this resource."


def _check_admin_for(scope: str, state) -> None:
    if scope == "organization" and not state.org.is_admin(state.user["uri"]):
        raise permission_denied(NOT_AN_ADMIN)


@ROUTES.route("POST", r"/webhook_subscriptions", "webhooks:write")
def create_subscription(handler: SandboxHandler, request: Request) -> tuple:
    state = handler.state
    body = object_body(request.body)
    url, events, scope = body.get("url"), body.get("events"), body.get("scope")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise invalid("url must be an http(s) URL", "url")
    if not isinstance(events, list) or not events or any(e not in EVENTS for e in events):
        raise invalid(f"events must be a list of {', '.join(EVENTS)}", "events")
    if scope not in SCOPES:
        raise invalid("scope must be user, organization or group", "scope")
    if body.get("organization") != state.organization:
        raise invalid("organization is required and must be yours", "organization")
    if scope == "user" and body.get("user") != state.user["uri"]:
        raise invalid("user is required for scope user", "user")
    if scope == "group" and not body.get("group"):
        raise invalid("group is required for scope group", "group")
    _check_admin_for(scope, state)
    for existing in state.subscriptions.values():
        if existing["callback_url"] == url and existing["scope"] == scope:
            raise ApiError(409, "Already Exists", "Hook with this url already exists")
    uuid, now = new_uuid(), now_iso()
    subscription = {
        "uri": state.uri("webhook_subscriptions", uuid),
        "callback_url": url,
        "created_at": now,
        "updated_at": now,
        "retry_started_at": None,
        "state": "active",
        "events": list(dict.fromkeys(events)),
        "scope": scope,
        "organization": state.organization,
        "user": state.user["uri"] if scope == "user" else None,
        "group": body.get("group") if scope == "group" else None,
        "creator": state.user["uri"],
    }
    signing_key = body.get("signing_key")
    state.subscriptions[uuid] = subscription
    state.subscription_keys[uuid] = signing_key if isinstance(signing_key, str) else None
    return resource(201, subscription)


@ROUTES.route("GET", r"/webhook_subscriptions", "webhooks:write")
def list_subscriptions(handler: SandboxHandler, request: Request) -> tuple:
    state = handler.state
    query = request.query
    if not query.get("organization"):
        raise invalid("organization is required", "organization")
    if query.get("scope") not in SCOPES:
        raise invalid("scope is required", "scope")
    if query["organization"] != state.organization:
        raise permission_denied("You do not have permission to view this.")
    _check_admin_for(query["scope"], state)
    items = [
        sub
        for sub in state.subscriptions.values()
        if sub["scope"] == query["scope"]
        and (not query.get("user") or sub["user"] == query["user"])
    ]
    return 200, page(request, items, state.base_url)


@ROUTES.route("GET", r"/webhook_subscriptions/([^/]+)", "webhooks:write")
def get_subscription(handler: SandboxHandler, request: Request) -> tuple:
    found = handler.state.subscriptions.get(request.match.group(1))
    if found is None:
        raise not_found()
    return resource(200, found)


@ROUTES.route("DELETE", r"/webhook_subscriptions/([^/]+)", "webhooks:write")
def delete_subscription(handler: SandboxHandler, request: Request) -> tuple:
    state = handler.state
    if state.subscriptions.pop(request.match.group(1), None) is None:
        raise not_found()
    state.subscription_keys.pop(request.match.group(1), None)
    return 204, None
