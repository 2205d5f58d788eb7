"""The webhook's request path (issue 20): the workspace's secrets come from a per-process
cache that never serves a key after its rotation or wipe committed, storing is one statement,
and a NOTIFY hand-off announces exactly the committed deliveries."""

import json
import threading
import uuid

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from integrations import connections, handoff, inbox, webhook_targets
from integrations.models import Connection, WebhookDelivery
from tests.calendly.fixtures import FIXTURE_SIGNING_KEY
from tests.calendly.helpers import fixture_bytes, load_fixture, signed_headers

pytestmark = pytest.mark.django_db(transaction=True)

NEW_KEY = "rotated-signing-key-0123456789abcdef"


def body(invitee: str | None = None) -> bytes:
    data = load_fixture("invitee_created.json")
    data["payload"]["uri"] = invitee or f"https://api.calendly.com/invitees/{uuid.uuid4()}"
    return json.dumps(data).encode()


def post(workspace, raw: bytes, key: str):
    url = reverse("calendly_webhook", kwargs={"workspace_id": workspace.public_id})
    return Client().post(
        url, data=raw, content_type="application/json", headers=signed_headers(raw, key)
    )


def in_another_connection(change):
    """Run ``change`` in a thread of its own (its own connection) and commit it there, as an
    admin's request in another process would."""
    errors = []

    def run():
        try:
            with transaction.atomic():
                change()
        except Exception as exc:  # re-raised in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    assert not errors, errors


@pytest.fixture(autouse=True)
def _empty_cache(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # processing is not what these tests look at
    webhook_targets.forget_all()
    yield
    webhook_targets.forget_all()


def test_a_rotated_signing_key_is_refused_once_the_rotation_committed(workspace, calendly_stored):
    assert post(workspace, body(), FIXTURE_SIGNING_KEY).status_code == 200  # the cache is warm

    in_another_connection(
        lambda: connections.update_connection(
            workspace=workspace, provider="calendly", secrets={"webhook_signing_key": NEW_KEY}
        )
    )

    old = post(workspace, body(), FIXTURE_SIGNING_KEY)
    new = post(workspace, body(), NEW_KEY)
    assert (old.status_code, new.status_code) == (401, 200)
    assert refusal_on_the_card(workspace) == "signature does not match"
    assert WebhookDelivery.objects.count() == 2


def test_a_wiped_key_is_refused_once_the_disconnect_committed(workspace, calendly_stored):
    assert post(workspace, body(), FIXTURE_SIGNING_KEY).status_code == 200

    in_another_connection(lambda: connections.disconnect(workspace=workspace, provider="calendly"))

    answer = post(workspace, body(), FIXTURE_SIGNING_KEY)
    assert answer.status_code == 401
    assert refusal_on_the_card(workspace) == "no signing key is set"
    assert WebhookDelivery.objects.count() == 1


def refusal_on_the_card(workspace) -> str:
    """A stranger is told only "signature missing or invalid"; the reason is kept for the card."""
    return Connection.objects.get(workspace=workspace, provider="calendly").last_rejected_reason


def test_a_key_changed_while_requests_arrive_is_never_accepted_after_the_commit(
    workspace, calendly_stored
):
    """Requests signed with the old key keep coming from other threads while the key is
    rotated: every one that started after the rotation committed is refused."""
    committed = threading.Event()
    stop = threading.Event()
    late_accepted = []

    def sender():
        try:
            while not stop.is_set():
                after_commit = committed.is_set()
                status = post(workspace, body(), FIXTURE_SIGNING_KEY).status_code
                if after_commit and status == 200:
                    late_accepted.append(status)
        finally:
            connection.close()

    threads = [threading.Thread(target=sender) for _ in range(3)]
    for thread in threads:
        thread.start()
    in_another_connection(
        lambda: connections.update_connection(
            workspace=workspace, provider="calendly", secrets={"webhook_signing_key": NEW_KEY}
        )
    )
    committed.set()
    stop_after = threading.Timer(1.0, stop.set)
    stop_after.start()
    for thread in threads:
        thread.join(timeout=30)
    assert late_accepted == []
    assert post(workspace, body(), NEW_KEY).status_code == 200


def test_a_delivery_is_looked_up_and_stored_or_found_in_two_statements(
    workspace, calendly_stored, settings
):
    # Handed off by NOTIFY (nobody listens here): the count is the request's own, no task's.
    settings.WEBHOOK_HANDOFF = handoff.NOTIFY
    settings.CELERY_TASK_ALWAYS_EAGER = False
    post(workspace, body(), FIXTURE_SIGNING_KEY)  # a first request decrypts the key once
    raw = body()
    with CaptureQueriesContext(connection) as new:
        assert post(workspace, raw, FIXTURE_SIGNING_KEY).json()["detail"] == "stored"
    with CaptureQueriesContext(connection) as again:
        assert post(workspace, raw, FIXTURE_SIGNING_KEY).json()["detail"] == "duplicate"

    # The lookup (workspace and connection, one SELECT that also sets the store's statement
    # timeout), then the INSERT … ON CONFLICT DO NOTHING that stores and announces a new row,
    # or finds the stored one in the same statement.
    assert len(statements(new)) == 2, statements(new)
    assert len(statements(again)) == 2, statements(again)
    assert "statement_timeout" in statements(new)[0]
    assert "ON CONFLICT" in statements(new)[-1] and "pg_notify" in statements(new)[-1]
    assert WebhookDelivery.objects.count() == 2


def test_notify_announces_each_committed_delivery_and_never_a_rolled_back_one(workspace, settings):
    settings.WEBHOOK_HANDOFF = handoff.NOTIFY
    settings.CELERY_TASK_ALWAYS_EAGER = False
    heard: list[int] = []
    stop, ready = threading.Event(), threading.Event()
    listening = threading.Thread(
        target=handoff.dispatch_forever,
        kwargs={
            "enqueue": heard.extend,
            "idle_seconds": 0.1,
            "stop": stop.is_set,
            "listening": ready.set,
        },
    )
    listening.start()
    try:
        assert ready.wait(10)
        with pytest.raises(RuntimeError), transaction.atomic():
            inbox.accept_delivery(**_delivery(workspace, "rolled-back"))
            raise RuntimeError("the request failed after storing")
        kept, created = inbox.accept_delivery(**_delivery(workspace, "kept"))
        again, created_again = inbox.accept_delivery(**_delivery(workspace, "kept"))
        _wait(lambda: heard)
    finally:
        stop.set()
        listening.join(timeout=10)

    assert (created, created_again, again.pk) == (True, False, kept.pk)
    assert heard == [kept.pk]
    assert list(WebhookDelivery.objects.values_list("dedupe_key", flat=True)) == ["kept"]


def statements(captured) -> list[str]:
    """The SQL sent, without the transaction's own BEGIN and COMMIT."""
    return [q["sql"] for q in captured.captured_queries if q["sql"] not in ("BEGIN", "COMMIT")]


def _delivery(workspace, key):
    return {
        "provider": "calendly",
        "workspace": workspace,
        "dedupe_key": key,
        "event": "invitee.created",
        "body": fixture_bytes("invitee_created.json"),
        "headers": {},
    }


def _wait(check, timeout=10.0):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")
