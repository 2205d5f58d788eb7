"""A booking whose own webhook raced it ends recorded once, with no manual step: `make demo`'s
processes (web server, embedded worker with beat, Calendly sandbox), with the sandbox sending
each webhook *before* it answers the booking call, so the delivery reaches the web server while
the worker has not recorded the booking yet. The delivery waits and is retried by the worker; the
booking is recorded by the attempt; nothing is left pending, doubled or for a setter to fix.

On the embedded default's SQLite (where this once left the attempt pending for good, "database is
locked") and on PostgreSQL."""

from __future__ import annotations

import os
import uuid

import psycopg
import pytest

from tests.embedded.stack import DemoStack

pytestmark = pytest.mark.e2e

SETTLED = """
from booking.models import Appointment, BookingAttempt
from followups.models import Task
from integrations.models import WebhookDelivery
from workspaces.models import Lead
lead = Lead.objects.get(email="{email}")
result = {{
    "appointments": [[a.status, a.source] for a in Appointment.objects.filter(lead=lead)],
    "attempts": list(BookingAttempt.objects.filter(lead=lead).values_list("state", flat=True)),
    "deliveries": sorted(WebhookDelivery.objects.filter(provider="calendly")
                         .values_list("event", "state")),
    "overtook": WebhookDelivery.objects.filter(
        provider="calendly", event="invitee.created",
        received_at__lt=BookingAttempt.objects.filter(lead=lead).values("updated_at")[:1],
    ).exists(),
    "open_tasks": list(Task.objects.filter(lead=lead, state="open").values_list("title",
                                                                             flat=True)),
    "lead_status": lead.status,
}}
"""


@pytest.fixture
def postgres_url():
    """A database of its own on the suite's PostgreSQL server, for `make demo` to migrate."""
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/setterdesk")
    server, _, name = base.rpartition("/")
    name = f"{name}_demo_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield f"{server}/{name}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def demo(request, tmp_path):
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else ""
    with DemoStack(tmp_path, database_url=url) as stack:
        yield stack


def test_a_booking_whose_webhook_overtook_it_is_recorded_once_without_a_hand(demo):
    demo.connect_calendly()
    workspace = f"/api/admin/workspaces/{demo.workspace_id}"
    answer = demo.api(
        "PATCH", workspace, {"booking_provider": "calendly", "auto_book_enabled": True}
    )
    assert answer.status_code == 200, answer.text
    demo.sandbox("config", sync_deliveries=True)  # every webhook overtakes the API's answer

    api = f"/api/workspaces/{demo.workspace_id}"
    email = "riley.race@example.com"
    lead = demo.api("POST", f"{api}/leads", {"email": email, "first_name": "Riley"}).json()
    offer = demo.api("POST", f"{api}/leads/{lead['id']}/offers", {"count": 3})
    assert offer.status_code == 201, offer.text
    said = demo.api(
        "POST",
        f"{api}/leads/{lead['id']}/messages",
        {"channel": "sms", "body": "Option 2 works for me", "provider_message_id": "race-1"},
    )
    assert said.status_code == 201, said.text

    last = {}

    def settled():
        held = demo.query(SETTLED.format(email=email))
        last.update(held)  # what a timeout reports: where it stopped
        done = held["attempts"] == ["booked"] and held["deliveries"] == [
            ["invitee.created", "processed"]
        ]
        return held if done else None

    held = demo.wait_for(settled, timeout=240, every=3, state=last)
    assert held["appointments"] == [["booked", "auto_book"]]
    assert held["open_tasks"] == [] and held["lead_status"] == "meeting_booked"
    # The race happened: the webhook was stored before the attempt recorded the booking.
    assert held["overtook"] is True
    invitees = [i for i in demo.sandbox_state()["invitees"] if i["email"] == email]
    assert len(invitees) == 1  # booked once at Calendly too
