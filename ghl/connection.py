"""A workspace's GoHighLevel connection: services (connect, disconnect, new workflow secret)
and selectors (the account to call GHL with), on top of ``integrations``' encrypted storage.

Stored as the workspace's ``ghl`` Connection: the private integration token and the workflow
webhook secret as encrypted secrets; the location id, calendar id and name, the location's time
zone, the calendar's slot length and the token's last four characters as plain config.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.urls import reverse

from followups.errors import (
    InvalidSetting,
    ProviderAuthError,
    ProviderBadRequest,
    ProviderError,
    ProviderNotConnected,
    ProviderPermissionError,
)
from integrations import connections, inbox, selectors
from workspaces.models import Workspace

from .client import GhlClient
from .types import Calendar, Location

logger = logging.getLogger(__name__)

PROVIDER = "ghl"
TOKEN = "access_token"
WORKFLOW_SECRET = "workflow_secret"
MARKETPLACE_MODE, WORKFLOW_MODE = "marketplace", "workflow"
WORKFLOW_PREFIX = "workflow."
SECRET_BYTES = 32


@dataclass(frozen=True)
class Account:
    """What calling GHL for one workspace takes. ``token`` never leaves the server."""

    token: str
    location_id: str
    calendar_id: str
    timezone: str = ""
    slot_minutes: int | None = None

    def __repr__(self) -> str:  # the token stays out of logs and tracebacks
        return f"Account(location_id={self.location_id!r}, calendar_id={self.calendar_id!r})"

    @property
    def slot_duration(self) -> timedelta | None:
        return timedelta(minutes=self.slot_minutes) if self.slot_minutes else None


@dataclass(frozen=True)
class Verified:
    """What connecting found at GHL: the location and the chosen calendar."""

    location: Location
    calendar: Calendar
    calendars: list[Calendar]


# Selectors


def client_for(account: Account) -> GhlClient:
    return GhlClient(account.token, account.location_id)


def find_account(workspace: Workspace, *, usable_only: bool = True) -> Account | None:
    """The account to call GHL with, or None when the workspace isn't (fully) connected.

    ``usable_only=False`` also returns the stored credentials of a connection marked
    ``needs_reauth`` or ``error``: what "Test connection" checks, so a passing check can bring
    it back."""
    stored = _load(workspace)
    if stored is None or (usable_only and not stored.is_usable):
        return None
    token = stored.secret(TOKEN)
    config = stored.config
    if not token or not config.get("location_id") or not config.get("calendar_id"):
        return None
    return Account(
        token=token,
        location_id=config["location_id"],
        calendar_id=config["calendar_id"],
        timezone=config.get("timezone", ""),
        slot_minutes=config.get("slot_minutes") or None,
    )


def account_for(workspace: Workspace) -> Account:
    account = find_account(workspace)
    if account is None:
        raise ProviderNotConnected(
            "GoHighLevel is not connected for this workspace: connect it on the Integrations tab."
        )
    return account


def is_connected(workspace: Workspace) -> bool:
    return find_account(workspace) is not None


def workflow_secret(workspace: Workspace) -> str:
    return workflow_secret_of(_load(workspace))


def workflow_secret_of(stored) -> str:
    """The same, from the connection row the webhook view loaded with the workspace."""
    return (stored.secret(WORKFLOW_SECRET) if stored else "") or ""


def webhook_url(workspace: Workspace) -> str:
    path = reverse("ghl_webhook", kwargs={"workspace_id": workspace.public_id})
    return f"{settings.PUBLIC_BASE_URL}{path}"


def status(workspace: Workspace) -> dict[str, Any]:
    """What the card and the admin API show; never a secret, only the token's last four."""
    stored = _load(workspace)
    config = stored.config if stored else {}
    return {
        "provider": PROVIDER,
        "connected": bool(stored and stored.is_usable and config.get("calendar_id")),
        "status": stored.status if stored else "disconnected",
        "location_id": config.get("location_id", ""),
        "location_name": config.get("location_name", ""),
        "calendar_id": config.get("calendar_id", ""),
        "calendar_name": config.get("calendar_name", ""),
        "timezone": config.get("timezone", ""),
        "token_hint": stored.token_hint if stored else "",
        "workflow_secret_set": bool(stored and stored.secret(WORKFLOW_SECRET)),
        "webhook_url": webhook_url(workspace),
        "refused_webhooks": stored.rejected_count if stored else 0,
    }


