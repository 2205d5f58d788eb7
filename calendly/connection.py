"""A workspace's Calendly connection: services (connect with a personal access token or OAuth,
choose the event type, keep the OAuth token fresh, the webhook signing key, disable) and
selectors (the account to call Calendly with), on top of ``integrations``' encrypted storage.

Stored as the workspace's ``calendly`` Connection: the access token (with OAuth also the refresh
token) and our webhook signing key as encrypted secrets; who is connected (user, organization,
scheduling page), the chosen event type (URI, name, duration, booking link, required questions),
the event types to choose from and any missing scopes as plain config.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from followups.errors import (
    InvalidSetting,
    ProviderAuthError,
    ProviderNotConnected,
    ProviderPermissionError,
)
from integrations import booking_settings, connections, selectors
from integrations.models import Connection
from workspaces.models import Workspace

from .client import WRITE_PROBES, CalendlyClient, refresh_token
from .models import Subscription
from .types import EventType, OAuthTokens, User

logger = logging.getLogger(__name__)

PROVIDER = "calendly"
ACCESS_TOKEN, REFRESH_TOKEN, SIGNING_KEY = "access_token", "refresh_token", "webhook_signing_key"
AUTH_TOKEN, AUTH_OAUTH = "token", "oauth"
# What the product needs (calendly-api.md, Scopes), in the order Calendly's token page lists them.
REQUIRED_SCOPES = (
    "users:read",
    "event_types:read",
    "availability:read",
    "scheduled_events:read",
    "scheduled_events:write",
    "scheduling_links:write",
    "webhooks:write",
)
REFRESH_MARGIN = timedelta(minutes=5)  # an OAuth token this close to expiry is renewed first
SIGNING_KEY_BYTES = 32
CHOOSE_EVENT_TYPE = (
    "Choose the event type to book into: pick it from the list or paste its booking link."
)


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

    @property
    def duration(self) -> timedelta | None:
        return timedelta(minutes=self.duration_minutes) if self.duration_minutes else None


@dataclass(frozen=True)
class Verified:
    """What connecting found at Calendly for a token."""

    user: User
    event_types: list[EventType]
    chosen: EventType | None
    missing_scopes: tuple[str, ...] = ()
    refusals: tuple[str, ...] = ()  # 403s that name no scope (the plan lacks a feature)
    event_type_error: InvalidSetting | None = None  # what was asked for can't be booked


@dataclass(frozen=True)
class Disabled:
    """What disabling did, for the message the admin sees."""

    subscription_removed: bool
    subscription_detail: str
    auto_book_turned_off: bool


# Selectors


def client_for(account: Account, **kwargs) -> CalendlyClient:
    return CalendlyClient(account.token, **kwargs)


def find_account(
    workspace: Workspace, *, usable_only: bool = True, need_event_type: bool = True
) -> Account | None:
    """The stored account, or None when the workspace isn't (fully) connected. The OAuth token
    may be about to expire: calls to Calendly go through ``account_for``, which renews it.

    ``usable_only=False`` also returns the credentials of a connection marked ``needs_reauth``
    or ``error`` (what "Test connection" checks, so a passing check can bring it back)."""
    return _account(_load(workspace), usable_only=usable_only, need_event_type=need_event_type)


def account_for(
    workspace: Workspace, *, usable_only: bool = True, need_event_type: bool = True
) -> Account:
    """The account to call Calendly with now (an OAuth token close to expiry is renewed first),
    or ProviderNotConnected."""
    stored = _load(workspace)
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
    stored = _load(workspace)
    return bool(stored and stored.status != Connection.Status.DISCONNECTED and stored.secrets)


def chosen_event_type(workspace: Workspace) -> str:
    """The URI of the event type this workspace books (what webhooks are filtered on)."""
    stored = _load(workspace)
    return (stored.config.get("event_type_uri") or "") if stored else ""


def signing_key(workspace: Workspace) -> str:
    """The key this workspace's deliveries are signed with ("" when none: refuse them all)."""
    return signing_key_of(_load(workspace))


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


def webhook_url(workspace: Workspace) -> str:
    path = reverse("calendly_webhook", kwargs={"workspace_id": workspace.public_id})
    return f"{settings.PUBLIC_BASE_URL}{path}"


def oauth_configured() -> bool:
    return bool(settings.CALENDLY_OAUTH_CLIENT_ID and settings.CALENDLY_OAUTH_CLIENT_SECRET)


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


