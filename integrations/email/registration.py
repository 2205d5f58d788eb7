"""Adding the e-mail channel to the provider and channel registries (from integrations.apps)."""

from __future__ import annotations


def register() -> None:
    from followups.channels import register_channel
    from integrations.providers import ProviderSpec
    from integrations.providers import register as register_provider

    from . import connection, mapping
    from .channel import EmailChannel
    from .forms import EmailSettingsForm

    register_provider(
        ProviderSpec(
            name=connection.NAME,
            label="E-mail (SMTP)",
            description="Send offers, confirmations and follow-ups from your own mailbox; "
            "replies forwarded to the inbound URL are read like any other reply.",
            factory=connection.EmailTester,
            map_delivery=mapping.map_delivery,
            is_connected=connection.is_connected,
            card_template="integrations/cards/email.html",
            card_context=_card_context,
            settings_form=EmailSettingsForm,
            connect=connection.connect,
            status=connection.status,
            books=False,
            shown_once=("inbound_secret",),
            rotate_secret=_rotate,
        )
    )
    register_channel(connection.NAME, EmailChannel, connection.is_connected)


def _card_context(*, workspace, connection=None) -> dict:
    from .connection import inbound_url

    return {"inbound_url": inbound_url(workspace)}


def _rotate(*, workspace, actor=None) -> dict:
    from .connection import rotate_inbound_secret

    return {"inbound_secret": rotate_inbound_secret(workspace=workspace, actor=actor)}
