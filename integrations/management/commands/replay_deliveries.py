from django.core.management.base import BaseCommand, CommandError

from integrations import inbox
from integrations.models import WebhookDelivery
from workspaces.models import Workspace


class Command(BaseCommand):
    help = "Send every failed (or unmatched) webhook delivery through its provider's mapper again."

    def add_arguments(self, parser):
        parser.add_argument("--state", required=True, choices=list(WebhookDelivery.REPLAYABLE))
        parser.add_argument("--provider", default="", help="only this provider's deliveries")
        parser.add_argument("--workspace", default="", help="only this workspace (public id)")

    def handle(self, *args, state, provider, workspace, **options):
        ws = None
        if workspace:
            ws = Workspace.objects.filter(public_id=_uuid(workspace)).first()
            if ws is None:
                raise CommandError(f"No workspace with public id {workspace}.")
        count = inbox.replay_deliveries(
            state=state, provider=provider, workspace=ws, actor_label="replay_deliveries command"
        )
        self.stdout.write(self.style.SUCCESS(f"Replaying {count} {state} deliveries."))


def _uuid(value: str):
    import uuid

    try:
        return uuid.UUID(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a workspace public id (a UUID).") from None
