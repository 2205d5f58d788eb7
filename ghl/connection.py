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

from integrations.errors import ProviderBadRequest, ProviderError, ProviderNotConnected
from workspaces.models import Workspace

from .client import GhlClient
from .types import Calendar, Location

logger = logging.getLogger(__name__)

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


class ConnectError(ProviderBadRequest):
    """The connect form or API call can't be saved; ``field`` says which input to fix."""

    def __init__(self, safe_message: str, *, field: str = ""):
        super().__init__(safe_message)
        self.field = field


# Selectors


def client_for(account: Account) -> GhlClient:
    return GhlClient(account.token, account.location_id)


def find_account(workspace: Workspace) -> Account | None:
    """The account to call GHL with, or None when the workspace isn't (fully) connected."""
    stored = _load(workspace)
    if stored is None or not stored.is_usable:
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
    stored = _load(workspace)
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
        "token_hint": config.get("token_last4", ""),
        "workflow_secret_set": bool(stored and stored.secret(WORKFLOW_SECRET)),
        "webhook_url": webhook_url(workspace),
        "refused_webhooks": stored.refused_count if stored else 0,
    }


# Services


def verify(*, access_token: str, location_id: str, calendar_id: str = "") -> Verified:
    """Ask GHL whether this token reads this location and (when given) this calendar."""
    access_token, location_id = (access_token or "").strip(), (location_id or "").strip()
    if not access_token:
        raise ConnectError("Paste the private integration token.", field="access_token")
    if not location_id:
        raise ConnectError("Enter the location (sub-account) id.", field="location_id")
    with GhlClient(access_token, location_id) as client:
        location = client.location()
        calendars = client.calendars()
    chosen = next((c for c in calendars if c.id == calendar_id), None)
    if calendar_id and chosen is None:
        raise ConnectError(
            "That calendar is not in this GoHighLevel location: pick one from the list.",
            field="calendar_id",
        )
    return Verified(location=location, calendar=chosen, calendars=calendars)


def connect(
    *, workspace: Workspace, access_token: str, location_id: str, calendar_id: str, actor=None
) -> Verified:
    """Check the token, location and calendar at GHL, then store them. Raises ConnectError or a
    ProviderError (with a safe message) and stores nothing when GHL says no."""
    if not (calendar_id or "").strip():
        raise ConnectError("Choose the calendar to book into.", field="calendar_id")
    verified = verify(
        access_token=access_token, location_id=location_id, calendar_id=calendar_id.strip()
    )
    token = access_token.strip()
    config = {
        "location_id": verified.location.id,
        "location_name": verified.location.name,
        "timezone": verified.location.timezone,
        "calendar_id": verified.calendar.id,
        "calendar_name": verified.calendar.name,
        "slot_minutes": verified.calendar.slot_duration,
        "token_last4": token[-4:],
    }
    _save(workspace=workspace, token=token, config=config, actor=actor)
    return verified


def disconnect(*, workspace: Workspace, actor=None) -> None:
    _delete(workspace=workspace, actor=actor)


def new_workflow_secret(*, workspace: Workspace, actor=None) -> str:
    """Generate (or replace) the workflow webhook secret; the caller shows it once."""
    secret = secrets.token_urlsafe(SECRET_BYTES)
    _store_secret(workspace=workspace, name=WORKFLOW_SECRET, value=secret, actor=actor)
    return secret


def test_connection(*, workspace: Workspace):
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


# The seam to integrations' storage and inbox (filled below).


def _load(workspace):  # pragma: no cover - replaced when integrations lands
    return None


def _save(*, workspace, token, config, actor):  # pragma: no cover
    raise NotImplementedError


def _delete(*, workspace, actor):  # pragma: no cover
    raise NotImplementedError


def _store_secret(*, workspace, name, value, actor):  # pragma: no cover
    raise NotImplementedError


def _mark_needs_reauth(workspace):  # pragma: no cover
    pass


def _connected_workspace_ids():  # pragma: no cover
    return []


def _accept(**kwargs):  # pragma: no cover
    raise NotImplementedError


def _record_failed(**kwargs):  # pragma: no cover
    raise NotImplementedError


def _count_refused(workspace, reason):  # pragma: no cover
    pass


def _delivery_mode(delivery):  # pragma: no cover
    raise NotImplementedError


def _delivery_body(delivery):  # pragma: no cover
    raise NotImplementedError
