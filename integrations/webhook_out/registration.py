"""Adding the outbound webhook to the provider and channel registries (from integrations.apps)."""

from __future__ import annotations


def register() -> None:
    from followups.channels import register_channel
    from integrations.providers import ProviderSpec
    from integrations.providers import register as register_provider

    from . import connection
    from .channel import WebhookOutChannel
    from .forms import WebhookOutSettingsForm

    register_provider(
        ProviderSpec(
            name=connection.NAME,
            label="Outbound webhook",
            description="POST each message to your own sending tool (Smartlead, Instantly, "
            "n8n, Zapier) as signed JSON; it reports replies back through the API.",
            factory=connection.WebhookOutChecker,
            map_delivery=_no_deliveries,
            is_connected=connection.is_connected,
            card_template="integrations/cards/webhook_out.html",
            settings_form=WebhookOutSettingsForm,
            connect=connection.connect,
            books=False,
            shown_once=("signing_secret",),
            rotate_secret=_rotate,
        )
    )
    register_channel(connection.NAME, WebhookOutChannel, connection.is_connected)


def _no_deliveries(delivery) -> str:
    return "ignored"  # replies come back through POST …/leads/{lead_id}/messages


def _rotate(*, workspace, actor=None) -> dict:
    from .connection import rotate_signing_secret

    return {"signing_secret": rotate_signing_secret(workspace=workspace, actor=actor)}
