"""Prints what to paste where to connect the demo workspace to the Calendly sandbox."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.urls import reverse

from calendly.sandbox.records import DEFAULT_TOKEN, USER_SLUG
from workspaces.models import Workspace


class Command(BaseCommand):
    help = "Explain how to connect the demo workspace to the Calendly sandbox and book through it."

    def add_arguments(self, parser):
        parser.add_argument("--token", default=DEFAULT_TOKEN, help="the sandbox's token")

    def handle(self, *args, token, **options):
        workspace = Workspace.objects.filter(external_id="demo").first()
        if workspace is None:
            self.stderr.write("No demo workspace: run `manage.py seed_demo` first.")
            return
        app = settings.PUBLIC_BASE_URL
        sandbox = settings.CALENDLY_API_BASE
        tab = app + reverse("integrations_tab", args=[workspace.public_id])
        appointments = f"{app}/w/{workspace.public_id}/appointments/"
        book = (
            f"curl -s -X POST {sandbox}/_sandbox/book -H 'Content-Type: application/json' "
            """-d '{"email": "jordan.lee@example.com", "name": "Jordan Lee"}'"""
        )
        self.stdout.write(
            "\n".join(
                [
                    "",
                    f"Calendly sandbox demo (the sandbox answers at {sandbox})",
                    f"  1. Log in at {app}/ as admin@demo.local / demo-password-123",
                    f"  2. Open {tab}",
                    "  3. On the Calendly card, paste this personal access token:",
                    f"       {token}",
                    "     and, as the event type's booking link (or pick it from the list after):",
                    f"       {sandbox}/{USER_SLUG}/discovery-call",
                    "     (or use “Connect with Calendly”: the sandbox approves the OAuth sign-in)",
                    "  4. The card shows the webhook subscription: active.",
                    "  5. Book as a lead would, through the sandbox's booking page:",
                    f"       {book}",
                    f"     and watch the appointment arrive: {appointments}",
                    f"  6. Everything the sandbox knows: {sandbox}/_sandbox/state",
                    "",
                ]
            )
        )
