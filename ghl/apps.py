from django.apps import AppConfig


class GhlConfig(AppConfig):
    name = "ghl"
