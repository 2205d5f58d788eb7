"""The Integrations tab reads each thing once per page: the cards, the booking and messaging
sections and the summary line all ask about the same few connections, and each card about its
provider's last delivery and reconcile run (issue 20: it ran 34 statements, most of them the same
reads again, each decrypting the stored secrets again)."""

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

# Registers GoHighLevel's reconcile sweep, as the worker does, so its card shows "Last sync".
import ghl.tasks  # noqa: E402, F401, I001
from integrations import connections, inbox
from integrations.models import ReconcileState
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

# What the tab runs with every provider connected, a delivery and a sync shown: the session,
# user, workspace and role; the connections; the last deliveries; the reconcile runs; Calendly's
# subscription; the deliveries table, their bodies and their bookings; the audit log; the
# workspace switcher.
STATEMENTS = 13


@pytest.fixture
def admin(client, workspace):
    client.force_login(MembershipFactory(workspace=workspace, role="admin").user)
    return client


@pytest.fixture
def everything_connected(workspace):
    stored = {
        "calendly": (
            {"access_token": "cal-token-1234"},
            {"user_uri": "https://api.calendly.com/users/U1", "event_type_uri": "https://e/1"},
        ),
        "ghl": ({"token": "ghl-token-5678"}, {"location_id": "L1", "calendar_id": "C1"}),
        "email": ({"inbound_secret": "in-secret"}, {"from_address": "team@agency.example"}),
        "webhook_out": ({"signing_secret": "sign-secret"}, {"url": "https://hooks.example/x"}),
    }
    for provider, (secrets, config) in stored.items():
        connections.connect(workspace=workspace, provider=provider, secrets=secrets, config=config)
    for provider, event in (("calendly", "invitee.created"), ("ghl", "AppointmentCreate")):
        inbox.record_failed_delivery(
            provider=provider,
            workspace=workspace,
            body=json.dumps({"event": event}).encode(),
            headers={},
            error="KeyError",
            event=event,
            dedupe_key=f"{provider}-1",
        )
    ReconcileState.objects.create(
        workspace=workspace, provider="ghl", last_run_at=timezone.now(), last_error="GHL said 503"
    )


def _tables(sql: str) -> set[str]:
    return set(re.findall(r'FROM "(\w+)"', sql))


def test_the_tab_reads_each_connection_delivery_and_sync_once(
    admin, workspace, everything_connected
):
    with CaptureQueriesContext(connection) as queries:
        response = admin.get(reverse("integrations_tab", args=[workspace.public_id]))
    assert response.status_code == 200
    reads = [_tables(q["sql"]) for q in queries.captured_queries]
    assert sum("integrations_connection" in t for t in reads) == 1
    assert sum("integrations_reconcilestate" in t for t in reads) == 1
    assert sum("calendly_subscription" in t for t in reads) == 1
    # The cards' last deliveries in one, the table and its bodies in two more.
    assert sum("integrations_webhookdelivery" in t for t in reads) == 3
    assert len(queries.captured_queries) <= STATEMENTS


def test_each_card_still_shows_its_own_last_delivery_and_sync(
    admin, workspace, everything_connected
):
    response = admin.get(reverse("integrations_tab", args=[workspace.public_id]))
    cards = {card.spec.name: card.html for card in response.context["cards"]}
    assert "invitee.created" in cards["calendly"] and "AppointmentCreate" not in cards["calendly"]
    assert "AppointmentCreate" in cards["ghl"] and "invitee.created" not in cards["ghl"]
    assert "GHL said 503" in cards["ghl"] and "GHL said 503" not in cards["calendly"]
    assert "not run yet" in cards["calendly"]
    # The four this test connected (a test-only provider another test imported may be listed).
    connected = {card.spec.name for card in response.context["cards"] if card.is_connected}
    assert {"calendly", "ghl", "email", "webhook_out"} <= connected