def status(workspace: Workspace) -> dict[str, Any]:
    """What the card and the admin API show; never a secret, only the token's last four."""
    stored = _load(workspace)
    live = stored is not None and stored.status != Connection.Status.DISCONNECTED
    config = stored.config if live else {}
    subscription = Subscription.objects.filter(workspace=workspace).first()
    return {
        "provider": PROVIDER,
        "connected": bool(live and stored.is_usable and config.get("event_type_uri")),
        "status": stored.status if stored else Connection.Status.DISCONNECTED.value,
        "auth": config.get("auth", ""),
        "user_name": config.get("user_name", ""),
        "user_email": config.get("user_email", ""),
        "user_uri": config.get("user_uri", ""),
        "organization_uri": config.get("organization_uri", ""),
        "scheduling_url": config.get("scheduling_url", ""),
        "event_type": {
            "uri": config.get("event_type_uri", ""),
            "name": config.get("event_type_name", ""),
            "duration": config.get("event_type_duration"),
            "scheduling_url": config.get("event_type_url", ""),
            "required_questions": config.get("required_questions", []),
        },
        "missing_scopes": config.get("missing_scopes", []),
        "token_hint": stored.token_hint if live else "",
        "token_expires_at": config.get("token_expires_at", "") or None,
        "webhook_url": webhook_url(workspace),
        "subscription": _subscription_status(subscription),
        "refused_webhooks": stored.rejected_count if stored else 0,
    }


def _subscription_status(subscription) -> dict[str, Any]:
    if subscription is None:
        return {"state": "never", "uri": "", "checked_at": None, "last_error": ""}
    return {
        "state": subscription.state,
        "uri": subscription.uri,
        "checked_at": _iso(subscription.checked_at),
        "last_error": subscription.last_error,
        "repaired_at": _iso(subscription.repaired_at),
        "repair_reason": subscription.repair_reason,
    }


# Services: connecting


def inspect(*, token: str, event_type: str = "", field: str = "event_type") -> Verified:
    """Ask Calendly who this token is, which event types it has and which needed scopes it
    lacks, and resolve ``event_type`` (a URI or a public booking link) among them. Calendly's
    errors travel as they are; a refused event type is kept in ``event_type_error``."""
    with CalendlyClient(token) as client:
        user = client.me()
        event_types = client.event_types(user=user.uri)
        missing, refusals = _probe_scopes(client, user, event_types)
    chosen, problem = None, None
    try:
        chosen = resolve_event_type(event_types, event_type, field=field, owner=user.name)
    except InvalidSetting as exc:
        problem = exc
    return Verified(
        user=user,
        event_types=event_types,
        chosen=chosen,
        missing_scopes=missing,
        refusals=refusals,
        event_type_error=problem,
    )


def verify(
    *, token: str, event_type: str = "", field: str = "event_type", oauth: bool = False
) -> Verified:
    """``inspect`` for a form: every refusal becomes an ``InvalidSetting`` on its field, in
    words that fit how the token came (pasted, or from the OAuth sign-in)."""
    if not token:
        raise InvalidSetting(
            "Paste a Calendly personal access token, or connect with Calendly.",
            field=ACCESS_TOKEN,
        )
    try:
        verified = inspect(token=token, event_type=event_type, field=field)
    except ProviderAuthError:
        again = (
            "use “Connect with Calendly” again"
            if oauth
            else "create a new personal access token in Calendly (Integrations → API & webhooks) "
            "and paste it here"
        )
        raise InvalidSetting(
            f"Calendly refused this token (revoked, expired or mistyped): {again}.",
            field=ACCESS_TOKEN,
        ) from None
    except ProviderPermissionError as exc:
        raise InvalidSetting(
            scopes_message(exc.missing_scopes or ("users:read", "event_types:read"), oauth=oauth),
            field=ACCESS_TOKEN,
        ) from None
    if verified.event_type_error is not None:
        raise verified.event_type_error
    return verified


