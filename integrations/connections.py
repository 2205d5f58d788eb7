"""Services that write a workspace's provider connections. Every change is audited (names of the
secrets that changed, never their values). Each service locks the row, so concurrent calls
settle in PostgreSQL, and repeating a call changes nothing the second time."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from integrations.models import Connection
from workspaces import audit
from workspaces.models import Workspace

logger = logging.getLogger(__name__)

Status = Connection.Status
REJECT_REASON_MAX = 200
HINT_MIN_LENGTH = 12


def _locked(*, workspace: Workspace, provider: str) -> Connection:
    """The row for (workspace, provider), created if missing, locked until the transaction ends.
    Call inside ``transaction.atomic()``."""
    Connection.objects.get_or_create(workspace=workspace, provider=provider)
    conn = Connection.objects.select_for_update().get(workspace=workspace, provider=provider)
    conn.workspace = workspace
    return conn


def _config_changes(before: dict, after: dict) -> dict[str, list]:
    keys = sorted(set(before) | set(after))
    return {k: [before.get(k), after.get(k)] for k in keys if before.get(k) != after.get(k)}


def _secret_changes(before: dict, after: dict) -> list[str]:
    keys = sorted(set(before) | set(after))
    return [k for k in keys if before.get(k) != after.get(k)]


def connect(
    *,
    workspace: Workspace,
    provider: str,
    secrets: dict[str, str],
    config: dict[str, Any] | None = None,
    display_name: str = "",
    token_hint: str = "",
    actor=None,
    actor_label: str = "",
) -> Connection:
    """Store verified credentials and mark the connection ``connected``. ``secrets`` replaces
    the stored ones; ``config`` (non-secret) is merged into the stored one. ``token_hint`` may be
    the whole token: only its last four characters are kept (none of a short one)."""
    now = timezone.now()
    with transaction.atomic():
        conn = _locked(workspace=workspace, provider=provider)
        before = _snapshot(conn)
        conn.secrets = dict(secrets)
        conn.config = {**conn.config, **(config or {})}
        conn.display_name = display_name[:200]
        conn.token_hint = _hint(token_hint)
        conn.status = Status.CONNECTED
        conn.connected_at = now
        conn.last_checked_at = now
        conn.last_error = ""
        conn.save()
        # Saving the form of a connection that already works (another event type, a new
        # token) is a change of settings, not a new connection.
        action = "integration.updated" if before["status"] == Status.CONNECTED else ""
        _audit_change(conn, before, action or "integration.connected", actor, actor_label)
    return conn


def update_connection(
    *,
    workspace: Workspace,
    provider: str,
    secrets: dict[str, str] | None = None,
    config: dict[str, Any] | None = None,
    display_name: str | None = None,
    actor=None,
    actor_label: str = "",
    audit: bool = True,
) -> Connection:
    """Merge secrets and/or config into the stored connection (a new webhook signing key, a
    different event type) without touching its status. ``audit=False`` is for routine renewals
    nobody needs to review (an OAuth token refreshed every two hours would bury real changes)."""
    with transaction.atomic():
        conn = _locked(workspace=workspace, provider=provider)
        before = _snapshot(conn)
        if secrets:
            conn.secrets = {**conn.secrets, **secrets}
        if config:
            conn.config = {**conn.config, **config}
        if display_name is not None:
            conn.display_name = display_name[:200]
        if _snapshot(conn) == before:
            return conn
        conn.save()
        if audit:
            _audit_change(conn, before, "integration.updated", actor, actor_label)
    return conn


def disconnect(
    *, workspace: Workspace, provider: str, actor=None, actor_label: str = ""
) -> Connection | None:
    """Wipe the secrets and mark the connection ``disconnected``; non-secret config stays, so a
    reconnect can start from it. Disconnecting twice does nothing the second time."""
    with transaction.atomic():
        conn = (
            Connection.objects.select_for_update()
            .filter(workspace=workspace, provider=provider)
            .first()
        )
        if conn is None:
            return None
        if conn.status == Status.DISCONNECTED and not conn.secrets:
            return conn
        before = _snapshot(conn)
        conn.secrets = {}
        conn.token_hint = ""
        conn.display_name = ""
        conn.status = Status.DISCONNECTED
        conn.last_error = ""
        conn.save()
        _audit_change(conn, before, "integration.disconnected", actor, actor_label)
    return conn


def mark_needs_reauth(
    *, workspace: Workspace, provider: str, error: str = "", actor_label: str = "system"
) -> None:
    """The provider refused the token (401): stop using it until an admin reconnects."""
    _set_status(
        workspace=workspace,
        provider=provider,
        status=Status.NEEDS_REAUTH,
        error=error or "The provider refused the stored credentials: connect again.",
        actor_label=actor_label,
    )


def mark_error(
    *, workspace: Workspace, provider: str, error: str, actor_label: str = "system"
) -> None:
    """The connection is set up wrongly (a missing scope, a deleted calendar): say what."""
    _set_status(
        workspace=workspace,
        provider=provider,
        status=Status.ERROR,
        error=error,
        actor_label=actor_label,
    )


def _set_status(*, workspace, provider, status, error, actor_label) -> None:
    with transaction.atomic():
        conn = (
            Connection.objects.select_for_update()
            .filter(workspace=workspace, provider=provider)
            .exclude(status=Status.DISCONNECTED)
            .first()
        )
        if conn is None or (conn.status == status and conn.last_error == error):
            return
        before = _snapshot(conn)
        conn.status = status
        conn.last_error = error[:1000]
        conn.last_checked_at = timezone.now()
        conn.save()
        _audit_change(conn, before, f"integration.{status}", None, actor_label)


def record_check(
    *, workspace: Workspace, provider: str, ok: bool, summary: str, actor=None, actor_label=""
) -> Connection | None:
    """The outcome of a connection check. A passing check brings a connection marked
    ``error`` or ``needs_reauth`` back to ``connected``; a failing one keeps the status (it may be
    the provider's bad minute) and shows the reason."""
    with transaction.atomic():
        conn = (
            Connection.objects.select_for_update()
            .filter(workspace=workspace, provider=provider)
            .first()
        )
        if conn is None or (conn.status == Status.DISCONNECTED):
            return conn
        before = _snapshot(conn)
        conn.last_checked_at = timezone.now()
        conn.last_error = "" if ok else summary[:1000]
        if ok:
            conn.status = Status.CONNECTED
        conn.save()
        if conn.status != before["status"]:
            _audit_change(conn, before, "integration.checked", actor, actor_label)
    return conn


def record_rejected_delivery(*, workspace: Workspace, provider: str, reason: str) -> None:
    """Count a webhook request refused before it was stored (bad signature...) on the
    workspace's connection, when it has one. One UPDATE, so a flood of bad requests never
    contends on a lock, and never an INSERT: a stranger's requests create no row."""
    Connection.objects.filter(workspace=workspace, provider=provider).update(
        rejected_count=F("rejected_count") + 1,
        last_rejected_at=timezone.now(),
        last_rejected_reason=(reason or "refused")[:REJECT_REASON_MAX],
    )


def _hint(token: str) -> str:
    """The last four characters, and only of a token long enough that they give nothing away."""
    token = token or ""
    return token[-4:] if len(token) >= HINT_MIN_LENGTH else ""


# The audit trail


def _snapshot(conn: Connection) -> dict:
    return {
        "status": conn.status,
        "config": dict(conn.config),
        "secrets": dict(conn.secrets),
        "display_name": conn.display_name,
        "token_hint": conn.token_hint,
    }


def _audit_change(conn: Connection, before: dict, action: str, actor, actor_label: str) -> None:
    after = _snapshot(conn)
    changes: dict[str, Any] = {"provider": conn.provider}
    if before["status"] != after["status"]:
        changes["status"] = [before["status"], after["status"]]
    if config := _config_changes(before["config"], after["config"]):
        changes["config"] = config
    if secrets := _secret_changes(before["secrets"], after["secrets"]):
        changes["secrets_changed"] = secrets  # names only
    if before["display_name"] != after["display_name"]:
        changes["display_name"] = [before["display_name"], after["display_name"]]
    if conn.last_error and action != "integration.connected":
        changes["error"] = conn.last_error
    audit.record(
        workspace=conn.workspace,
        action=action,
        actor=actor,
        actor_label=actor_label,
        changes=changes,
    )
    logger.info("%s %s for workspace %s", action, conn.provider, conn.workspace_id)
