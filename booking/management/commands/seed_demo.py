"""Creates (once) a demo workspace with an admin, a setter and leads; prints the logins."""

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from booking.lifecycle import record_booked
from integrations.providers import BookingRef
from workspaces.models import Lead, Membership, Workspace

DEMO_PASSWORD = "demo-password-123"  # noqa: S105 (a local demo login, printed on purpose)


class Command(BaseCommand):
    help = "Create the demo workspace and its logins if they don't exist; print the logins."

    def handle(self, *args, **options):
        with transaction.atomic():
            workspace, created = Workspace.objects.get_or_create(
                external_id="demo",
                defaults={"name": "Demo Agency", "timezone": "America/New_York"},
            )
            admin = self._user("admin@demo.local", staff=True)
            setter = self._user("setter@demo.local")
            for user, role in ((admin, "admin"), (setter, "setter")):
                Membership.objects.get_or_create(user=user, workspace=workspace, role=role)
            if created:
                self._leads(workspace)
        self.stdout.write(
            # Where this machine serves it (make run PORT=…), not PUBLIC_BASE_URL, which may be
            # a tunnel's address.
            f"Demo workspace “{workspace.name}” is ready at http://127.0.0.1:{settings.PORT}/\n"
            f"  admin:  admin@demo.local / {DEMO_PASSWORD}\n"
            f"  setter: setter@demo.local / {DEMO_PASSWORD}"
        )

    def _user(self, email, *, staff=False):
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=email, defaults={"email": email, "is_staff": staff, "is_superuser": staff}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        return user

    def _leads(self, workspace):
        names = [("Jordan", "Lee"), ("Sam", "Rivera"), ("Alex", "Kim")]
        leads = [
            Lead.objects.create(
                workspace=workspace,
                first_name=first,
                last_name=last,
                email=f"{first.lower()}.{last.lower()}@example.com",
                timezone="America/Chicago",
                status=Lead.Status.QUALIFIED,
                source="demo",
            )
            for first, last in names
        ]
        start = (timezone.now() + dt.timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
        record_booked(
            workspace=workspace,
            lead=leads[0],
            ref=BookingRef(provider="ghl", external_id="demo-appointment-1"),
            start=start,
            end=start + dt.timedelta(minutes=30),
            source="manual",
        )