def connect(*, workspace: Workspace, data: dict, actor=None, actor_label: str = ""):
    """The card's form: a new token (or, left blank, the stored credentials) and the event type
    (chosen from the list, or a pasted booking link, which wins). Checked at Calendly before
    anything is stored; nothing is stored when Calendly says no. Without an event type the
    token is kept and the card asks for one from the list Calendly returned."""
    stored = _load(workspace)
    new_token = (data.get(ACCESS_TOKEN) or "").strip()
    link = (data.get("event_type_link") or "").strip()
    wanted = link or (data.get("event_type") or "").strip()
    field = "event_type_link" if link else "event_type"
    if new_token:
        auth, token = AUTH_TOKEN, new_token
    elif stored is not None and stored.status != Connection.Status.DISCONNECTED and stored.secrets:
        auth = stored.config.get("auth", AUTH_TOKEN)
        token = _stored_token(workspace, stored)
        wanted = wanted or stored.config.get("event_type_uri", "")
    else:
        raise InvalidSetting(
            "Paste a Calendly personal access token, or connect with Calendly.",
            field=ACCESS_TOKEN,
        )
    verified = verify(token=token, event_type=wanted, field=field)
    if verified.missing_scopes:
        raise InvalidSetting(scopes_message(verified.missing_scopes), field=ACCESS_TOKEN)
    if verified.refusals:
        raise InvalidSetting(" ".join(verified.refusals), field=ACCESS_TOKEN)
    if auth == AUTH_TOKEN:
        kept_key = stored.secret(SIGNING_KEY) if stored else ""
        secret_values = {ACCESS_TOKEN: token, **({SIGNING_KEY: kept_key} if kept_key else {})}
        extra = {"token_expires_at": ""}
    else:
        secret_values = dict(_load(workspace).secrets)
        extra = {}
    return _store(
        workspace=workspace,
        verified=verified,
        auth=auth,
        secret_values=secret_values,
        token_hint=token if auth == AUTH_TOKEN else "",
        extra_config=extra,
        actor=actor,
        actor_label=actor_label,
    )


def api_connect(*, workspace: Workspace, data: dict, actor=None, actor_label: str = ""):
    """The admin API's PUT: ``event_type`` (a URI or the public booking link) is required, and
    ``access_token`` unless Calendly is already connected (then the stored credentials stay)."""
    if not (data.get("event_type") or "").strip():
        raise InvalidSetting(
            "event_type is required: the event type's URI or its public booking link "
            "(https://calendly.com/<user>/<event>).",
            field="event_type",
        )
    if not (data.get(ACCESS_TOKEN) or "").strip() and not has_credentials(workspace):
        raise InvalidSetting("access_token is required.", field=ACCESS_TOKEN)
    return connect(
        workspace=workspace,
        data={**data, "event_type_link": ""},
        actor=actor,
        actor_label=actor_label,
    )


def connect_oauth(*, workspace: Workspace, tokens: OAuthTokens, actor=None, actor_label=""):
    """Store the tokens of a finished OAuth round trip. The event type chosen before is kept
    when it is still one of this user's. A missing scope can't be a field error here, so the
    connection is stored marked ``error`` with the scopes named."""
    stored = _load(workspace)
    previous = ""
    if stored is not None and stored.status != Connection.Status.DISCONNECTED:
        previous = stored.config.get("event_type_uri", "")
    verified = verify(token=tokens.access_token, oauth=True)
    chosen = next(
        (t for t in verified.event_types if t.uri == previous and t.active and not t.deleted_at),
        None,
    )
    verified = Verified(
        user=verified.user,
        event_types=verified.event_types,
        chosen=chosen,
        missing_scopes=verified.missing_scopes,
        refusals=verified.refusals,
    )
    conn = _store(
        workspace=workspace,
        verified=verified,
        auth=AUTH_OAUTH,
        secret_values={ACCESS_TOKEN: tokens.access_token, REFRESH_TOKEN: tokens.refresh_token},
        token_hint="",
        extra_config={"token_expires_at": _iso(tokens.expires_at) or ""},
        actor=actor,
        actor_label=actor_label,
    )
    problem = ""
    if verified.missing_scopes:
        problem = scopes_message(verified.missing_scopes, oauth=True)
    elif verified.refusals:
        problem = " ".join(verified.refusals)
    if problem:
        connections.mark_error(
            workspace=workspace, provider=PROVIDER, error=problem, actor_label="OAuth"
        )
    return conn


