"""A worker killed (SIGKILL) in the middle of ``process_delivery``: once a worker takes over, the
delivery is processed exactly once, and the killed run leaves nothing behind.

The mapper (``tests.support.blocking_provider``, loaded into the worker) writes its side effect
and then blocks, so the kill lands inside the processing transaction. Its side effects are
counted in the database, where a second run would show.
"""

import json
import os
import signal
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from integrations import inbox
from integrations.models import WebhookDelivery
from integrations.tasks import process_delivery
from tests.faults.helpers import wait_until
from tests.support import blocking_provider
from workspaces.models import AuditEvent

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

INCLUDE = ("tests.support.blocking_provider",)


def deliver(workspace, gate) -> WebhookDelivery:
    """A stored delivery whose processing blocks at ``gate``; it is enqueued on commit."""
    delivery, _ = inbox.accept_delivery(
        provider=blocking_provider.NAME,
        workspace=workspace,
        dedupe_key=f"evt-{uuid.uuid4()}",
        event="test.blocking",
        body=json.dumps({"gate": str(gate)}).encode(),
        headers={},
    )
    return delivery


def gate_in(tmp_path):
    gate = tmp_path / "gate"
    gate.mkdir()
    return gate


def pid_blocked_at(gate) -> int:
    started = wait_until(
        lambda: (gate / "started").exists() and (gate / "started").read_text(),
        what="the mapper started processing the delivery",
    )
    return int(started)


def side_effects(delivery) -> int:
    return AuditEvent.objects.filter(
        action=blocking_provider.MAPPED, changes__delivery=delivery.pk
    ).count()


def state_of(delivery) -> str:
    return WebhookDelivery.objects.get(pk=delivery.pk).state


def test_a_pool_process_killed_mid_delivery_is_redelivered_and_processed_once(
    celery_worker, workspace, tmp_path
):
    worker = celery_worker(include=INCLUDE)
    gate = gate_in(tmp_path)
    delivery = deliver(workspace, gate)

    pid = pid_blocked_at(gate)
    assert pid != worker.process.pid  # the pool process running the task, not the main one
    os.kill(pid, signal.SIGKILL)
    (gate / "release").touch()

    # No sweep runs here: the message comes back because it was never acknowledged (acks_late)
    # and the lost process counts as a rejection (task_reject_on_worker_lost).
    wait_until(lambda: state_of(delivery) == "processed", what="the delivery was processed")
    assert side_effects(delivery) == 1
    assert worker.is_running


def test_a_worker_killed_mid_delivery_is_swept_to_the_next_worker_and_processed_once(
    celery_worker, workspace, tmp_path
):
    worker = celery_worker(include=INCLUDE)
    gate = gate_in(tmp_path)
    delivery = deliver(workspace, gate)
    pid_blocked_at(gate)

    worker.kill()  # the main process and its pool at once
    assert state_of(delivery) == "received"
    assert side_effects(delivery) == 0  # the killed run's writes went with its transaction

    (gate / "release").touch()
    worker.start()
    # The killed worker's message stays unacknowledged at the broker until its visibility
    # timeout (an hour): the sweep sends the delivery again once it is a minute overdue.
    assert inbox.sweep_pending(now=timezone.now() + inbox.SWEEP_AFTER + timedelta(seconds=1)) == 1
    wait_until(lambda: state_of(delivery) == "processed", what="the swept delivery was processed")
    assert side_effects(delivery) == 1

    # And when that first message does come back, it changes nothing.
    late = process_delivery.delay(delivery.pk)
    worker.wait_for_log(rf"process_delivery\[{late.id}\] succeeded")
    assert side_effects(delivery) == 1
    assert WebhookDelivery.objects.get(pk=delivery.pk).attempts == 1
