"""GHL events are applied in the order they happened (the payload's own time), also when an
old one is sent again after its delivery was pruned; and a GHL error while reading the contact
is a retry, never a lead made of nothing."""

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx
from django.conf import settings as django_settings
from django.test import Client

from booking.matching import remember_identity
from booking.models import Appointment
from integrations import inbox, processing
from integrations.models import Connection, WebhookDelivery
from tests.factories import LeadFactory
from tests.support.webhooks import GHL
from workspaces.models import Lead, LeadIdentity

pytestmark = pytest.mark.django_db
FIXTURE = "tests/fixtures/ghl/appointment_webhook.json"
CONTACT = "contact-order-1"


@pytest.fixture
def door(workspace, settings):
    return GHL.open(workspace=workspace, settings=settings)


def update(door, n, *, start, updated, type="AppointmentUpdate", contact=CONTACT):
    with open(FIXTURE) as fixture:
        body = json.load(fixture)
    body.update(type=type, locationId="loc-abuse", webhookId=f"wh-{n}")
    body["timestamp"] = (updated + timedelta(seconds=2)).isoformat()
    body["appointment"].update(
        calendarId="cal-abuse",
        contactId=contact,
        startTime=start.isoformat(),
        endTime=(start + timedelta(minutes=30)).isoformat(),
        dateUpdated=updated.isoformat(),
    )
    return json.dumps(body).encode()


def deliver(door, body, capture):
    signer = door.signers[1]  # HighLevel's Ed25519 signature: the marketplace door
    with capture(execute=True):
        response = Client().post(
            door.url, data=body, content_type="application/json", headers=signer(body)
        )
    assert response.status_code == 200
    return response


def at(hour, minute=0):
    return datetime(2026, 12, 1, hour, minute, tzinfo=UTC)


def test_a_late_older_update_never_moves_the_appointment_back(
    door, django_capture_on_commit_callbacks
):
    remember_identity(lead=door.lead, provider="ghl", external_id=CONTACT)
    capture = django_capture_on_commit_callbacks
    booked = update(door, 1, start=at(10), updated=at(10), type="AppointmentCreate")
    moved = update(door, 2, start=at(14), updated=at(10, 20))
    late = update(door, 3, start=at(11), updated=at(10, 10))

    for body in (booked, moved, late):
        deliver(door, body, capture)
    appointment = Appointment.objects.get(provider="ghl")
    assert appointment.start_at == at(14)
    assert WebhookDelivery.objects.get(body=late).state == "ignored"

    # Pruned, then sent again: the dedupe row is gone, the applied time is not.
    inbox.prune_deliveries(older_than=timedelta(0), now=datetime.now(UTC) + timedelta(seconds=1))
    assert not WebhookDelivery.objects.exists()
    deliver(door, late, capture)
    appointment.refresh_from_db()
    assert appointment.start_at == at(14)


def test_a_newer_update_still_moves_it(door, django_capture_on_commit_callbacks):
    remember_identity(lead=door.lead, provider="ghl", external_id=CONTACT)
    capture = django_capture_on_commit_callbacks
    deliver(door, update(door, 1, start=at(10), updated=at(10), type="AppointmentCreate"), capture)
    deliver(door, update(door, 2, start=at(15), updated=at(10, 30)), capture)

    assert Appointment.objects.get(provider="ghl").start_at == at(15)


def contact_lookup(status, **headers):
    mock = respx.mock(base_url=django_settings.GHL_API_BASE, assert_all_called=True)
    body = {"statusCode": status, "message": "slow down" if status == 429 else "Invalid JWT"}
    mock.get(f"/contacts/{CONTACT}").mock(
        return_value=httpx.Response(status, json=body, headers=headers)
    )
    return mock


def test_a_rate_limited_contact_lookup_is_retried_and_never_makes_a_blank_lead(
    door, django_capture_on_commit_callbacks
):
    existing = LeadFactory(workspace=door.workspace, email="jordan.lee@example.com")
    leads = Lead.objects.count()
    body = update(door, 1, start=at(10), updated=at(10), type="AppointmentCreate")

    with contact_lookup(429, **{"Retry-After": "60"}):
        deliver(door, body, django_capture_on_commit_callbacks)
        delivery = WebhookDelivery.objects.get(body=body)
        assert (delivery.state, delivery.attempts) == ("received", 1)
        assert delivery.retry_at >= datetime.now(UTC) + timedelta(seconds=59)
        while processing.process(delivery.pk).state == "received":
            pass

    delivery.refresh_from_db()
    assert delivery.state == "failed" and delivery.attempts == processing.MAX_ATTEMPTS
    assert "Gave up after" in delivery.last_error
    assert Lead.objects.count() == leads and not Appointment.objects.exists()
    assert not LeadIdentity.objects.filter(external_id=CONTACT).exists()
    assert existing.identities.count() == 0
    assert delivery.is_replayable


def test_an_unauthorised_contact_lookup_marks_the_connection_needs_reauth(
    door, django_capture_on_commit_callbacks
):
    body = update(door, 1, start=at(10), updated=at(10), type="AppointmentCreate")

    with contact_lookup(401):
        deliver(door, body, django_capture_on_commit_callbacks)

    delivery = WebhookDelivery.objects.get(body=body)
    assert delivery.state == "failed" and delivery.is_replayable
    connection = Connection.objects.get(workspace=door.workspace, provider="ghl")
    assert connection.status == Connection.Status.NEEDS_REAUTH
    assert not LeadIdentity.objects.filter(external_id=CONTACT).exists()
