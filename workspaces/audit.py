"""Recording configuration changes. Callers pass what changed; secret values never belong here."""

from workspaces.models import AuditEvent, Workspace


def record(*, workspace: Workspace, action: str, actor=None, actor_label: str = "", changes=None):
    if actor is not None and not actor_label:
        actor_label = getattr(actor, "email", "") or str(actor)
    return AuditEvent.objects.create(
        workspace=workspace,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=actor_label,
        action=action,
        changes=changes or {},
    )
