"""The race the Scheduling API brings: Calendly's ``invitee.created`` for a booking we made
ourselves may be processed before our own ``record_booked`` commits. It must end as one
appointment, source ``auto_book``, with the lead's confirmation queued by our path."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from booking.lifecycle import record_booked
from booking.models import Appointment, BookingAttempt, InboundMessage
from booking.offers import Candidate, lead_zone, store_offer
from booking.tasks import auto_book
from calendly import connection
from followups.models import OutboundMessage
from integrations import processing
from integrations.models import WebhookDelivery
from integrations.providers import BookingRef
from tests.calendly.fixtures import FIXTURE_SIGNING_KEY
from tests.calendly.helpers import fixture_bytes, load_fixture, signed_headers
from tests.factories import LeadFactory

START = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)  # the fixtures' meeting


def offer_of(lead, *starts):
    candidates = [Candidate(start=s, end=s + timedelta(minutes=30)) for s in starts]
    return store_offer(lead=lead, candidates=candidates, zone=lead_zone(lead))


@pytest.mark.django_db
def test_our_own_booking_in_flight_holds_its_webhook_until_our_write_is_in(
    client, workspace, calendly_stored, on_commit
):
    lead = LeadFactory(workspace=workspace, email="someone.else@example.com")
    slot = offer_of(lead, START).slots.get()
    attempt = BookingAttempt.objects.create(
        workspace=workspace,
        lead=lead,
        slot=slot,
        source="auto_book",
        provider="calendly",
        idempotency_key="race-1",
    )
    data = load_fixture("invitee_created.json")
    data["payload"]["tracking"]["utm_content"] = str(lead.pk)
    body = json.dumps(data).encode()
    url = f"/webhooks/calendly/{workspace.public_id}/"

    with on_commit():
        answer = client.post(
            url,
            data=body,
            content_type="application/json",
            headers=signed_headers(body, FIXTURE_SIGNING_KEY),
        )
    held = WebhookDelivery.objects.get()
    assert answer.status_code == 200  # stored: Calendly is not asked to send it again
    assert held.state == "received" and "still being recorded" in held.last_error
    assert not Appointment.objects.exists()

    # Our path records it (as autobook does once book() returns), then the retry comes.
    payload = data["payload"]
    record_booked(
        workspace=workspace,
        lead=lead,
        ref=BookingRef("calendly", payload["uri"], payload["event"]),
        start=START,
        end=START + timedelta(minutes=30),
        source="auto_book",
        confirm_channel="email",
    )
    BookingAttempt.objects.filter(pk=attempt.pk).update(state="booked")
    processing.process(held.pk)

    appointment = Appointment.objects.get()
    held.refresh_from_db()
    assert held.state == "processed"
    assert (appointment.lead, appointment.source) == (lead, "auto_book")
    assert OutboundMessage.objects.filter(
        lead=lead, dedupe_key=f"confirm:appointment:{appointment.pk}"
    ).exists()


@pytest.mark.django_db
def test_a_booking_at_another_time_is_not_held_by_an_attempt(
    client, workspace, calendly_stored, on_commit
):
    lead = LeadFactory(workspace=workspace, email="jordan.lee@example.com")
    slot = offer_of(lead, START + timedelta(days=1)).slots.get()
    BookingAttempt.objects.create(
        workspace=workspace,
        lead=lead,
        slot=slot,
        source="auto_book",
        provider="calendly",
        idempotency_key="race-2",
    )
    body = fixture_bytes("invitee_created.json")

    with on_commit():
        client.post(
            f"/webhooks/calendly/{workspace.public_id}/",
            data=body,
            content_type="application/json",
            headers=signed_headers(body, FIXTURE_SIGNING_KEY),
        )

    assert WebhookDelivery.objects.get().state == "processed"
    assert Appointment.objects.get().source == "webhook"


@pytest.mark.django_db(transaction=True)
def test_auto_book_when_the_webhook_overtakes_the_api_answer(
    settings, live_server, workspace, calendly_sandbox
):
    """Live: a reply is auto-booked through POST /invitees; the sandbox delivers the signed
    webhook to our running server before it answers the booking call."""
    settings.PUBLIC_BASE_URL = live_server.url
    connection.api_connect(
        workspace=workspace,
        data={
            "access_token": calendly_sandbox.token,
            "event_type": calendly_sandbox.event_type_uri(),
        },
    )
    workspace.booking_provider, workspace.auto_book_enabled = "calendly", True
    workspace.save()
    start = (timezone.now() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    calendly_sandbox.config(availability=[start.isoformat()], sync_deliveries=True)
    lead = LeadFactory(workspace=workspace, email="jordan.lee@example.com", phone="+13125550142")
    offer_of(lead, start)
    message = InboundMessage.objects.create(
        workspace=workspace,
        lead=lead,
        channel="sms",
        body="Option 1 works for me",
        received_at=timezone.now(),
    )

    outcome = auto_book(message.pk)

    delivery = WebhookDelivery.objects.get(event="invitee.created")
    assert outcome == "booked"
    assert delivery.state == "received"  # it came first and waited for our write
    assert "still being recorded" in delivery.last_error
    assert [d["status"] for d in calendly_sandbox.state()["deliveries"]] == [200]
    processing.process(delivery.pk)  # the retry (or the sweep)
    delivery.refresh_from_db()
    appointment = Appointment.objects.get()
    assert delivery.state == "processed"
    assert (appointment.source, appointment.start_at) == ("auto_book", start)
    assert BookingAttempt.objects.get().state == "booked"
    assert OutboundMessage.objects.filter(
        lead=lead, dedupe_key=f"confirm:appointment:{appointment.pk}"
    ).exists()
    assert len(calendly_sandbox.state()["invitees"]) == 1
