"""A workspace's Calendly connection: services (connect with a personal access token or OAuth,
choose the event type, check the token's scopes, disable) and the status the card and the admin
API show, on top of ``integrations``' encrypted storage. The account to call Calendly with, the
OAuth token's renewal and the webhook signing key are ``calendly.account``'s.

Stored as the workspace's ``calendly`` Connection: the access token (with OAuth also the refresh
token) and our webhook signing key as encrypted secrets; who is connected (user, organization,
scheduling page), the chosen event type (URI, name, duration, booking link, required questions),
the event types to choose from and any missing scopes as plain config.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction

from followups.errors import InvalidSetting, ProviderAuthError, ProviderPermissionError
from integrations import connections
from integrations.models import Connection
from workspaces.models import Workspace

from . import subscriptions, tasks
from .account import (
    ACCESS_TOKEN,
    AUTH_OAUTH,
    AUTH_TOKEN,
    PROVIDER,
    REFRESH_TOKEN,
    SIGNING_KEY,
    has_credentials,
    iso,
    load,
    stored_token,
    watched_of,
    webhook_url,
)
from .client import CalendlyClient
from .event_types import (
    LINK_HINT,
    list_event_types,
    owner_label,
    resolve_event_type,
    resolve_tracked,
)
from .models import Subscription
from .organization import blind_spot
from .scopes import probe_scopes, scopes_message
from .types import EventType, OAuthTokens, User

logger = logging.getLogger(__name__)

CHOOSE_EVENT_TYPE = (
    "Choose the event type to book into: pick it from the list or paste its booking link."
)


@dataclass(frozen=True)
class Verified:
    """What connecting found at Calendly for a token."""

    user: User
    event_types: list[EventType]
    chosen: EventType | None
    missing_scopes: tuple[str, ...] = ()
    refusals: tuple[str, ...] = ()  # 403s that name no scope (the plan lacks a feature)
    event_type_error: InvalidSetting | None = None  # what was asked for can't be booked
    tracked: tuple[EventType, ...] | None = None  # None: keep the ones tracked so far


@dataclass(frozen=True)
class Disabled:
    """What disabling did, for the message the admin sees."""

    subscription_removed: bool
    subscription_detail: str


# Selectors


def oauth_configured() -> bool:
    return bool(settings.CALENDLY_OAUTH_CLIENT_ID and settings.CALENDLY_OAUTH_CLIENT_SECRET)


def status(workspace: Workspace) -> dict[str, Any]:
    """What the card and the admin API show; never a secret, only the token's last four."""
    return status_with(workspace, Subscription.objects.filter(workspace=workspace).first())


def status_with(workspace: Workspace, subscription: Subscription | None) -> dict[str, Any]:
    """``status`` from the subscription row the caller already read (the card shows it too)."""
    stored = load(workspace)
    live = stored is not None and stored.status != Connection.Status.DISCONNECTED
    config = stored.config if live else {}
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
            "kind": config.get("event_type_kind", ""),
            "color": config.get("event_type_color", ""),
            "locations": config.get("event_type_locations", []),
            "owner": config.get("event_type_owner", ""),
        },
        "tracked_event_types": [
            {key: t.get(key, "") for key in ("uri", "name", "scheduling_url", "kind")}
            for t in config.get("tracked_event_types") or []
        ],
        "missing_scopes": config.get("missing_scopes", []),
        "token_hint": stored.token_hint if live else "",
        "token_expires_at": config.get("token_expires_at", "") or None,
        "webhook_url": webhook_url(workspace),
        "subscription": _subscription_status(subscription),
        "refused_webhooks": stored.rejected_count if stored else 0,
        "visibility": _visibility(subscription, config),
    }


def _visibility(subscription, config: dict) -> dict[str, Any]:
    """Whose bookings the subscription hears of, and what a user-scoped one misses."""
    scope = subscription.scope if subscription is not None else ""
    role = subscription.role if subscription is not None else ""
    watched = [
        t
        for t in config.get("event_types") or []
        if t.get("uri", "").rstrip("/") in watched_of(config)
    ]
    return {
        "scope": scope,
        "role": role,
        "cannot_see": blind_spot(
            scope=scope, role=role, user=config.get("user_uri", ""), event_types=watched
        )
        if scope
        else "",
    }


def _subscription_status(subscription) -> dict[str, Any]:
    if subscription is None:
        return {"state": "never", "uri": "", "checked_at": None, "last_error": ""}
    return {
        "state": subscription.state,
        "uri": subscription.uri,
        "checked_at": iso(subscription.checked_at),
        "last_error": subscription.last_error,
        "repaired_at": iso(subscription.repaired_at),
        "repair_reason": subscription.repair_reason,
    }


# Services: connecting


