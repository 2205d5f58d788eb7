"""The account a workspace calls Calendly with: the stored credentials read into an ``Account``,
the OAuth token renewed under a lock before it expires, and our webhook signing key.

The lowest module of the app's connection side: ``connection`` (connect, disconnect, the card's
status), ``subscriptions``, ``mapping``, ``provider`` and ``tasks`` all read the account here,
and this module imports none of them.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from followups.errors import ProviderAuthError, ProviderNotConnected
from integrations import connections, selectors
from integrations.models import Connection
from integrations.providers import get_spec
from integrations.providers import webhook_url as registered_webhook_url
from workspaces.models import Workspace

from .client import CalendlyClient
from .oauth import refresh_token

logger = logging.getLogger(__name__)

PROVIDER = "calendly"
ACCESS_TOKEN, REFRESH_TOKEN, SIGNING_KEY = "access_token", "refresh_token", "webhook_signing_key"
AUTH_TOKEN, AUTH_OAUTH = "token", "oauth"
REFRESH_MARGIN = timedelta(minutes=5)  # an OAuth token this close to expiry is renewed first
SIGNING_KEY_BYTES = 32


@dataclass(frozen=True)
class Account:
    """What calling Calendly for one workspace takes. ``token`` never leaves the server."""

    token: str = field(repr=False)
    auth: str
    user_uri: str
    organization_uri: str
    event_type_uri: str = ""
    event_type_name: str = ""
    duration_minutes: int | None = None
    required_questions: tuple[str, ...] = ()
    timezone: str = ""
    watched: frozenset[str] = frozenset()  # the booked event type's URI and the tracked ones'

    @property
    def duration(self) -> timedelta | None:
        return timedelta(minutes=self.duration_minutes) if self.duration_minutes else None


def client_for(account: Account, **kwargs) -> CalendlyClient:
    return CalendlyClient(account.token, **kwargs)


def find_account(
    workspace: Workspace, *, usable_only: bool = True, need_event_type: bool = True
) -> Account | None:
    """The stored account, or None when the workspace isn't (fully) connected. The OAuth token
    may be about to expire: calls to Calendly go through ``account_for``, which renews it.

    ``usable_only=False`` also returns the credentials of a connection marked ``needs_reauth``
    or ``error`` (what "Test connection" checks, so a passing check can bring it back)."""
    return _account(load(workspace), usable_only=usable_only, need_event_type=need_event_type)


def account_for(
    workspace: Workspace, *, usable_only: bool = True, need_event_type: bool = True
) -> Account:
    """The account to call Calendly with now (an OAuth token close to expiry is renewed first),
    or ProviderNotConnected."""
    stored = load(workspace)
    if stored is not None and _expiring(stored):
        stored = _refreshed(workspace)
    account = _account(stored, usable_only=usable_only, need_event_type=need_event_type)
    if account is None:
        raise ProviderNotConnected(
            "Calendly is not connected for this workspace: connect it on the Integrations tab."
        )
    return account


def is_connected(workspace: Workspace) -> bool:
    return find_account(workspace) is not None


def has_credentials(workspace: Workspace) -> bool:
    stored = load(workspace)
    return bool(stored and stored.status != Connection.Status.DISCONNECTED and stored.secrets)


def chosen_event_type(workspace: Workspace) -> str:
    """The URI of the event type this workspace books (what webhooks are filtered on)."""
    stored = load(workspace)
    return (stored.config.get("event_type_uri") or "") if stored else ""


def watched_event_types(workspace: Workspace) -> set[str]:
    """The URIs of the event types whose bookings this workspace acts on: the one it books
    into and the ones it tracks."""
    stored = load(workspace)
    return watched_of(stored.config) if stored else set()


def watched_of(config: dict) -> set[str]:
    uris = [config.get("event_type_uri") or ""]
    uris += [t.get("uri", "") for t in config.get("tracked_event_types") or []]
    return {uri.rstrip("/") for uri in uris if uri}


def webhook_url(workspace: Workspace) -> str:
    return registered_webhook_url(get_spec(PROVIDER), workspace)


def connected_workspace_ids() -> list[int]:
    return selectors.connected_workspace_ids(provider=PROVIDER)


def workspace_ids_with_credentials() -> list[int]:
    """Active workspaces whose token works (connected, or waiting for an event type or a
    scope): the ones whose webhook subscription is kept up."""
    return list(
        Connection.objects.filter(
            provider=PROVIDER,
            status__in=[Connection.Status.CONNECTED, Connection.Status.ERROR],
            workspace__is_active=True,
        )
        .order_by("workspace_id")
        .values_list("workspace_id", flat=True)
    )


def mark_needs_reauth(*, workspace: Workspace, error: str = "") -> None:
    connections.mark_needs_reauth(workspace=workspace, provider=PROVIDER, error=error)


# The OAuth token


def stored_token(workspace: Workspace, stored: Connection) -> str:
    """The access token of a connection already loaded, renewed first when it is expiring."""
    if _expiring(stored):
        stored = _refreshed(workspace)
    return stored.secret(ACCESS_TOKEN)


def _expiring(stored: Connection) -> bool:
    if stored.config.get("auth") != AUTH_OAUTH or not stored.secret(REFRESH_TOKEN):
        return False
    expires_at = _parse(stored.config.get("token_expires_at"))
    return expires_at is None or expires_at - timezone.now() <= REFRESH_MARGIN


def _refreshed(workspace: Workspace) -> Connection:
    """Renew the OAuth token under a lock on the connection row: a second worker waits, then
    finds it fresh and uses it (Calendly replaces the refresh token on use, so two refreshes
    with the same one would lose the connection)."""
    try:
        return _refresh_locked(workspace)
    except ProviderAuthError as exc:
        mark_needs_reauth(workspace=workspace, error=exc.safe_message)
        raise


def _refresh_locked(workspace: Workspace) -> Connection:
    with transaction.atomic():
        locked = Connection.objects.select_for_update().get(workspace=workspace, provider=PROVIDER)
        if not _expiring(locked):
            return locked
        tokens = refresh_token(locked.secret(REFRESH_TOKEN))
        logger.info("Calendly OAuth token of workspace %s renewed", workspace.pk)
        return connections.update_connection(
            workspace=workspace,
            provider=PROVIDER,
            secrets={ACCESS_TOKEN: tokens.access_token, REFRESH_TOKEN: tokens.refresh_token},
            config={"token_expires_at": iso(tokens.expires_at) or ""},
            audit=False,
        )


# The webhook signing key


def signing_key(workspace: Workspace) -> str:
    """The key this workspace's deliveries are signed with ("" when none: refuse them all)."""
    return signing_key_of(load(workspace))


