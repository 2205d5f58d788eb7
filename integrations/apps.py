from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations"

    def ready(self):
        from integrations import checks  # noqa: F401  (registers the key check)
        from integrations.email.registration import register as register_email
        from integrations.webhook_out.registration import register as register_webhook_out

        register_email()
        register_webhook_out()
