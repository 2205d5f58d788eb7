import dataclasses
import json
import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import OperationalError, close_old_connections, connection
from django.utils import timezone

from followups.errors import ProviderBadRequest, ProviderUnavailable
from integrations import inbox, processing, providers, tasks
from integrations.models import WebhookDelivery
from tests.factories import WorkspaceFactory
from tests.integrations import fake
from workspaces.models import Workspace

pytestmark = pytest.mark.django_db

State = WebhookDelivery.State


def body(**data) -> bytes:
    return json.dumps({"outcome": "processed", **data}).encode()


def accept(workspace, key="evt-1", payload=None, **extra):
    return inbox.accept_delivery(
        provider=fake.NAME,
        workspace=workspace,
        dedupe_key=key,
        event="invitee.created",
        body=payload if payload is not None else body(),
        headers={"Content-Type": "application/json"},
        **extra,
    )


def receive(django_capture_on_commit_callbacks, workspace, **kwargs):
    """A delivery stored and then processed, as the commit would trigger it."""
    with django_capture_on_commit_callbacks(execute=True):
        delivery, created = accept(workspace, **kwargs)
    delivery.refresh_from_db()
    return delivery, created


def age(delivery, **delta):
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        received_at=timezone.now() - timedelta(**delta)
    )


def test_a_delivery_is_stored_then_processed(
    workspace, fake_provider, recorder, django_capture_on_commit_callbacks
):
    delivery, created = receive(django_capture_on_commit_callbacks, workspace)

    assert created
    assert (delivery.state, delivery.attempts, delivery.last_error) == (State.PROCESSED, 1, "")
    assert delivery.processed_at is not None
    assert delivery.json() == {"outcome": "processed"}
    assert recorder.seen == [delivery.pk]


def test_a_duplicate_finds_the_stored_row_and_changes_nothing(
    workspace, fake_provider, recorder, django_capture_on_commit_callbacks
):
    first, _ = receive(django_capture_on_commit_callbacks, workspace)
    again, created = receive(
        django_capture_on_commit_callbacks, workspace, payload=body(outcome="ignored")
    )

    assert not created
    assert again.pk == first.pk
    assert again.json() == {"outcome": "processed"}
    assert recorder.seen == [first.pk]
    assert WebhookDelivery.objects.count() == 1


def test_the_same_key_in_two_workspaces_is_two_deliveries(workspace, fake_provider):
    other = WorkspaceFactory()
    a, _ = accept(workspace)
    b, created = accept(other)
    assert created and a.pk != b.pk


def test_the_mapper_decides_ignored_and_unmatched(
    workspace, fake_provider, django_capture_on_commit_callbacks
):
    ignored, _ = receive(
        django_capture_on_commit_callbacks, workspace, key="a", payload=body(outcome="ignored")
    )
    unmatched, _ = receive(
        django_capture_on_commit_callbacks, workspace, key="b", payload=body(outcome="unmatched")
    )
    assert (ignored.state, unmatched.state) == (State.IGNORED, State.UNMATCHED)


def test_a_mapper_that_raises_fails_then_replay_processes_it(
    workspace, fake_provider, recorder, django_capture_on_commit_callbacks
):
    recorder.fail_with = KeyError("payload.invitee")
    delivery, _ = receive(django_capture_on_commit_callbacks, workspace)
    assert delivery.state == State.FAILED
    assert delivery.last_error == "KeyError: 'payload.invitee'"

    recorder.fail_with = None
    with django_capture_on_commit_callbacks(execute=True):
        assert inbox.replay_delivery(delivery_id=delivery.pk) is True
    delivery.refresh_from_db()
    assert (delivery.state, delivery.last_error) == (State.PROCESSED, "")
    assert recorder.seen == [delivery.pk, delivery.pk]


def test_replaying_twice_is_harmless(workspace, fake_provider, recorder):
    recorder.fail_with = ProviderBadRequest("Unknown event type.")
    delivery, _ = accept(workspace)
    processing.process(delivery.pk)

    assert inbox.replay_delivery(delivery_id=delivery.pk) is True
    assert inbox.replay_delivery(delivery_id=delivery.pk) is False