def inspect(*, token: str, event_type: str = "", field: str = "event_type") -> Verified:
    """Ask Calendly who this token is, which event types it has and which needed scopes it
    lacks, and resolve ``event_type`` (a URI or a public booking link) among them. Calendly's
    errors travel as they are; a refused event type is kept in ``event_type_error``."""
    with CalendlyClient(token) as client:
        user = client.me()
        event_types = list_event_types(client, user)
        missing, refusals = probe_scopes(client, user, event_types)
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
    stored = load(workspace)
    new_token = (data.get(ACCESS_TOKEN) or "").strip()
    link = (data.get("event_type_link") or "").strip()
    wanted = link or (data.get("event_type") or "").strip()
    field = "event_type_link" if link else "event_type"
    if new_token:
        auth, token = AUTH_TOKEN, new_token
    elif stored is not None and stored.status != Connection.Status.DISCONNECTED and stored.secrets:
        auth = stored.config.get("auth", AUTH_TOKEN)
        token = stored_token(workspace, stored)
        wanted = wanted or stored.config.get("event_type_uri", "")
    else:
        raise InvalidSetting(
            "Paste a Calendly personal access token, or connect with Calendly.",
            field=ACCESS_TOKEN,
        )
    verified = verify(token=token, event_type=wanted, field=field)
    verified = _with_tracked(verified, data.get("tracked_event_types"), stored)
    if verified.missing_scopes:
        raise InvalidSetting(scopes_message(verified.missing_scopes), field=ACCESS_TOKEN)
    if verified.refusals:
        raise InvalidSetting(" ".join(verified.refusals), field=ACCESS_TOKEN)
    if auth == AUTH_TOKEN:
        kept_key = stored.secret(SIGNING_KEY) if stored else ""
        secret_values = {ACCESS_TOKEN: token, **({SIGNING_KEY: kept_key} if kept_key else {})}
        extra = {"token_expires_at": ""}
    else:
        secret_values = dict(load(workspace).secrets)
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
            f"({LINK_HINT}).",
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


def _with_tracked(verified: Verified, asked: list[str] | None, stored) -> Verified:
    """The tracked event types asked for (each must resolve, or the form is refused), or, when
    none were sent, the ones tracked so far that still exist."""
    if asked is not None:
        tracked = resolve_tracked(verified.event_types, asked)
    else:
        live = stored is not None and stored.status != Connection.Status.DISCONNECTED
        listed = stored.config.get("tracked_event_types") or [] if live else []
        kept = {t.get("uri") for t in listed}
        tracked = [t for t in verified.event_types if t.uri in kept and not t.deleted_at]
    return replace(verified, tracked=tuple(tracked))


def connect_oauth(*, workspace: Workspace, tokens: OAuthTokens, actor=None, actor_label=""):
    """Store the tokens of a finished OAuth round trip. The event type chosen before is kept
    when it is still one of this user's. A missing scope can't be a field error here, so the
    connection is stored marked ``error`` with the scopes named."""
    stored = load(workspace)
    previous = ""
    if stored is not None and stored.status != Connection.Status.DISCONNECTED:
        previous = stored.config.get("event_type_uri", "")
    verified = verify(token=tokens.access_token, oauth=True)
    chosen = next(
        (t for t in verified.event_types if t.uri == previous and t.active and not t.deleted_at),
        None,
    )
    verified = _with_tracked(replace(verified, chosen=chosen), None, stored)
    conn = _store(
        workspace=workspace,
        verified=verified,
        auth=AUTH_OAUTH,
        secret_values={ACCESS_TOKEN: tokens.access_token, REFRESH_TOKEN: tokens.refresh_token},
        token_hint="",
        extra_config={"token_expires_at": iso(tokens.expires_at) or ""},
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
            _listed(t, user) for t in verified.event_types if t.active and not t.deleted_at
        ],
        "tracked_event_types": [_listed(t, user) for t in verified.tracked or ()],
        "event_type_uri": chosen.uri if chosen else "",
        "event_type_name": chosen.name if chosen else "",
        "event_type_duration": chosen.duration if chosen else None,
        "event_type_url": chosen.scheduling_url if chosen else "",
        "event_type_kind": chosen.kind_label if chosen else "",
        "event_type_color": chosen.color if chosen else "",
        "event_type_locations": list(chosen.location_kinds) if chosen else [],
        "event_type_owner": owner_label(chosen, user) if chosen else "",
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


def _listed(event_type: EventType, user: User) -> dict[str, Any]:
    """An event type as the card lists it: grouped by its owner, with its kind."""
    return {
        "uri": event_type.uri,
        "name": event_type.name,
        "duration": event_type.duration,
        "scheduling_url": event_type.scheduling_url,
        "kind": event_type.kind_label,
        "color": event_type.color,
        "locations": list(event_type.location_kinds),
        "owner": event_type.owner,
        "owner_label": owner_label(event_type, user),
    }


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
    try:
        tasks.ensure_subscription.delay(workspace_id)
    except Exception:
        logger.exception("Could not enqueue the Calendly subscription check of %s", workspace_id)


def request_subscription_check(*, workspace: Workspace) -> None:
    """The card's Repair button: the same task, after commit."""
    transaction.on_commit(partial(_enqueue_subscription, workspace.pk))


# Services: disabling


def disconnect(*, workspace: Workspace, actor=None, actor_label: str = "") -> Disabled:
    """Disable Calendly here: delete the subscription at Calendly (when it can be reached) and
    wipe the tokens and the signing key; appointments are kept. Works with Calendly unreachable
    or the token already revoked: the local side is wiped all the same, and the answer says the
    subscription is still there. The ``disconnect`` hook: call it through
    ``integrations.provider_actions.disconnect_provider``, which also turns auto-book off."""
    removal = subscriptions.remove(workspace=workspace)
    connections.disconnect(
        workspace=workspace, provider=PROVIDER, actor=actor, actor_label=actor_label
    )
    return Disabled(subscription_removed=removal.ok, subscription_detail=removal.detail)
