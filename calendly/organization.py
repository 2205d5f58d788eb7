"""What the token's user may see of its Calendly organization: its role there decides the webhook
subscription's scope (an owner's or admin's hears of every member's bookings; anyone else's only
of the bookings the user hosts), and what a user-scoped workspace misses, in words for the card."""

from __future__ import annotations

import logging

from followups.errors import ProviderBadRequest, ProviderPermissionError

from .client import CalendlyClient
from .models import Subscription

logger = logging.getLogger(__name__)

ORGANIZATION, USER = "organization", "user"
ADMIN_ROLES = ("owner", "admin")


def role_of(client: CalendlyClient, *, user: str, organization: str) -> str:
    """The user's role in the organization ("owner", "admin", "user"), or "" when Calendly
    won't say (no organization, or a token without ``organizations:read``): then only the
    user's own bookings can be subscribed to, so "" reads as a plain member."""
    if not organization:
        return ""
    try:
        members = client.organization_memberships(organization=organization, user=user)
    except (ProviderPermissionError, ProviderBadRequest) as exc:
        logger.info("Calendly role of %s not readable: %s", user, exc.safe_message)
        return ""
    return next((m.role for m in members if m.user == user), "")


def whose_events(workspace, *, user: str, organization: str) -> dict[str, str]:
    """Whose scheduled events to list (reconcile, finding a lost booking): the organization's
    when the last check found the user an owner or admin (a team event type's bookings are
    then seen whoever hosts them), else the user's own."""
    scope = Subscription.objects.filter(workspace=workspace).values_list("scope", flat=True)
    if organization and scope.first() == ORGANIZATION:
        return {"organization": organization}
    return {"user": user}


def scope_for(role: str) -> str:
    return ORGANIZATION if role in ADMIN_ROLES else USER


def blind_spot(*, scope: str, role: str, user: str, event_types: list[dict]) -> str:
    """What a user-scoped subscription cannot hear of, and the role that would fix it; "" when
    it hears everything the workspace books or tracks."""
    if scope != USER:
        return ""
    others = sorted({t["name"] for t in event_types if t.get("owner") and t.get("owner") != user})
    who = (
        "is a member with the role “user” of the organization"
        if role == USER
        else "has no role Calendly would tell us (a token without organizations:read, or no "
        "organization)"
    )
    missed = f" ({', '.join(others)})" if others else ""
    return (
        f"The connected Calendly user {who}, so the webhook "
        "subscription is user-scoped: it hears only of bookings this user hosts. Bookings of "
        f"team event types hosted by other members{missed} are not seen here. Make this user "
        "an owner or admin of the organization in Calendly (or connect an admin's token): the "
        "next check switches to an organization-scoped subscription, which sees every host's "
        "bookings."
    )
