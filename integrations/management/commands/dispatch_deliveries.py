"""``python manage.py dispatch_deliveries``: hand the deliveries the webhooks announce (NOTIFY,
``WEBHOOK_HANDOFF=notify``) to the Celery workers. One is enough for a deployment; two are
harmless (a delivery enqueued twice is processed once). Without it, deliveries still get
processed: the sweep sends what stayed ``received`` for a minute."""

from django.core.management.base import BaseCommand, CommandError

from integrations import handoff, inbox


class Command(BaseCommand):
    help = "LISTEN for stored webhook deliveries and enqueue each for processing."

    def handle(self, *args, **options):
        if not handoff.notifies():
            raise CommandError(
                "WEBHOOK_HANDOFF is not 'notify' (or the database is not PostgreSQL, or tasks "
                "run eagerly): the webhooks enqueue deliveries themselves; nothing to dispatch."
            )
        handoff.dispatch_forever(enqueue=inbox.enqueue_many)