def test_a_mapper_that_breaks_rolls_back_its_writes(workspace, fake_provider):
    def writes_then_fails(delivery):
        WorkspaceFactory(name="half-done")
        raise ValueError("boom")

    providers.register(dataclasses.replace(fake_provider, map_delivery=writes_then_fails))
    delivery, _ = accept(workspace)

    assert processing.process(delivery.pk).state == State.FAILED
    assert not Workspace.objects.filter(name="half-done").exists()


def test_a_transient_error_waits_and_retries(workspace, fake_provider, recorder):
    recorder.fail_with = ProviderUnavailable("Fake is down.")
    delivery, _ = accept(workspace)

    outcome = processing.process(delivery.pk)

    delivery.refresh_from_db()
    assert outcome == processing.Outcome(
        state=State.RECEIVED, retry_in=processing.BACKOFF_BASE_SECONDS
    )
    assert (delivery.state, delivery.attempts, delivery.last_error) == (
        State.RECEIVED,
        1,
        "Fake is down.",
    )
    assert delivery.retry_at > timezone.now()

    recorder.fail_with = None
    assert processing.process(delivery.pk).state == State.PROCESSED


def test_a_database_error_in_the_mapper_is_transient(workspace, fake_provider, recorder):
    recorder.fail_with = OperationalError("could not serialize access")
    delivery, _ = accept(workspace)
    assert processing.process(delivery.pk).retry_in == processing.BACKOFF_BASE_SECONDS


def test_transient_errors_give_up_after_the_last_attempt(workspace, fake_provider, recorder):
    recorder.fail_with = ProviderUnavailable("Fake is down.")
    delivery, _ = accept(workspace)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=processing.MAX_ATTEMPTS - 1)

    assert processing.process(delivery.pk).state == State.FAILED
    delivery.refresh_from_db()
    assert delivery.last_error == f"Gave up after {processing.MAX_ATTEMPTS} attempts: Fake is down."


def test_backoff_grows_and_is_capped():
    delays = [processing._backoff(n) for n in range(1, 10)]
    assert delays[:4] == [30, 60, 120, 240]
    assert max(delays) == processing.BACKOFF_CAP_SECONDS


