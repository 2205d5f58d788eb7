"""What the Calendly card on the Integrations tab shows. Never a secret: the token only as its
last four characters, the signing key not at all."""

from __future__ import annotations

from django.urls import reverse

from integrations.models import Connection
from workspaces.models import Workspace

from . import connection
from .models import Subscription

SUBSCRIPTION_LABELS = {
    "never": "never created",
    **{state.value: state.label.lower() for state in Subscription.State},
}


def card_context(*, workspace: Workspace, **kwargs) -> dict:
    """Called by the Integrations tab as ``card_context(workspace=..., connection=...)``."""
    status = connection.status(workspace)
    stored = kwargs.get("connection")
    live = stored is not None and stored.status != Connection.Status.DISCONNECTED
    subscription = status["subscription"]
    args = [workspace.public_id]
    return {
        "calendly": status,
        "calendly_live": live,
        "calendly_event_types": stored.config.get("event_types", []) if live else [],
        "calendly_scopes": connection.REQUIRED_SCOPES,
        "calendly_oauth": connection.oauth_configured(),
        "calendly_subscription": subscription,
        "calendly_subscription_row": Subscription.objects.filter(workspace=workspace).first(),
        "calendly_subscription_label": SUBSCRIPTION_LABELS.get(
            subscription["state"], subscription["state"]
        ),
        "calendly_oauth_url": reverse("calendly_oauth_start", args=args),
        "calendly_repair_url": reverse("calendly_repair_subscription", args=args),
        "calendly_disable_url": reverse("calendly_disable", args=args),
    }
