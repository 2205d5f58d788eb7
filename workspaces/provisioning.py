"""Provisioning a workspace and its team from outside (the admin API).

Every function is safe to call again with the same input: it changes nothing and records
nothing the second time. Concurrent calls for the same workspace are serialised by locking the
workspace row; two creates with the same external_id are settled by its unique constraint.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from workspaces import audit, invitations, messaging
from workspaces.models import Membership, Workspace
from workspaces.users import get_or_create_user
from workspaces.validators import account_email

Role = Membership.Role

# The member lists of a payload, by key, and the role each one sets.
ROLE_LISTS = {"admins": Role.ADMIN, "setters": Role.SETTER, "inbox_managers": Role.INBOX_MANAGER}
SETTINGS = (
    "name",
    "external_id",
    "timezone",
    "booking_provider",
    "messaging_channel",
    "auto_book_enabled",
    "is_active",
)


class ExternalIdTaken(Exception):
    """Another workspace already carries this external_id."""


@dataclass(frozen=True)
class MemberChanges:
    role: str
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    invited: tuple[str, ...] = ()


def provision_workspace(*, data: Mapping, actor_label: str) -> tuple[Workspace, bool]:
    """Creates the workspace, or updates the one with `data["external_id"]`.

    `data` holds validated values for any of SETTINGS and ROLE_LISTS; a key that is absent
    leaves that setting or role alone. Returns (workspace, created).
    """
    with transaction.atomic():
        workspace, created = _claim(data)
        if created:
            audit.record(
                workspace=workspace,
                action="workspace_created",
                actor_label=actor_label,
                changes={field: getattr(workspace, field) for field in SETTINGS},
            )
        else:
            _apply_settings(workspace, data, actor_label)
        _apply_member_lists(workspace, data, actor_label)
    return workspace, created


def update_workspace(*, workspace: Workspace, data: Mapping, actor_label: str) -> Workspace:
    """Applies the keys present in `data` (as in provision_workspace) to `workspace`."""
    with transaction.atomic():
        locked = _lock(workspace)
        _apply_settings(locked, data, actor_label)
        _apply_member_lists(locked, data, actor_label)
    return locked


def deactivate_workspace(*, workspace: Workspace, actor_label: str) -> Workspace:
    """Closes the workspace to its members; memberships, leads and history are kept."""
    with transaction.atomic():
        locked = _lock(workspace)
        _apply_settings(locked, {"is_active": False}, actor_label)
    return locked


def sync_role_members(
    *, workspace: Workspace, role: str, emails: Iterable[str], actor_label: str
) -> MemberChanges:
    """Makes `emails` the complete set of `role` holders in `workspace`.

    People left out lose that role here only (their other roles and workspaces stay). An unknown
    address becomes a user with no usable password, invited by e-mail once the transaction commits;
    a listed member whose invitation never went (the mail server refused it) is invited again.
    Raises django's ValidationError for a malformed or look-alike address.
    """
    addresses = list(dict.fromkeys(account_email(email) for email in emails))
    with transaction.atomic():
        _lock(workspace)
        wanted, users = {}, []
        for address in addresses:
            user, _ = get_or_create_user(email=address)
            wanted[user.pk] = address
            users.append(user)
        invited = invitations.invite(users=users, workspace=workspace)
        current = {
            m.user_id: m
            for m in Membership.objects.filter(workspace=workspace, role=role).select_related(
                "user"
            )
        }
        added = [user_id for user_id in wanted if user_id not in current]
        removed = [m for user_id, m in current.items() if user_id not in wanted]
        # ignore_conflicts: a membership added meanwhile by another door (Django admin) is fine.
        Membership.objects.bulk_create(
            [Membership(workspace=workspace, user_id=user_id, role=role) for user_id in added],
            ignore_conflicts=True,
        )
        Membership.objects.filter(pk__in=[m.pk for m in removed]).delete()
        changes = MemberChanges(
            role=role,
            added=tuple(sorted(wanted[user_id] for user_id in added)),
            removed=tuple(sorted(m.user.email.lower() for m in removed)),
            invited=tuple(sorted(user.email for user in invited)),
        )
        _record_member_changes(workspace, changes, actor_label)
    return changes


def _claim(data: Mapping) -> tuple[Workspace, bool]:
    """The workspace this payload is about, locked, and whether it was just created."""
    fields = {field: data[field] for field in SETTINGS if field in data}
    external_id = data.get("external_id")
    existing = _lock_by_external_id(external_id) if external_id is not None else None
    if existing is not None:
        return existing, False
    # A new workspace has no connection yet, so no channel can be chosen for it.
    _check_channel(None, fields.get("messaging_channel"))
    if external_id is None:
        return Workspace.objects.create(**fields), True
    try:
        with transaction.atomic():
            return Workspace.objects.create(**fields), True
    except IntegrityError:
        # A concurrent call created it between our look-up and our insert: update theirs.
        return Workspace.objects.select_for_update().get(external_id=external_id), False


def _lock_by_external_id(external_id: str) -> Workspace | None:
    return Workspace.objects.select_for_update().filter(external_id=external_id).first()


def _lock(workspace: Workspace) -> Workspace:
    return Workspace.objects.select_for_update().get(pk=workspace.pk)


def _apply_settings(workspace: Workspace, data: Mapping, actor_label: str) -> None:
    changes = {
        field: [getattr(workspace, field), data[field]]
        for field in SETTINGS
        if field in data and getattr(workspace, field) != data[field]
    }
    if not changes:
        return
    if "messaging_channel" in changes:
        _check_channel(workspace, data["messaging_channel"])
    for field, (_, new) in changes.items():
        setattr(workspace, field, new)
    try:
        with transaction.atomic():
            workspace.save(update_fields=[*changes, "updated_at"])
    except IntegrityError:
        raise ExternalIdTaken(data.get("external_id")) from None
    action = (
        "workspace_deactivated" if changes == {"is_active": [True, False]} else "workspace_updated"
    )
    audit.record(workspace=workspace, action=action, actor_label=actor_label, changes=changes)


def _check_channel(workspace: Workspace | None, channel: str | None) -> None:
    reason = messaging.refusal(workspace, channel)
    if reason:
        raise messaging.ChannelNotConnected(reason)


def _apply_member_lists(workspace: Workspace, data: Mapping, actor_label: str) -> None:
    for key, role in ROLE_LISTS.items():
        if key in data:
            sync_role_members(
                workspace=workspace, role=role, emails=data[key], actor_label=actor_label
            )


def _record_member_changes(workspace: Workspace, changes: MemberChanges, actor_label: str) -> None:
    for action, emails in (("member_added", changes.added), ("member_removed", changes.removed)):
        for email in emails:
            audit.record(
                workspace=workspace,
                action=action,
                actor_label=actor_label,
                changes={"email": email, "role": changes.role},
            )
