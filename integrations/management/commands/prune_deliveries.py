import re
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from integrations import inbox

UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def parse_age(value: str) -> timedelta:
    """'30d', '12h' or '90m'."""
    match = re.fullmatch(r"\s*(\d+)\s*([dhm])\s*", value or "")
    if not match:
        raise CommandError(f"--older-than takes a number and d, h or m (e.g. 30d), not {value!r}.")
    return timedelta(**{UNITS[match[2]]: int(match[1])})


class Command(BaseCommand):
    help = "Delete processed and ignored webhook deliveries older than --older-than (e.g. 30d)."

    def add_arguments(self, parser):
        parser.add_argument("--older-than", default="30d")

    def handle(self, *args, older_than, **options):
        deleted = inbox.prune_deliveries(older_than=parse_age(older_than))
        self.stdout.write(
            self.style.SUCCESS(f"Deleted {deleted} deliveries older than {older_than}.")
        )
