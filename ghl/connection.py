"""A workspace's GoHighLevel connection: services (connect, disconnect, new workflow secret)
and selectors (the account to call GHL with), on top of ``integrations``' encrypted storage.

Stored as the workspace's ``ghl`` Connection: the private integration token and the workflow
webhook secret as encrypted secrets; the location id, calendar id and name, the location's time
zone, the calendar's slot length and the token's last four characters as plain config.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from followups.errors import (
    InvalidSetting,
    ProviderAuthError,
    ProviderBadRequest,
    ProviderNotConnected,
    ProviderPermissionError,
)
from integrations import connections, selectors
from integrations.providers import get_spec
from integrations.providers import webhook_url as registered_webhook_url
from workspaces.models import Workspace

from .client import GhlClient
from .types import Calendar, Location

PROVIDER = "ghl"
TOKEN = "access_token"
WORKFLOW_SECRET = "workflow_secret"
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
    return registered_webhook_url(get_spec(PROVIDER), workspace)


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


def mark_needs_reauth(*, workspace: Workspace) -> None:
    connections.mark_needs_reauth(workspace=workspace, provider=PROVIDER)


def connected_workspace_ids() -> list[int]:
    return selectors.connected_workspace_ids(provider=PROVIDER)


# The seam to integrations' storage


def _load(workspace):
    return selectors.get_connection(workspace=workspace, provider=PROVIDER)
