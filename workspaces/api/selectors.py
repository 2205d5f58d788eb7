"""Reads for the admin API."""

from django.db.models import Prefetch, QuerySet

from workspaces import provider_choices
from workspaces.models import Membership, Workspace

_ROLE_KEYS = {
    Membership.Role.ADMIN: "admins",
    Membership.Role.SETTER: "setters",
    Membership.Role.INBOX_MANAGER: "inbox_managers",
}


def workspaces_with_members(*, external_id: str | None = None) -> QuerySet[Workspace]:
    """Every workspace (active or not), members prefetched: a page costs the same few queries."""
    qs = Workspace.objects.prefetch_related(
        Prefetch("memberships", queryset=Membership.objects.select_related("user"))
    ).order_by("name", "id")
    if external_id is not None:
        qs = qs.filter(external_id=external_id)
    return qs


def member_emails(workspace: Workspace) -> dict[str, list[str]]:
    """{"admins": [...], "setters": [...], "inbox_managers": [...]}, sorted addresses."""
    members = {key: set() for key in _ROLE_KEYS.values()}
    for membership in workspace.memberships.all():
        key = _ROLE_KEYS.get(membership.role)
        if key:
            members[key].add(membership.user.email.lower())
    return {key: sorted(emails) for key, emails in members.items()}


def webhook_urls(workspace: Workspace) -> dict[str, str]:
    """Where each booking provider must send this workspace's webhooks."""
    return provider_choices.webhook_urls(workspace)
