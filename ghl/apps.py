from django.apps import AppConfig


class GhlConfig(AppConfig):
    name = "ghl"
    verbose_name = "GoHighLevel"

    def ready(self):
        from integrations.providers import ProviderSpec, register

        from . import card, connection, mapping, sample_event
        from .forms import GhlSettingsForm
        from .provider import GhlProvider

        register(
            ProviderSpec(
                name="ghl",
                label="GoHighLevel",
                description="Book into a GoHighLevel calendar with a private integration token; "
                "appointments and replies arrive by webhook.",
                factory=GhlProvider,
                map_delivery=mapping.map_delivery,
                is_connected=connection.is_connected,
                card_template="ghl/card.html",
                card_context=card.card_context,
                settings_form=GhlSettingsForm,
                connect=connection.connect,
                disconnect=connection.disconnect,
                status=connection.status,
                api_connect=connection.api_connect,
                webhook_url_name="ghl_webhook",
                test_event=sample_event.sample_event,
            )
        )
        _register_channel()


def _register_channel() -> None:
    try:
        from followups.channels import register_channel
    except ImportError:  # the follow-up engine's registry has not landed yet
        return
    from .channel import register

    register(register_channel)
