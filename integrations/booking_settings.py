"""Services for the workspace's booking settings that live on the Integrations tab: which
provider books, and whether replies are auto-booked. Both audited, both idempotent."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from followups.errors import InvalidSetting
from integrations.providers import connected_specs, find_spec
from workspaces import audit
from workspaces.models import Workspace


def choose_booking_provider(
    *, workspace: Workspace, provider: str, actor=None, actor_label: str = ""
) -> bool:
    """Make ``provider`` the one that books for this workspace. Only a registered, connected
    provider may be chosen. Returns whether anything changed."""
    spec = find_spec(provider)
    if spec is None:
        raise InvalidSetting("Choose one of the listed providers.", field="booking_provider")
    if not spec.is_connected(workspace):
        raise InvalidSetting(
            f"{spec.label} is not connected: connect it first, then choose it.",
            field="booking_provider",
        )
    return _set_field(
        workspace=workspace,
        name="booking_provider",
        value=provider,
        action="workspace.booking_provider_changed",
        actor=actor,
        actor_label=actor_label,
    )


def set_auto_book(
    *, workspace: Workspace, enabled: bool, actor=None, actor_label: str = ""
) -> bool:
    """Turn auto-booking on or off. Turning it on needs a connected booking provider, since
    every auto-booking would otherwise stop at that gate. Returns whether anything changed."""
    if enabled and workspace.booking_provider not in {s.name for s in connected_specs(workspace)}:
        raise InvalidSetting(
            "Connect a booking provider and choose it before turning auto-booking on.",
            field="auto_book_enabled",
        )
    return _set_field(
        workspace=workspace,
        name="auto_book_enabled",
        value=bool(enabled),
        action="workspace.auto_book_changed",
        actor=actor,
        actor_label=actor_label,
    )


def _set_field(*, workspace, name, value, action, actor, actor_label) -> bool:
    with transaction.atomic():
        locked = Workspace.objects.select_for_update().get(pk=workspace.pk)
        before = getattr(locked, name)
        if before == value:
            setattr(workspace, name, value)
            return False
        Workspace.objects.filter(pk=workspace.pk).update(
            **{name: value, "updated_at": timezone.now()}
        )
        setattr(workspace, name, value)
        audit.record(
            workspace=workspace,
            action=action,
            actor=actor,
            actor_label=actor_label,
            changes={name: [before, value]},
        )
    return True
