"""Calendly's organization membership endpoints: who is in the organization, with what role."""

from __future__ import annotations

from .errors import invalid, not_found, permission_denied
from .http import Request, Routes, SandboxHandler, page, resource
from .records import ROLES

ROUTES = Routes()


@ROUTES.route("GET", r"/organization_memberships", "organizations:read")
def list_memberships(handler: SandboxHandler, request: Request) -> tuple:
    """``organization`` (every member) or ``user`` (that member's membership), optionally
    narrowed by ``email`` and ``role``."""
    state = handler.state
    query = request.query
    if not query.get("organization") and not query.get("user"):
        raise invalid("organization or user is required", "organization")
    if query.get("organization") and query["organization"] != state.organization:
        raise permission_denied("You do not have permission to view this organization.")
    if query.get("role") and query["role"] not in ROLES:
        raise invalid(f"role must be one of {', '.join(ROLES)}", "role")
    items = [
        membership
        for membership in state.org.memberships()
        if (not query.get("user") or membership["user"]["uri"] == query["user"])
        and (not query.get("email") or membership["user"]["email"] == query["email"].lower())
        and (not query.get("role") or membership["role"] == query["role"])
    ]
    return 200, page(request, items, state.base_url)


@ROUTES.route("GET", r"/organization_memberships/([^/]+)", "organizations:read")
def get_membership(handler: SandboxHandler, request: Request) -> tuple:
    found = handler.state.org.membership(request.match.group(1))
    if found is None:
        raise not_found()
    return resource(200, found)
