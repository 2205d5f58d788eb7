"""The scopes a Calendly token needs, how a missing one is found without writing anything, and
how the card and forms name what to grant."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.utils import timezone

from followups.errors import ProviderPermissionError
from integrations import connections
from workspaces.models import Workspace

from .account import PROVIDER, load
from .client import WRITE_PROBES, CalendlyClient
from .types import EventType, User

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


def probe_scopes(
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
    stored = load(workspace)
    if stored is None or list(stored.config.get("missing_scopes", [])) == list(missing):
        return
    connections.update_connection(
        workspace=workspace,
        provider=PROVIDER,
        config={"missing_scopes": list(missing)},
        actor_label="connection check",
    )
