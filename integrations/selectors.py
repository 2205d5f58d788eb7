"""Reads for the Integrations tab, the admin API and the provider apps."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db.models import Q, Subquery

from integrations import webhook_targets
from integrations.models import Connection, ReconcileState, WebhookDelivery
from workspaces.models import AuditEvent, Workspace

AUDIT_PREFIXES = ("integration.", "delivery.")


# The workspace's connections loaded once for the page being drawn (see ``connections_read_once``):
# (workspace id, {provider: connection}), or None outside such a page.
_READ_ONCE: ContextVar[tuple[int, dict[str, Connection]] | None] = ContextVar(
    "integrations_connections_read_once", default=None
)


@contextmanager
def connections_read_once(*, workspace: Workspace) -> Iterator[dict[str, Connection]]:
    """Within the block, every read of this workspace's connections (by the cards, the provider
    apps' status and ``is_connected`` checks, the messaging channels) answers from one query
    instead of one each, and each row's secrets are decrypted once. For drawing a page only:
    nothing in the block may write a connection (a read after a write would be stale)."""
    loaded = {c.provider: c for c in Connection.objects.filter(workspace=workspace)}
    token = _READ_ONCE.set((workspace.pk, loaded))
    try:
        yield loaded
    finally:
        _READ_ONCE.reset(token)


def _read_once(workspace: Workspace) -> dict[str, Connection] | None:
    memo = _READ_ONCE.get()
    return memo[1] if memo is not None and memo[0] == workspace.pk else None


def get_connection(*, workspace: Workspace, provider: str) -> Connection | None:
    loaded = _read_once(workspace)
    if loaded is not None:
        return loaded.get(provider)
    return Connection.objects.filter(workspace=workspace, provider=provider).first()


def webhook_target(*, workspace_id, provider: str) -> tuple[Workspace | None, Connection | None]:
    """The active workspace a webhook URL names, with its connection to ``provider``: one query
    on the request path of a delivery, the secrets decrypted once per stored version
    (``integrations.webhook_targets``)."""
    return webhook_targets.webhook_target(workspace_id=workspace_id, provider=provider)


def connections_by_provider(*, workspace: Workspace) -> dict[str, Connection]:
    loaded = _read_once(workspace)
    if loaded is not None:
        return dict(loaded)
    return {c.provider: c for c in Connection.objects.filter(workspace=workspace)}


def is_connected(*, workspace: Workspace, provider: str) -> bool:
    """The stored connection is usable (status ``connected`` with secrets)."""
    loaded = _read_once(workspace)
    if loaded is not None:
        found = loaded.get(provider)
        return found is not None and found.status == Connection.Status.CONNECTED
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


def last_deliveries(*, workspace: Workspace, providers: list[str]) -> dict[str, WebhookDelivery]:
    """``last_delivery`` for several providers in one statement: one indexed scalar subquery
    per provider, so it stays one index probe each however many deliveries are stored."""
    if not providers:
        return {}
    match = Q()
    for provider in providers:
        newest = WebhookDelivery.objects.filter(workspace=workspace, provider=provider)
        newest = newest.order_by("-received_at", "-id").values("pk")[:1]
        match |= Q(pk=Subquery(newest))
    found = WebhookDelivery.objects.filter(workspace=workspace).filter(match)
    return {d.provider: d for d in found.defer("body", "headers")}


def reconcile_states(*, workspace: Workspace) -> dict[str, ReconcileState]:
    return {s.provider: s for s in ReconcileState.objects.filter(workspace=workspace)}


def delivery_bodies(*, workspace: Workspace, ids: list[int]) -> dict[int, bytes]:
    rows = WebhookDelivery.objects.filter(workspace=workspace, pk__in=ids).values_list("pk", "body")
    return {pk: bytes(body) for pk, body in rows}


def audit_log(*, workspace: Workspace, limit: int = 30) -> list[AuditEvent]:
    """This workspace's integration-related changes, newest first."""
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