def test_a_lost_enqueue_is_picked_up_by_the_sweep(
    workspace, fake_provider, recorder, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(tasks.process_delivery, "delay", broker_down)
    delivery, created = receive(django_capture_on_commit_callbacks, workspace)
    assert created and delivery.state == State.RECEIVED  # no 500, nothing lost
    monkeypatch.undo()

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.sweep_pending_deliveries() == 0  # not a minute old yet
    age(delivery, minutes=2)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.sweep_pending_deliveries() == 1

    delivery.refresh_from_db()
    assert delivery.state == State.PROCESSED
    assert recorder.seen == [delivery.pk]


def test_the_sweep_leaves_a_retry_alone_until_it_is_overdue(workspace, fake_provider, recorder):
    recorder.fail_with = ProviderUnavailable("Fake is down.")
    delivery, _ = accept(workspace)
    age(delivery, minutes=5)
    processing.process(delivery.pk)  # retry due in 30 s

    assert inbox.sweep_pending() == 0
    assert inbox.sweep_pending(now=timezone.now() + timedelta(minutes=2)) == 1
    assert inbox.sweep_pending(now=timezone.now() + timedelta(minutes=2)) == 0  # claimed


def test_an_unreadable_body_is_kept_as_failed(workspace, fake_provider):
    delivery, created = inbox.record_failed_delivery(
        provider=fake.NAME, workspace=workspace, body=b"{not json", headers={}, error="not JSON"
    )
    again, created_again = inbox.record_failed_delivery(
        provider=fake.NAME, workspace=workspace, body=b"{not json", headers={}, error="not JSON"
    )
    assert created and not created_again and again.pk == delivery.pk
    assert (delivery.state, delivery.last_error, delivery.raw_body) == (
        State.FAILED,
        "not JSON",
        b"{not json",
    )


def test_replay_command_sends_every_failed_delivery_again(
    workspace, fake_provider, recorder, capsys, django_capture_on_commit_callbacks
):
    recorder.fail_with = RuntimeError("mapper bug")
    for key in ("a", "b"):
        receive(django_capture_on_commit_callbacks, workspace, key=key)
    receive(django_capture_on_commit_callbacks, workspace, key="c", payload=body(outcome="x"))
    recorder.fail_with = None

    with django_capture_on_commit_callbacks(execute=True):
        call_command("replay_deliveries", "--state", "failed")

    assert "Replaying 3 failed deliveries." in capsys.readouterr().out
    assert list(WebhookDelivery.objects.values_list("state", flat=True).order_by("dedupe_key")) == [
        State.PROCESSED,
        State.PROCESSED,
        State.FAILED,  # the mapper answered "x": still a mapper bug, kept failed
    ]


def test_replay_command_takes_unmatched_too(
    workspace, fake_provider, capsys, django_capture_on_commit_callbacks
):
    delivery, _ = receive(
        django_capture_on_commit_callbacks, workspace, payload=body(outcome="unmatched")
    )
    with django_capture_on_commit_callbacks(execute=True):
        call_command("replay_deliveries", "--state", "unmatched")
    assert "Replaying 1 unmatched deliveries." in capsys.readouterr().out


def test_prune_deletes_only_old_processed_and_ignored_rows(workspace, fake_provider, capsys):
    kept = {}
    for key, state, days in [
        ("old-processed", State.PROCESSED, 40),
        ("old-ignored", State.IGNORED, 40),
        ("old-failed", State.FAILED, 40),
        ("old-unmatched", State.UNMATCHED, 40),
        ("new-processed", State.PROCESSED, 2),
    ]:
        delivery, _ = accept(workspace, key=key)
        WebhookDelivery.objects.filter(pk=delivery.pk).update(state=state)
        age(delivery, days=days)
        kept[key] = delivery.pk

    call_command("prune_deliveries", "--older-than", "30d")

    assert "Deleted 2 deliveries" in capsys.readouterr().out
    assert set(WebhookDelivery.objects.values_list("dedupe_key", flat=True)) == {
        "old-failed",
        "old-unmatched",
        "new-processed",
    }


def test_an_unknown_provider_fails_with_a_reason(workspace):
    delivery, _ = inbox.accept_delivery(
        provider="gone", workspace=workspace, dedupe_key="k", event="", body=b"{}", headers={}
    )
    assert processing.process(delivery.pk).state == State.FAILED
    delivery.refresh_from_db()
    assert "gone" in delivery.last_error


# Concurrency: real transactions, one connection per thread.


def run_in_threads(count, target):
    barrier = threading.Barrier(count)
    errors = []

    def worker(i):
        try:
            barrier.wait(timeout=10)
            target(i)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_duplicates_make_one_row_and_one_processing(fake_provider, recorder):
    workspace = WorkspaceFactory()
    results = []

    def deliver(_):
        close_old_connections()
        results.append(accept(workspace, key="same-event"))

    run_in_threads(20, deliver)

    assert WebhookDelivery.objects.count() == 1
    assert sum(created for _, created in results) == 1
    assert len({d.pk for d, _ in results}) == 1
    assert len(recorder.seen) == 1
    assert WebhookDelivery.objects.get().state == State.PROCESSED


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_workers_process_a_delivery_once(fake_provider, recorder, monkeypatch):
    monkeypatch.setattr(inbox, "enqueue", lambda pk: None)
    workspace = WorkspaceFactory()
    delivery, _ = accept(workspace)

    run_in_threads(20, lambda _: tasks.process_delivery.apply(args=[delivery.pk]))

    assert recorder.seen == [delivery.pk]
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (State.PROCESSED, 1)


def test_a_refused_token_while_mapping_marks_the_connection(workspace, connected, recorder):
    from followups.errors import ProviderAuthError

    recorder.fail_with = ProviderAuthError("Fake refused the token.", status=401)
    delivery, _ = accept(workspace)

    assert processing.process(delivery.pk).state == State.FAILED
    connected.refresh_from_db()
    assert (connected.status, connected.last_error) == ("needs_reauth", "Fake refused the token.")