def _store(
    *,
    workspace,
    verified: Verified,
    auth,
    secret_values,
    token_hint,
    extra_config,
    actor,
    actor_label,
) -> Connection:
    user, chosen = verified.user, verified.chosen
    config = {
        "auth": auth,
        "user_uri": user.uri,
        "user_name": user.name,
        "user_email": user.email,
        "scheduling_url": user.scheduling_url,
        "timezone": user.timezone,
        "organization_uri": user.current_organization,
        "event_types": [
            {
                "uri": t.uri,
                "name": t.name,
                "duration": t.duration,
                "scheduling_url": t.scheduling_url,
            }
            for t in verified.event_types
            if t.active and not t.deleted_at
        ],
        "event_type_uri": chosen.uri if chosen else "",
        "event_type_name": chosen.name if chosen else "",
        "event_type_duration": chosen.duration if chosen else None,
        "event_type_url": chosen.scheduling_url if chosen else "",
        "required_questions": list(chosen.required_questions) if chosen else [],
        "missing_scopes": list(verified.missing_scopes),
        **extra_config,
    }
    conn = connections.connect(
        workspace=workspace,
        provider=PROVIDER,
        secrets=secret_values,
        config=config,
        display_name=f"{user.name} ({user.email})" if user.email else user.name,
        token_hint=token_hint,
        actor=actor,
        actor_label=actor_label,
    )
    if chosen is None:
        connections.mark_error(
            workspace=workspace,
            provider=PROVIDER,
            error=CHOOSE_EVENT_TYPE,
            actor_label=actor_label or "system",
        )
    _expect_subscription(workspace)
    transaction.on_commit(partial(_enqueue_subscription, workspace.pk))
    return conn


def _expect_subscription(workspace: Workspace) -> None:
    """Until the task has made it, a subscription that doesn't exist yet is "being set up",
    not "never created": the card and the admin API answer before a worker has run."""
    Subscription.objects.get_or_create(workspace=workspace)
    Subscription.objects.filter(
        workspace=workspace,
        state__in=(Subscription.State.NEVER, Subscription.State.REMOVED),
    ).update(state=Subscription.State.PENDING)


def _enqueue_subscription(workspace_id: int) -> None:
    """Make sure of the webhook subscription, in a task. A broker error is logged, not raised:
    the periodic health check does it within minutes."""
    from .tasks import ensure_subscription

    try:
        ensure_subscription.delay(workspace_id)
    except Exception:
        logger.exception("Could not enqueue the Calendly subscription check of %s", workspace_id)


def request_subscription_check(*, workspace: Workspace) -> None:
    """The card's Repair button: the same task, after commit."""
    transaction.on_commit(partial(_enqueue_subscription, workspace.pk))


def resolve_event_type(
    event_types: list[EventType], wanted: str, *, field: str = "event_type", owner: str = ""
) -> EventType | None:
    """The event type ``wanted`` names: its URI, or its public booking link compared without
    scheme, query string, trailing slash or case. Refused with a message on ``field`` when it
    is none of them, inactive or deleted; None when nothing was asked for."""
    wanted = (wanted or "").strip()
    if not wanted:
        return None
    key = _comparable(wanted)
    if key is None:
        raise InvalidSetting(
            "Paste the event type's booking link (https://calendly.com/<you>/<event>) or "
            "choose one from the list.",
            field=field,
        )
    found = next((t for t in event_types if _comparable(t.uri) == key), None) or next(
        (t for t in event_types if t.scheduling_url and _comparable(t.scheduling_url) == key),
        None,
    )
    whose = f"{owner}'s" if owner else "this account's"
    if found is None:
        if "/event_types/" in key:
            message = (
                f"That event type is not one of {whose} event types in Calendly (it may have "
                "been deleted): choose one from the list."
            )
        else:
            message = (
                f"No event type of {whose} has that booking link: copy the link from the event "
                "type in Calendly (“Copy link”), or choose one from the list."
            )
        raise InvalidSetting(message, field=field)
    if found.deleted_at is not None:
        raise InvalidSetting(
            f"“{found.name}” was deleted in Calendly: choose another event type.", field=field
        )
    if not found.active:
        raise InvalidSetting(
            f"“{found.name}” is turned off in Calendly: turn it on there, or choose another "
            "event type.",
            field=field,
        )
    return found


def _comparable(url: str) -> str | None:
    """host + path, lower-case, without scheme, ``www.``, query, fragment or trailing slash."""
    text = url.strip()
    if "://" not in text:
        if "/" not in text or " " in text:
            return None
        text = f"https://{text}"
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    host = parts.netloc.lower().removeprefix("www.")
    return f"{host}{parts.path.rstrip('/')}".lower()


