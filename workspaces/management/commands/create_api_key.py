from django.core.management.base import BaseCommand, CommandError
from rest_framework_api_key.models import APIKey


class Command(BaseCommand):
    help = (
        "Create a key for the admin API (/api/admin/). The key is printed once, on the last line; "
        "only its hash is stored. Revoke it in Django admin under API keys."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "name", help="Who uses the key, e.g. 'onboarding'; shown in the audit log."
        )

    def handle(self, *args, name, **options):
        name = name.strip()
        if not name or len(name) > 50:
            raise CommandError("NAME must be 1 to 50 characters.")
        api_key, key = APIKey.objects.create_key(name=name)
        self.stdout.write(
            f"Created API key “{name}” (prefix {api_key.prefix}). Store it now: it cannot be shown "
            "again. Send it as the header `Authorization: Api-Key <key>`."
        )
        self.stdout.write(key)
