from django.apps import AppConfig


class CalendlyConfig(AppConfig):
    name = "calendly"
    verbose_name = "Calendly"

    def ready(self):
        from integrations.providers import ProviderSpec, register

        from . import account, card, connection, mapping, sample_event
        from .forms import CalendlySettingsForm
        from .provider import CalendlyProvider

        register(
            ProviderSpec(
                name="calendly",
                label="Calendly",
                description="Book into a Calendly event type through the Scheduling API (or a "
                "single-use booking link); bookings, cancellations and no-shows arrive by "
                "signed webhook.",
                factory=CalendlyProvider,
                map_delivery=mapping.map_delivery,
                is_connected=account.is_connected,
                card_template="calendly/card.html",
                card_context=card.card_context,
                settings_form=CalendlySettingsForm,
                connect=card.connect_from_card,
                disconnect=connection.disconnect,
                status=connection.status,
                api_connect=connection.api_connect,
                webhook_url_name="calendly_webhook",
                test_event=sample_event.sample_event,
            )
        )