def signing_key_of(stored: Connection | None) -> str:
    """The same, from the connection row the webhook view loaded with the workspace. A
    personal-token workspace's key is ours (encrypted in the connection); an OAuth workspace's
    is the OAuth app's (``CALENDLY_WEBHOOK_SIGNING_KEY``)."""
    if stored is None or stored.status == Connection.Status.DISCONNECTED:
        return ""
    if stored.config.get("auth") == AUTH_OAUTH:
        return settings.CALENDLY_WEBHOOK_SIGNING_KEY or ""
    return stored.secret(SIGNING_KEY)


def key_fingerprint(key: str) -> str:
    """Which key, without the key: 64 bits of its SHA-256."""
    return hashlib.sha256(key.encode()).hexdigest()[:16] if key else ""


def ensure_signing_key(*, workspace: Workspace) -> str:
    """Our webhook signing key, generated and stored (encrypted, committed) the first time. It
    is always stored before any subscription is created with it (DOMAIN.md, Lessons)."""
    stored = load(workspace)
    key = stored.secret(SIGNING_KEY) if stored else ""
    if key:
        return key
    key = secrets.token_urlsafe(SIGNING_KEY_BYTES)
    with transaction.atomic():
        connections.update_connection(
            workspace=workspace,
            provider=PROVIDER,
            secrets={SIGNING_KEY: key},
            actor_label="webhook subscription",
        )
    return load(workspace).secret(SIGNING_KEY)


# The seam to integrations' storage


def load(workspace: Workspace) -> Connection | None:
    return selectors.get_connection(workspace=workspace, provider=PROVIDER)


def _account(stored, *, usable_only: bool, need_event_type: bool) -> Account | None:
    if stored is None or stored.status == Connection.Status.DISCONNECTED:
        return None
    if usable_only and not stored.is_usable:
        return None
    token = stored.secret(ACCESS_TOKEN)
    config = stored.config
    if not token or not config.get("user_uri"):
        return None
    if need_event_type and not config.get("event_type_uri"):
        return None
    return Account(
        token=token,
        auth=config.get("auth", AUTH_TOKEN),
        user_uri=config["user_uri"],
        organization_uri=config.get("organization_uri", ""),
        event_type_uri=config.get("event_type_uri", ""),
        event_type_name=config.get("event_type_name", ""),
        duration_minutes=config.get("event_type_duration") or None,
        required_questions=tuple(config.get("required_questions") or ()),
        timezone=config.get("timezone", ""),
        watched=frozenset(watched_of(config)),
    )


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _parse(value) -> datetime | None:
    return parse_datetime(value) if isinstance(value, str) and value else None