# Services


def verify(*, access_token: str, location_id: str, calendar_id: str = "") -> Verified:
    """Ask GHL whether this token reads this location and (when given) this calendar."""
    if not access_token:
        raise InvalidSetting("Paste the private integration token.", field="access_token")
    if not location_id:
        raise InvalidSetting("Enter the location (sub-account) id.", field="location_id")
    try:
        with GhlClient(access_token, location_id) as client:
            location = client.location()
            calendars = client.calendars()
    except ProviderAuthError:
        raise InvalidSetting(
            "GoHighLevel refused this token: copy it again from the sub-account's "
            "Settings → Private Integrations.",
            field="access_token",
        ) from None
    except (ProviderPermissionError, ProviderBadRequest) as exc:
        raise InvalidSetting(
            f"{exc.safe_message} Check the location id and the token's scopes.",
            field="location_id",
        ) from None
    chosen = next((c for c in calendars if c.id == calendar_id), None)
    if calendar_id and chosen is None:
        raise InvalidSetting(
            "That calendar is not in this GoHighLevel location: pick one from the list.",
            field="calendar_id",
        )
    return Verified(location=location, calendar=chosen, calendars=calendars)


def connect(*, workspace: Workspace, data: dict, actor=None, actor_label: str = ""):
    """The card's connect form: check the token, location and calendar at GHL, then store
    them. Without a calendar the token and location are kept and the card asks for one from
    the list GHL returned. A blank token keeps the stored one. Stores nothing when GHL says no.
    """
    stored = _load(workspace)
    token = (data.get("access_token") or "").strip() or (stored.secret(TOKEN) if stored else "")
    location_id = (data.get("location_id") or "").strip()
    calendar_id = (data.get("calendar_id") or "").strip()
    verified = verify(access_token=token, location_id=location_id, calendar_id=calendar_id)
    config = {
        "location_id": verified.location.id,
        "location_name": verified.location.name,
        "timezone": verified.location.timezone,
        "calendars": [{"id": c.id, "name": c.name} for c in verified.calendars if c.is_active],
        "calendar_id": verified.calendar.id if verified.calendar else "",
        "calendar_name": verified.calendar.name if verified.calendar else "",
        "slot_minutes": verified.calendar.slot_duration if verified.calendar else None,
    }
    kept = {WORKFLOW_SECRET: stored.secret(WORKFLOW_SECRET)} if stored else {}
    conn = connections.connect(
        workspace=workspace,
        provider=PROVIDER,
        secrets={TOKEN: token, **{k: v for k, v in kept.items() if v}},
        config=config,
        display_name=verified.location.name or verified.location.id,
        token_hint=token,
        actor=actor,
        actor_label=actor_label,
    )
    if verified.calendar is None:
        connections.mark_error(
            workspace=workspace,
            provider=PROVIDER,
            error="Choose the calendar to book into.",
            actor_label=actor_label or "system",
        )
    return conn


def api_connect(*, workspace: Workspace, data: dict, actor=None, actor_label: str = ""):
    """The admin API's PUT: ``access_token``, ``location_id`` and ``calendar_id`` are all
    required (no two-step form there)."""
    if not (data.get("calendar_id") or "").strip():
        raise InvalidSetting("calendar_id is required.", field="calendar_id")
    if not (data.get("access_token") or "").strip():
        raise InvalidSetting("access_token is required.", field="access_token")
    return connect(workspace=workspace, data=data, actor=actor, actor_label=actor_label)


