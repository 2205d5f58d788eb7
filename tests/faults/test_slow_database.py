"""The database answering slowly: a webhook still answers within its provider's timeout, or
answers what makes the provider send it again (GHL: 429; Calendly: 5xx) — never a 2xx for a
delivery that is not stored.

The budget is Calendly's: it gives up on a webhook request after 10 seconds (GHL waits no
longer). The slowness is real: a TCP proxy between Django and PostgreSQL that delays or holds
back the server's answers (``tests.support.pg_proxy``), or a lock on the deliveries table held
by another session. The app bounds what it waits for with ``DATABASE_CONNECT_TIMEOUT`` (5 s)
and ``WEBHOOK_STORE_TIMEOUT_MS`` (3 s, a statement timeout on the store).

Tasks go to a throw-away broker, as in production, so the request only stores and enqueues.
"""

import threading
import time
from contextlib import contextmanager

import psycopg
import pytest
from django.db import connection
from django.test import Client

from integrations.models import WebhookDelivery
from tests.support.pg_proxy import DelayingProxy
from tests.support.webhooks import ENDPOINTS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PROVIDER_TIMEOUT = 10.0
FAR_AWAY = 0.25  # seconds added to every answer of the database


@pytest.fixture(params=ENDPOINTS, ids=lambda e: e.name)
def door(request, workspace, settings):
    return request.param.open(workspace=workspace, settings=settings)


@pytest.fixture
def proxy():
    db = connection.settings_dict
    proxy = DelayingProxy(upstream_host=db["HOST"] or "127.0.0.1", upstream_port=db["PORT"] or 5432)
    yield proxy.start()
    proxy.stop()


@contextmanager
def database_through(proxy):
    """This thread's next connection goes through ``proxy``; the old one is closed first."""
    db = connection.settings_dict
    saved = db["HOST"], db["PORT"]
    connection.close()
    db["HOST"], db["PORT"] = "127.0.0.1", str(proxy.port)
    try:
        yield
    finally:
        connection.close()
        db["HOST"], db["PORT"] = saved


def post(door, body: bytes) -> tuple[int, float]:
    started = time.monotonic()
    response = Client().post(
        door.url, data=body, content_type="application/json", headers=door.sign(body)
    )
    return response.status_code, time.monotonic() - started


def post_with_deadline(door, body: bytes, *, around=None) -> tuple[int, float]:
    """``post`` in a thread of its own (inside ``around()`` there), given up on long after the
    provider would have; the test then ends instead of hanging."""
    answer: list[tuple[int, float]] = []

    def run():
        try:
            with around() if around else _nothing():
                answer.append(post(door, body))
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=PROVIDER_TIMEOUT * 2)
    assert answer, f"The webhook gave no answer within {PROVIDER_TIMEOUT * 2}s"
    return answer[0]


@contextmanager
def _nothing():
    yield


@contextmanager
def table_locked(model):
    """Another session holds a SHARE lock on the table (as CREATE INDEX without CONCURRENTLY
    does): reads go on, every write waits."""
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
    ) as other:
        other.execute(f'LOCK TABLE "{model._meta.db_table}" IN SHARE MODE')
        try:
            yield
        finally:
            other.rollback()


def stored(door, body: bytes) -> bool:
    return any(
        row.raw_body == body for row in WebhookDelivery.objects.filter(workspace=door.workspace)
    )


def test_a_database_far_away_still_answers_in_time_and_stores(door, proxy, celery_broker):
    proxy.delay = FAR_AWAY
    body = door.body(1)

    with database_through(proxy):
        status, seconds = post(door, body)

    assert (status, stored(door, body)) == (200, True)
    assert seconds < PROVIDER_TIMEOUT


def test_a_locked_deliveries_table_is_answered_retry_in_time_and_nothing_is_stored(
    door, celery_broker
):
    body = door.body(1)

    with table_locked(WebhookDelivery):
        status, seconds = post_with_deadline(door, body)

    assert status in door.endpoint.retry_statuses
    assert seconds < PROVIDER_TIMEOUT
    assert not stored(door, body)
    # The provider's retry, once the lock is gone, is stored.
    assert post(door, body)[0] == 200
    assert stored(door, body)


def test_a_database_that_never_answers_a_new_connection_is_answered_retry_in_time(
    door, proxy, celery_broker
):
    proxy.stall()
    body = door.body(1)

    status, seconds = post_with_deadline(door, body, around=lambda: database_through(proxy))

    assert status in door.endpoint.retry_statuses
    assert seconds < PROVIDER_TIMEOUT
    assert not stored(door, body)
