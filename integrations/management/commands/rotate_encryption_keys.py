from django.core.management.base import BaseCommand, CommandError

from followups.errors import SecretUnreadable
from integrations.rotation import rotate_all


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret with the first key of FIELD_ENCRYPTION_KEYS. Put the "
        "new key first, keep the old ones after it, run this, then drop the old ones."
    )

    def handle(self, *args, **options):
        try:
            results = rotate_all()
        except SecretUnreadable as exc:
            raise CommandError(str(exc)) from None
        total = 0
        for result in results:
            total += result.rewritten
            self.stdout.write(
                f"{result.label}: rewrote {result.rewritten} of {result.scanned} rows"
            )
        self.stdout.write(self.style.SUCCESS(f"Rewrote {total} encrypted values."))
