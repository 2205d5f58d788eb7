from django.apps import AppConfig


class WorkspacesConfig(AppConfig):
    name = "workspaces"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.contrib.auth import get_user_model
        from django.db.models.signals import pre_save

        from workspaces.users import canonicalize_user_email

        pre_save.connect(canonicalize_user_email, sender=get_user_model())
