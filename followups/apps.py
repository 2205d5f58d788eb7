from django.apps import AppConfig


class FollowupsConfig(AppConfig):
    name = "followups"
    verbose_name = "Follow-ups"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_save

        from workspaces.models import Workspace

        from .signals import workspace_saved

        post_save.connect(
            workspace_saved, sender=Workspace, dispatch_uid="followups.default_sequences"
        )
        _install_channel_check()


def _install_channel_check() -> None:
    # workspaces knows no channel: it asks this registry which ones are connected.
    from workspaces import messaging

    from .channels import is_connected

    messaging.set_connection_check(is_connected)
