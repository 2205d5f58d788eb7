"""Pytest fixtures over ``tests/support``; a conftest imports the ones it needs:

    from tests.support.fixtures import celery_broker, celery_worker, redis_server  # noqa: F401

A test using a worker needs ``@pytest.mark.django_db(transaction=True)``: the worker reads
what the test committed, and is stopped before pytest-django flushes the tables.
"""

from __future__ import annotations

import pytest

from tests.support.broker import tasks_sent_to
from tests.support.redis_server import RedisServer
from tests.support.worker import CeleryWorker


@pytest.fixture
def redis_server(tmp_path):
    """A throw-away Redis of this test's own (it may be stopped, hung and restarted)."""
    server = RedisServer(workdir=tmp_path / "redis").start()
    yield server
    server.stop()


@pytest.fixture
def celery_broker(redis_server):
    """Tasks of the test process (and of the live server's thread) go to ``redis_server``."""
    with tasks_sent_to(redis_server.url()):
        yield redis_server


@pytest.fixture
def celery_worker(transactional_db, celery_broker, tmp_path):
    """Starts real workers on ``celery_broker``: ``celery_worker(include=(...), env={...})``
    returns a started ``CeleryWorker``. Every one is stopped when the test ends."""
    workers: list[CeleryWorker] = []

    def start(*, include=(), env=None, concurrency=1) -> CeleryWorker:
        worker = CeleryWorker(
            broker_url=celery_broker.url(),
            workdir=tmp_path / "workers",
            include=include,
            env=env,
            concurrency=concurrency,
        )
        workers.append(worker)
        return worker.start()

    yield start
    for worker in workers:
        worker.stop()
