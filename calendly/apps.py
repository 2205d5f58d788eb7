from django.apps import AppConfig


class CalendlyConfig(AppConfig):
    name = "calendly"
