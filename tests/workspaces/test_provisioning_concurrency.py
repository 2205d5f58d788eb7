"""Two onboarding calls at once for the same client make one workspace, settled by PostgreSQL.

Each thread uses its own database connection, so these tests commit for real (transaction=True).
"""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connections
from rest_framework.test import APIClient

from tests.workspaces.conftest import WORKSPACES_URL
from workspaces import provisioning
from workspaces.models import AuditEvent, Membership, Workspace

pytestmark = pytest.mark.django_db(transaction=True)

PAYLOAD = {
    "name": "Acme",
    "external_id": "crm-race",
    "timezone": "UTC",
    "setters": ["sam@acme.example"],
}


def run_in_threads(count, target):
    """Runs target(index) in `count` threads; returns their results (or raised exceptions)."""
    results = [None] * count

    def work(index):
        try:
            results[index] = target(index)
        except Exception as exc:  # noqa: BLE001 - reported by the assertions
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_two_creates_that_both_miss_the_lookup_make_one_workspace(monkeypatch):
    # Both calls find no workspace before either inserts: the unique constraint decides,
    # and the loser updates the winner's workspace instead of failing.
    both_looked = threading.Barrier(2, timeout=10)
    lookup = provisioning._lock_by_external_id

    def lookup_then_wait(external_id):
        found = lookup(external_id)
        both_looked.wait()
        return found

    monkeypatch.setattr(provisioning, "_lock_by_external_id", lookup_then_wait)

    results = run_in_threads(
        2,
        lambda n: provisioning.provision_workspace(
            data={**PAYLOAD, "name": f"Acme {n}"}, actor_label="test"
        ),
    )

    assert all(isinstance(result, tuple) for result in results), results
    assert sorted(created for _, created in results) == [False, True]
    assert Workspace.objects.count() == 1
    assert Membership.objects.count() == 1
    assert get_user_model().objects.count() == 1
    assert len(mail.outbox) == 1
    assert AuditEvent.objects.filter(action="workspace_created").count() == 1


def test_concurrent_posts_through_the_api_make_one_workspace(api_key):
    def post(_):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key}")
        return client.post(WORKSPACES_URL, PAYLOAD, format="json").status_code

    statuses = run_in_threads(6, post)

    assert sorted(statuses) == [200, 200, 200, 200, 200, 201]
    assert Workspace.objects.filter(external_id="crm-race").count() == 1
    assert Membership.objects.count() == 1
    assert len(mail.outbox) == 1
