"""Redis stopped (or stuck) while webhooks arrive: every delivery is answered 2xx within the
provider's timeout and stored; once Redis is back, the sweep hands them to a real worker and each
is processed once. Nothing lives only in Redis, so nothing is lost with it.

Driven through the real webhook endpoints (``tests.support.webhooks``), in the test process,
with Celery sending to a throw-away Redis that the test stops.
"""

import time
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from integrations import inbox
from integrations.models import WebhookDelivery
from tests.faults.helpers import wait_until
from tests.support.webhooks import ENDPOINTS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Calendly gives up on a webhook request after 10 seconds; GHL waits no longer. Every answer,
# broker or no broker, must come well inside it.
PROVIDER_TIMEOUT = 10.0
ARRIVING = 4  # deliveries that arrive while the broker is away


@pytest.fixture(params=ENDPOINTS, ids=lambda e: e.name)
def door(request, workspace, settings):
    return request.param.open(workspace=workspace, settings=settings)


def post(door, n: int) -> tuple[int, float]:
    """One delivery, as the provider sends it; (status, seconds to answer)."""
    body = door.body(n)
    started = time.monotonic()
    try:
        response = Client().post(
            door.url, data=body, content_type="application/json", headers=door.sign(body)
        )
    finally:
        connection.close()  # each request thread has its own connection
    return response.status_code, time.monotonic() - started


def arrive_at_once(door, numbers) -> list[tuple[int, float]]:
    """Deliveries sent concurrently, as a provider flushing its queue would. Fails (without
    waiting for them) when some get no answer long after the provider would have given up."""
    pool = ThreadPoolExecutor(max_workers=len(numbers))
    futures = [pool.submit(post, door, n) for n in numbers]
    _, unanswered = wait(futures, timeout=PROVIDER_TIMEOUT * 2)
    pool.shutdown(wait=False)
    if unanswered:
        raise AssertionError(
            f"{len(unanswered)} of {len(futures)} deliveries got no answer within "
            f"{PROVIDER_TIMEOUT * 2}s"
        )
    return [future.result() for future in futures]


def sweep_as_a_minute_later() -> int:
    return inbox.sweep_pending(now=timezone.now() + inbox.SWEEP_AFTER + timedelta(seconds=1))


def all_processed(door, count: int) -> bool:
    rows = WebhookDelivery.objects.filter(workspace=door.workspace, provider=door.provider)
    return rows.filter(state="processed").count() == count


def assert_each_processed_once(door, count: int) -> None:
    rows = list(WebhookDelivery.objects.filter(workspace=door.workspace, provider=door.provider))
    assert len(rows) == count
    assert {(row.state, row.attempts) for row in rows} == {("processed", 1)}
    assert door.effects() == count


def test_deliveries_while_redis_is_down_are_answered_stored_and_processed_after_it_returns(
    door, celery_broker, celery_worker
):
    worker = celery_worker()
    assert post(door, 0)[0] == 200
    wait_until(lambda: all_processed(door, 1), what="the first delivery was processed")

    celery_broker.stop()
    answers = arrive_at_once(door, range(1, ARRIVING + 1))

    assert [status for status, _ in answers] == [200] * ARRIVING
    assert max(seconds for _, seconds in answers) < PROVIDER_TIMEOUT
    stored = WebhookDelivery.objects.filter(workspace=door.workspace, state="received")
    assert stored.count() == ARRIVING

    celery_broker.start()  # empty: whatever was queued before is gone with it
    assert sweep_as_a_minute_later() == ARRIVING
    wait_until(
        lambda: all_processed(door, ARRIVING + 1), what="every stored delivery was processed"
    )
    assert_each_processed_once(door, ARRIVING + 1)
    assert worker.is_running


def test_deliveries_while_redis_hangs_are_answered_in_time_and_none_is_processed_twice(
    door, celery_broker, celery_worker
):
    celery_worker()
    celery_broker.hang()  # it accepts connections and never answers
    try:
        answers = arrive_at_once(door, range(1, ARRIVING + 1))
    finally:
        celery_broker.resume()

    assert [status for status, _ in answers] == [200] * ARRIVING
    assert max(seconds for _, seconds in answers) < PROVIDER_TIMEOUT
    # A publish that timed out may still have reached Redis (it was in the socket's buffer), so
    # some deliveries may be queued twice: once from the request, once from the sweep.
    sweep_as_a_minute_later()
    wait_until(lambda: all_processed(door, ARRIVING), what="every stored delivery was processed")
    assert_each_processed_once(door, ARRIVING)
