"""Counting the SQL statements the product really runs, where it runs them.

- ``QueryCountMiddleware`` (in ``bench.settings``, under gunicorn): every request's statements,
  counted with ``connection.execute_wrapper``, answered in the ``X-Bench-Queries`` header (and
  their verbs in ``X-Bench-Query-Verbs``), so the load generator tallies every request.
- The Celery hooks (the worker imports this module with ``--include bench.querycount``): every
  delivery's processing, its statements and duration (alone or in a batch), pushed to a Redis
  list the benchmark reads; and a counter the benchmark waits on to know the worker is ready.

Each counts what goes through Django's cursor (SAVEPOINTs included); BEGIN and COMMIT are
psycopg's own calls and are not counted.
"""

from __future__ import annotations

import functools
import json
import os
import time
from collections import Counter

from celery.signals import worker_process_init, worker_ready
from django.conf import settings
from django.db import connection

QUERIES_HEADER = "X-Bench-Queries"
VERBS_HEADER = "X-Bench-Query-Verbs"
TASK_LIST = "bench:process_delivery"
READY_KEY = "bench:worker_ready"


class StatementCounter:
    """An ``execute_wrapper``: counts statements and their first word."""

    def __init__(self):
        self.count = 0
        self.verbs: Counter[str] = Counter()

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        self.verbs[_verb(sql)] += 1
        return execute(sql, params, many, context)

    def reset(self) -> None:
        self.count = 0
        self.verbs.clear()


def _verb(sql: str) -> str:
    return (sql or "").lstrip().split(" ", 1)[0].upper()[:20]


class QueryCountMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        counter = StatementCounter()
        with connection.execute_wrapper(counter):
            response = self.get_response(request)
        response[QUERIES_HEADER] = str(counter.count)
        response[VERBS_HEADER] = ",".join(f"{v}={n}" for v, n in sorted(counter.verbs.items()))
        return response


# The worker's side


_redis = {"pid": None, "client": None}


def _client():
    """One Redis client per pool process (made after the fork)."""
    if _redis["pid"] != os.getpid():
        import redis

        _redis["client"] = redis.Redis.from_url(settings.CELERY_BROKER_URL)
        _redis["pid"] = os.getpid()
    return _redis["client"]


@worker_ready.connect
def _worker_ready(**_):
    _client().incr(READY_KEY)


@worker_process_init.connect
def _count_each_delivery(**_):
    """Each delivery's processing (``integrations.processing.process``), counted whether it came
    alone (``process_delivery``) or in a batch (``process_deliveries``): the tasks look the
    function up when they run, so wrapping it in each pool process counts every delivery."""
    from integrations import processing

    if not getattr(processing.process, "counted", False):
        processing.process = _counted(processing.process)


def _counted(process):
    @functools.wraps(process)
    def run(delivery_id):
        counter = StatementCounter()
        started = time.perf_counter()
        with connection.execute_wrapper(counter):
            outcome = process(delivery_id)
        record = {
            "delivery": delivery_id,
            "outcome": outcome.state if outcome is not None else None,
            "queries": counter.count,
            "verbs": dict(counter.verbs),
            "seconds": time.perf_counter() - started,
            "finished_at": time.time(),
        }
        _client().rpush(TASK_LIST, json.dumps(record))
        return outcome

    run.counted = True
    return run
