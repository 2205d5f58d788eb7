"""Reads for the Integrations tab, the admin API and the provider apps."""

from __future__ import annotations

from typing import Any

from integrations import webhook_targets
from integrations.models import Connection, ReconcileState, WebhookDelivery
from workspaces.models import AuditEvent, Workspace

AUDIT_PREFIXES = ("integration.", "delivery.")


def get_connection(*, workspace: Workspace, provider: str) -> Connection | None:
    return Connection.objects.filter(workspace=workspace, provider=provider).first()


def webhook_target(*, workspace_id, provider: str) -> tuple[Workspace | None, Connection | None]:
    """The active workspace a webhook URL names, with its connection to ``provider``: one query
    on the request path of a delivery, the secrets decrypted once per stored version
    (``integrations.webhook_targets``)."""
    return webhook_targets.webhook_target(workspace_id=workspace_id, provider=provider)


def connections_by_provider(*, workspace: Workspace) -> dict[str, Connection]:
    return {c.provider: c for c in Connection.objects.filter(workspace=workspace)}


def is_connected(*, workspace: Workspace, provider: str) -> bool:
    """The stored connection is usable (status ``connected`` with secrets)."""
    return Connection.objects.filter(
        workspace=workspace, provider=provider, status=Connection.Status.CONNECTED
    ).exists()


def connected_workspace_ids(*, provider: str) -> list[int]:
    """Active workspaces with a usable connection to ``provider`` (for periodic jobs)."""
    return list(
        Connection.objects.filter(
            provider=provider,
            status=Connection.Status.CONNECTED,
            workspace__is_active=True,
        )
        .order_by("workspace_id")
        .values_list("workspace_id", flat=True)
    )


def connection_status(*, workspace: Workspace, provider: str) -> dict[str, Any]:
    """The safe summary of a stored connection: what the admin API answers by default.
    Never a secret: only the names of the stored ones and the token's last four characters."""
    conn = get_connection(workspace=workspace, provider=provider)
    if conn is None:
        return {
            "provider": provider,
            "status": Connection.Status.DISCONNECTED.value,
            "connected": False,
            "display_name": "",
            "token_hint": "",
            "config": {},
            "secrets_stored": [],
            "connected_at": None,
            "last_checked_at": None,
            "last_error": "",
            "rejected_webhooks": {"count": 0, "last_at": None, "last_reason": ""},
        }
    return {
        "provider": provider,
        "status": conn.status,
        "connected": conn.is_usable,
        "display_name": conn.display_name,
        "token_hint": conn.token_hint,
        "config": conn.config,
        "secrets_stored": sorted(conn.secrets),
        "connected_at": _iso(conn.connected_at),
        "last_checked_at": _iso(conn.last_checked_at),
        "last_error": conn.last_error,
        "rejected_webhooks": {
            "count": conn.rejected_count,
            "last_at": _iso(conn.last_rejected_at),
            "last_reason": conn.last_rejected_reason,
        },
    }


def latest_deliveries(
    *, workspace: Workspace, state: str = "", limit: int = 25
) -> list[WebhookDelivery]:
    qs = WebhookDelivery.objects.filter(workspace=workspace)
    if state:
        qs = qs.filter(state=state)
    return list(qs.defer("body", "headers").order_by("-received_at", "-id")[:limit])


def last_delivery(*, workspace: Workspace, provider: str) -> WebhookDelivery | None:
    qs = WebhookDelivery.objects.filter(workspace=workspace, provider=provider)
    return qs.defer("body", "headers").order_by("-received_at", "-id").first()


def reconcile_state(*, workspace: Workspace, provider: str) -> ReconcileState | None:
    return ReconcileState.objects.filter(workspace=workspace, provider=provider).first()


def delivery_bodies(*, workspace: Workspace, ids: list[int]) -> dict[int, bytes]:
    rows = WebhookDelivery.objects.filter(workspace=workspace, pk__in=ids).values_list("pk", "body")
    return {pk: bytes(body) for pk, body in rows}


def audit_log(*, workspace: Workspace, limit: int = 30) -> list[AuditEvent]:
    """This workspace's integration-related changes, newest first."""
    from django.db.models import Q

    match = (
        Q(changes__has_key="booking_provider")
        | Q(changes__has_key="auto_book_enabled")
        | Q(changes__has_key="messaging_channel")
    )
    for prefix in AUDIT_PREFIXES:
        match |= Q(action__startswith=prefix)
    return list(
        AuditEvent.objects.filter(workspace=workspace)
        .filter(match)
        .select_related("actor")
        .order_by("-created_at", "-id")[:limit]
    )


def _iso(value) -> str | None:
    return value.isoformat() if value else None
