"""The Celery app. Tasks are found in each app's tasks.py; the beat schedule lives here."""

import os

from celery import Celery
from celery.signals import beat_init, task_postrun, task_prerun, worker_ready, worker_shutdown
from kombu import Queue

from config.embedded_broker import register as register_embedded_broker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
register_embedded_broker()

RECONCILE_EVERY = 300.0  # seconds
SUBSCRIPTIONS_EVERY = 600.0

app = Celery("setterdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    # A task is acknowledged only after it finished, so a killed worker's task runs again;
    # every task is idempotent for that reason.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_soft_time_limit=60,
    task_time_limit=90,
    task_default_queue="default",
    # Declared, so a plain `celery -A config worker -B` consumes all three; webhooks get their
    # own queue so a slow provider call never delays storing-and-processing deliveries.
    task_queues=[Queue("default"), Queue("webhooks"), Queue("providers")],
    task_routes={
        "integrations.tasks.*": {"queue": "webhooks"},
        "calendly.tasks.*": {"queue": "providers"},
        "ghl.tasks.*": {"queue": "providers"},
    },
    broker_connection_retry_on_startup=True,
    # The broker's transport options are in settings (CELERY_BROKER_TRANSPORT_OPTIONS): they
    # depend on which broker runs.
    timezone="UTC",
    # Each entry names a task its app provides; every one is idempotent and safe to overlap.
    beat_schedule={
        # /healthz's "scheduler": proof that beat sends and a worker runs (config/scheduler.py).
        "scheduler-heartbeat": {"task": "config.scheduler.heartbeat", "schedule": 60.0},
        "sweep-pending-deliveries": {
            "task": "integrations.tasks.sweep_pending_deliveries",
            "schedule": 60.0,
        },
        "send-due-followups": {"task": "followups.tasks.send_due_steps", "schedule": 60.0},
        "send-due-account-emails": {"task": "workspaces.tasks.send_due_emails", "schedule": 60.0},
        # These three spread their per-workspace calls over their own period (``interval``,
        # integrations/spread.py), so it is passed to them: one number for both.
        "reconcile-ghl": {
            "task": "ghl.tasks.reconcile_all",
            "schedule": RECONCILE_EVERY,
            "kwargs": {"interval": RECONCILE_EVERY},
        },
        "reconcile-calendly": {
            "task": "calendly.tasks.reconcile_all",
            "schedule": RECONCILE_EVERY,
            "kwargs": {"interval": RECONCILE_EVERY},
        },
        "check-calendly-subscriptions": {
            "task": "calendly.tasks.check_all_subscriptions",
            "schedule": SUBSCRIPTIONS_EVERY,
            "kwargs": {"interval": SUBSCRIPTIONS_EVERY},
        },
        "resolve-unknown-bookings": {
            "task": "booking.tasks.resolve_unknown_attempts",
            "schedule": 120.0,
        },
    },
)
app.autodiscover_tasks()


@app.task(name="config.scheduler.heartbeat", ignore_result=True)
def heartbeat() -> None:
    from config.scheduler import record_heartbeat

    record_heartbeat()


@beat_init.connect
def _first_heartbeat(sender=None, **kwargs) -> None:
    """Beat's first run of each entry comes one interval after it starts; one heartbeat at
    start lets /healthz say "ok" as soon as a worker has run it."""
    heartbeat.delay()


@task_prerun.connect
@task_postrun.connect
def _close_old_connections(task=None, **kwargs) -> None:
    """Drop a database connection that broke (or outlived CONN_MAX_AGE) before and after each
    task, as Django does around a request: connections are reused (CELERY_DB_REUSE_MAX), so a
    task must never inherit one that a restarted PostgreSQL closed. Not for a task run eagerly
    inside a caller's transaction: that connection is the caller's."""
    if task is not None and task.request.is_eager:
        return
    from django.db import close_old_connections

    close_old_connections()


_dispatcher = None


@worker_ready.connect
def _start_dispatcher(sender=None, **kwargs) -> None:
    """With the NOTIFY hand-off, each worker's main process also runs the dispatcher that
    enqueues announced deliveries (one is elected per deployment: integrations.handoff)."""
    global _dispatcher
    from integrations import handoff, inbox

    if handoff.notifies() and _dispatcher is None:
        _dispatcher = handoff.WorkerDispatcher(inbox.enqueue_many).start()


@worker_shutdown.connect
def _stop_dispatcher(sender=None, **kwargs) -> None:
    global _dispatcher
    if _dispatcher is not None:
        _dispatcher.stop()
        _dispatcher = None
