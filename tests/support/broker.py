"""Make the test process send tasks to a real broker instead of running them in-process.

The suite runs with ``CELERY_TASK_ALWAYS_EAGER=1``; a test that wants a real worker to do the
work points the Celery app (and Django's setting, which ``/healthz`` reads) at the worker's
broker for its duration. The live server runs in a thread of the test process, so it sends
there too.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.conf import settings
from kombu import pools

from config.celery import app


def _drop_connection_pools() -> None:
    # The producer pool is bound to the broker URL it was first built for; Celery itself drops
    # both pools this way after a fork (Celery._after_fork).
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None
    # kombu keeps its own registry of producer pools by connection: left alone, it would hand
    # the closed one back to the next task sent (eager ones too) once the old URL is restored.
    pools.reset()


@contextmanager
def tasks_sent_to(broker_url: str):
    saved_conf = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    saved_settings = (settings.CELERY_TASK_ALWAYS_EAGER, settings.REDIS_URL)
    _drop_connection_pools()
    app.conf.update(broker_url=broker_url, task_always_eager=False)
    settings.CELERY_TASK_ALWAYS_EAGER, settings.REDIS_URL = False, broker_url
    try:
        yield app
    finally:
        _drop_connection_pools()
        app.conf.update(saved_conf)
        settings.CELERY_TASK_ALWAYS_EAGER, settings.REDIS_URL = saved_settings