def scopes_message(missing: tuple[str, ...] | list[str], *, oauth: bool = False) -> str:
    names = ", ".join(missing)
    plural = "s" if len(missing) > 1 else ""
    if oauth:
        return (
            f"The Calendly OAuth app lacks the {names} scope{plural}: add "
            f"{'them' if plural else 'it'} to the app in Calendly's developer portal, then "
            "connect with Calendly again."
        )
    return (
        f"This token lacks the {names} scope{plural}. In Calendly (Integrations → API & "
        f"webhooks) create a personal access token with these scopes: "
        f"{', '.join(REQUIRED_SCOPES)}; then paste it here."
    )


def _probe_scopes(
    client: CalendlyClient, user: User, event_types: list[EventType]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The needed scopes the token lacks, found with reads and write probes that change
    nothing, and the messages of refusals that name no scope (a plan without the feature)."""
    now = timezone.now()
    sample = next((t for t in event_types if t.active and not t.deleted_at), None)
    reads: list[Callable[[], Any]] = [
        lambda: client.scheduled_events(
            user=user.uri, min_start_time=now, max_start_time=now + timedelta(minutes=1)
        ),
    ]
    if sample is not None:
        reads.append(
            lambda: client.available_times(
                sample.uri, now + timedelta(hours=1), now + timedelta(hours=2)
            )
        )
    if user.current_organization:
        reads.append(
            lambda: client.list_webhook_subscriptions(
                user.current_organization, "user", user=user.uri
            )
        )
    missing: list[str] = []
    refusals: list[str] = []
    for read in reads:
        try:
            read()
        except ProviderPermissionError as exc:
            if exc.missing_scopes:
                missing.extend(exc.missing_scopes)
            else:
                refusals.append(exc.safe_message)
    missing.extend(scope for scope in WRITE_PROBES if not client.may_write(scope))
    ordered = [scope for scope in REQUIRED_SCOPES if scope in missing]
    ordered += [scope for scope in dict.fromkeys(missing) if scope not in ordered]
    return tuple(ordered), tuple(refusals)


def record_scopes(*, workspace: Workspace, missing: tuple[str, ...]) -> None:
    """Keep what the last check found missing, for the card (audited only when it changes)."""
    stored = _load(workspace)
    if stored is None or list(stored.config.get("missing_scopes", [])) == list(missing):
        return
    connections.update_connection(
        workspace=workspace,
        provider=PROVIDER,
        config={"missing_scopes": list(missing)},
        actor_label="connection check",
    )


# Services: the OAuth token and the signing key


def _stored_token(workspace: Workspace, stored: Connection) -> str:
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
            config={"token_expires_at": _iso(tokens.expires_at) or ""},
            audit=False,
        )


def ensure_signing_key(*, workspace: Workspace) -> str:
    """Our webhook signing key, generated and stored (encrypted, committed) the first time. It
    is always stored before any subscription is created with it (DOMAIN.md, Lessons)."""
    stored = _load(workspace)
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
    return _load(workspace).secret(SIGNING_KEY)


def mark_needs_reauth(*, workspace: Workspace, error: str = "") -> None:
    connections.mark_needs_reauth(workspace=workspace, provider=PROVIDER, error=error)


# Services: disabling


def disconnect(*, workspace: Workspace, actor=None, actor_label: str = "") -> Disabled:
    """Disable Calendly here: delete the subscription at Calendly (when it can be reached),
    wipe the tokens and the signing key, turn auto-book off when Calendly was the one booking.
    Appointments are kept. Works with Calendly unreachable or the token already revoked: the
    local side is wiped all the same, and the answer says the subscription is still there."""
    from . import subscriptions

    removal = subscriptions.remove(workspace=workspace)
    connections.disconnect(
        workspace=workspace, provider=PROVIDER, actor=actor, actor_label=actor_label
    )
    workspace.refresh_from_db(fields=["booking_provider", "auto_book_enabled"])
    turned_off = False
    if workspace.booking_provider == PROVIDER:
        turned_off = booking_settings.set_auto_book(
            workspace=workspace,
            enabled=False,
            actor=actor,
            actor_label=actor_label or "Calendly disabled",
        )
    return Disabled(
        subscription_removed=removal.ok,
        subscription_detail=removal.detail,
        auto_book_turned_off=turned_off,
    )


# The seam to integrations' storage


def _load(workspace: Workspace) -> Connection | None:
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
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _parse(value) -> datetime | None:
    return parse_datetime(value) if isinstance(value, str) and value else None
