"""Deliveries that arrive together reach a worker as one task (``process_deliveries``), each
still processed in its own transaction, once, with the same retries as on its own."""

import json

import pytest

from followups.errors import ProviderUnavailable
from integrations import inbox, tasks
from integrations.models import WebhookDelivery
from tests.integrations import fake

pytestmark = pytest.mark.django_db

State = WebhookDelivery.State


def stored(workspace, key, outcome="processed") -> WebhookDelivery:
    delivery, _ = inbox.accept_delivery(
        provider=fake.NAME,
        workspace=workspace,
        dedupe_key=key,
        event="invitee.created",
        body=json.dumps({"outcome": outcome}).encode(),
        headers={},
    )
    return delivery


def states(*deliveries) -> list[tuple[str, int]]:
    rows = {d.pk: d for d in WebhookDelivery.objects.filter(pk__in=[d.pk for d in deliveries])}
    return [(rows[d.pk].state, rows[d.pk].attempts) for d in deliveries]


def test_each_delivery_of_a_batch_is_processed_once(workspace, fake_provider, recorder):
    a, b, c = (
        stored(workspace, key, outcome)
        for key, outcome in [("a", "processed"), ("b", "ignored"), ("c", "unmatched")]
    )

    assert tasks.process_deliveries.delay([a.pk, b.pk, c.pk, a.pk]).get() == 3
    # The same batch again (a redelivered message) finds them done.
    assert tasks.process_deliveries.delay([a.pk, b.pk, c.pk]).get() == 0

    assert states(a, b, c) == [(State.PROCESSED, 1), (State.IGNORED, 1), (State.UNMATCHED, 1)]
    assert recorder.seen == [a.pk, b.pk, c.pk]


def test_a_failing_delivery_leaves_the_rest_of_its_batch_processed(
    workspace, fake_provider, recorder
):
    first, second = stored(workspace, "first"), stored(workspace, "second")
    recorder.fail_with, recorder.fail_only = ProviderUnavailable("Fake is down"), {first.pk}

    assert tasks.process_deliveries.delay([first.pk, second.pk]).get() == 1

    # The transient failure waits for its retry (retry_at set), as a lone delivery's would;
    # the other one is not held back by it.
    first.refresh_from_db()
    assert (first.state, first.attempts, first.retry_at is not None) == (State.RECEIVED, 1, True)
    assert states(second) == [(State.PROCESSED, 1)]


def test_enqueue_many_sends_one_task_for_a_burst(workspace, fake_provider, recorder):
    burst = [stored(workspace, f"burst-{n}") for n in range(5)]

    inbox.enqueue_many([d.pk for d in burst])

    assert states(*burst) == [(State.PROCESSED, 1)] * 5
