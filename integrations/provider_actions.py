"""What the Integrations tab and the admin API do to a provider, through its ``ProviderSpec``
hooks (with the defaults when a provider leaves one out). No provider name appears here."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from followups.errors import InvalidSetting, ProviderAuthError, ProviderError
from integrations import booking_settings, connections, selectors
from integrations.providers import ConnectionReport, ProviderSpec
from workspaces.models import Workspace

logger = logging.getLogger(__name__)


def can_connect(spec: ProviderSpec, *, api: bool = False) -> bool:
    hook = (spec.api_connect or spec.connect) if api else spec.connect
    return spec.settings_form is not None and hook is not None


def connect_provider(
    *,
    spec: ProviderSpec,
    workspace: Workspace,
    data: dict[str, Any],
    actor=None,
    actor_label: str = "",
    api: bool = False,
) -> Any:
    """Hand cleaned form data to the provider's connect hook (which verifies and stores) and
    return what it returned: a dict of values shown once (a new secret) for some providers.
    Raises InvalidSetting / ProviderError with a safe message."""
    hook = (spec.api_connect or spec.connect) if api else spec.connect
    if hook is None:
        raise InvalidSetting(f"{spec.label} cannot be connected from here.")
    return hook(workspace=workspace, data=data, actor=actor, actor_label=actor_label)


@dataclass(frozen=True)
class Disconnected:
    """What disconnecting did: the provider hook's own answer (Calendly: what became of its
    webhook subscription; None from the default) and whether auto-booking was turned off."""

    answer: Any
    auto_book_turned_off: bool


def disconnect_provider(
    *, spec: ProviderSpec, workspace: Workspace, actor=None, actor_label: str = ""
) -> Disconnected:
    """Wipe the provider's credentials (through its hook, which may also clean up at the
    provider). When it was the workspace's booking provider, auto-booking is turned off too:
    every reply would otherwise stop at the first gate, unseen."""
    if spec.disconnect is None:
        answer = connections.disconnect(
            workspace=workspace, provider=spec.name, actor=actor, actor_label=actor_label
        )
    else:
        answer = spec.disconnect(workspace=workspace, actor=actor, actor_label=actor_label)
    workspace.refresh_from_db(fields=["booking_provider", "auto_book_enabled"])
    turned_off = workspace.booking_provider == spec.name and booking_settings.set_auto_book(
        workspace=workspace,
        enabled=False,
        actor=actor,
        actor_label=actor_label or f"{spec.label} disconnected",
    )
    return Disconnected(answer=answer, auto_book_turned_off=turned_off)


def auto_book_off_notice(spec: ProviderSpec) -> str:
    """What a person is told when disconnecting ``spec`` turned auto-booking off."""
    return (
        f"Auto-booking was turned off: {spec.label} was this workspace's booking provider. "
        "Connect a provider and turn it back on."
    )


def provider_status(*, spec: ProviderSpec, workspace: Workspace) -> dict:
    """A safe summary (never a secret) of the workspace's connection to this provider."""
    status = spec.status(workspace) if spec.status else {}
    base = selectors.connection_status(workspace=workspace, provider=spec.name)
    return {**base, **status, "provider": spec.name, "label": spec.label}


def check_provider(
    *, spec: ProviderSpec, workspace: Workspace, actor=None, actor_label: str = ""
) -> ConnectionReport:
    """Ask the provider whether the stored credentials still work, and record the answer. A
    refused token marks the connection ``needs_reauth``."""
    try:
        report = spec.factory(workspace).check_connection()
    except ProviderAuthError as exc:
        connections.mark_needs_reauth(
            workspace=workspace, provider=spec.name, error=exc.safe_message
        )
        return ConnectionReport(ok=False, summary=exc.safe_message)
    except ProviderError as exc:
        report = ConnectionReport(ok=False, summary=exc.safe_message)
    connections.record_check(
        workspace=workspace,
        provider=spec.name,
        ok=report.ok,
        summary=report.summary,
        actor=actor,
        actor_label=actor_label,
    )
    return report


def error_field(exc: Exception, fields) -> str | None:
    """The form field an error belongs to, or None for the form as a whole."""
    name = getattr(exc, "field", "") or ""
    return name if name in fields else None