def disconnect(*, workspace: Workspace, actor=None, actor_label: str = "") -> None:
    connections.disconnect(
        workspace=workspace, provider=PROVIDER, actor=actor, actor_label=actor_label
    )


def new_workflow_secret(*, workspace: Workspace, actor=None, actor_label: str = "") -> str:
    """Generate (or replace) the workflow webhook secret; the caller shows it once."""
    secret = secrets.token_urlsafe(SECRET_BYTES)
    connections.update_connection(
        workspace=workspace,
        provider=PROVIDER,
        secrets={WORKFLOW_SECRET: secret},
        actor=actor,
        actor_label=actor_label,
    )
    return secret


def check_connection(*, workspace: Workspace):
    from .provider import GhlProvider

    try:
        return GhlProvider(workspace).check_connection()
    except ProviderError as exc:
        from integrations.providers import ConnectionReport

        return ConnectionReport(ok=False, summary=exc.safe_message)


def mark_needs_reauth(*, workspace: Workspace) -> None:
    _mark_needs_reauth(workspace)


def connected_workspace_ids() -> list[int]:
    return _connected_workspace_ids()


# The webhook inbox


def store_delivery(
    *, workspace: Workspace, mode: str, dedupe_key: str, event_type: str, body: bytes, headers
) -> bool:
    """Store a verified delivery once per dedupe key; True when it is new. Processing is
    enqueued by the inbox after commit. A DatabaseError travels up (the view answers 429)."""
    return _accept(
        workspace=workspace,
        mode=mode,
        dedupe_key=dedupe_key,
        event_type=event_type,
        body=body,
        headers=headers,
    )


def record_failed_delivery(*, workspace: Workspace, mode: str, body: bytes, headers, error: str):
    _record_failed(workspace=workspace, mode=mode, body=body, headers=headers, error=error)


def count_refused(*, workspace: Workspace, reason: str) -> None:
    """An unauthenticated request: counted on the connection, never stored."""
    logger.info("GHL webhook for workspace %s refused: %s", workspace.pk, reason)
    _count_refused(workspace, reason)


def delivery_mode(delivery) -> str:
    return _delivery_mode(delivery)


def delivery_body(delivery) -> bytes | str:
    return _delivery_body(delivery)


# The seam to integrations' storage and inbox


def _load(workspace):
    return selectors.get_connection(workspace=workspace, provider=PROVIDER)


def _mark_needs_reauth(workspace):
    connections.mark_needs_reauth(workspace=workspace, provider=PROVIDER)


def _connected_workspace_ids():
    return selectors.connected_workspace_ids(provider=PROVIDER)


def _count_refused(workspace, reason):
    connections.record_rejected_delivery(workspace=workspace, provider=PROVIDER, reason=reason)


def _accept(*, workspace, mode, dedupe_key, event_type, body, headers) -> bool:
    _, created = inbox.accept_delivery(
        provider=PROVIDER,
        workspace=workspace,
        dedupe_key=dedupe_key,
        event=_event_name(mode, event_type),
        body=body,
        headers=headers,
    )
    return created


def _record_failed(*, workspace, mode, body, headers, error) -> None:
    inbox.record_failed_delivery(
        provider=PROVIDER,
        workspace=workspace,
        body=body,
        headers=headers,
        error=error,
        event=_event_name(mode, ""),
    )


def _event_name(mode: str, event_type: str) -> str:
    """The delivery's ``event`` also records which door it came through: workflow bodies are
    parsed differently, and must never be read as signed marketplace ones."""
    if mode == WORKFLOW_MODE:
        return event_type if event_type.startswith(WORKFLOW_PREFIX) else WORKFLOW_PREFIX
    return event_type or "marketplace"


def _delivery_mode(delivery) -> str:
    return WORKFLOW_MODE if delivery.event.startswith(WORKFLOW_PREFIX) else MARKETPLACE_MODE


def _delivery_body(delivery) -> bytes:
    return delivery.raw_body
