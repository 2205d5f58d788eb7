"""The NOTIFY hand-off's dispatcher (integrations.handoff): every Celery worker runs one, one is
elected per deployment by an advisory lock, a standby takes over when the elected one goes, and a
dispatcher that starts (or takes over) enqueues what was stored while nobody listened."""

import threading
import time
import uuid

import pytest
from django.db import transaction
from django.utils import timezone

from integrations import handoff, inbox
from tests.calendly.helpers import fixture_bytes

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _notify(settings):
    settings.WEBHOOK_HANDOFF = handoff.NOTIFY
    settings.CELERY_TASK_ALWAYS_EAGER = False


class Dispatcher:
    """One dispatcher in a thread of its own, recording what it enqueued."""

    def __init__(self):
        self.heard: list[int] = []
        self.batches: list[list[int]] = []
        self.ready = threading.Event()
        self.stopped = threading.Event()
        self.thread = threading.Thread(
            target=handoff.dispatch_forever,
            kwargs={
                "enqueue": self.enqueue,
                "idle_seconds": 0.1,
                "stop": self.stopped.is_set,
                "standby_seconds": 0.2,
                "listening": self.ready.set,
            },
            daemon=True,
        )

    def enqueue(self, ids: list[int]) -> None:
        self.batches.append(list(ids))
        self.heard.extend(ids)

    def start(self) -> "Dispatcher":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=10)


def store(workspace) -> int:
    delivery, created = inbox.accept_delivery(
        provider="calendly",
        workspace=workspace,
        dedupe_key=f"key-{uuid.uuid4()}",
        event="invitee.created",
        body=fixture_bytes("invitee_created.json"),
        headers={},
    )
    assert created
    return delivery.pk


def wait_for(check, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_one_of_two_dispatchers_enqueues_each_delivery_and_the_other_takes_over(workspace):
    first = Dispatcher().start()
    assert first.ready.wait(10)
    second = Dispatcher().start()
    try:
        one = store(workspace)
        wait_for(lambda: first.heard)
        time.sleep(0.5)  # the standby would have heard it by now, had it listened
        assert (first.heard, second.heard) == ([one], [])

        first.stop()  # its connection closes and its lock goes with it
        assert second.ready.wait(10)
        two = store(workspace)
        wait_for(lambda: two in second.heard)
        assert two not in first.heard
    finally:
        first.stop()
        second.stop()


def test_a_dispatcher_that_starts_late_enqueues_what_was_stored_meanwhile(workspace):
    waiting = store(workspace)  # announced while nobody listened
    late = Dispatcher().start()
    try:
        assert late.ready.wait(10)
        assert late.heard == [waiting]
    finally:
        late.stop()


def test_deliveries_announced_together_are_enqueued_as_one_batch(workspace):
    dispatcher = Dispatcher().start()
    try:
        assert dispatcher.ready.wait(10)
        with transaction.atomic():  # their notifications arrive together, at the commit
            burst = [store(workspace) for _ in range(5)]
        wait_for(lambda: len(dispatcher.heard) == 5)
        assert dispatcher.batches == [burst]
    finally:
        dispatcher.stop()


def test_a_dispatcher_that_takes_over_leaves_what_was_handed_on_to_the_sweep(workspace):
    # A worker killed mid-delivery takes its dispatcher with it; the delivery's message is
    # unacknowledged at the broker and the sweep sends it again. The next dispatcher must not
    # send it too, or two workers race for it.
    first = Dispatcher().start()
    assert first.ready.wait(10)
    handed_on = store(workspace)
    wait_for(lambda: first.heard == [handed_on])
    first.stop()

    unheard = store(workspace)  # stored while nobody listened
    second = Dispatcher().start()
    try:
        assert second.ready.wait(10)
        assert second.heard == [unheard]
        assert inbox.sweep_pending(now=timezone.now() + inbox.SWEEP_AFTER) == 2
    finally:
        second.stop()
