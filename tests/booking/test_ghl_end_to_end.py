"""The GoHighLevel path end to end: a lead's SMS reply arrives by GHL webhook and ends as a
meeting booked at GHL, followed up, confirmed through GHL, and GHL's own webhook for that
appointment then changes nothing.

Everything real but GHL itself: our webhook endpoint and inbox, the reply reader and the gates,
``GhlProvider`` and its client against the stateful fake of GHL's API (respx), the lifecycle and
the follow-up engine, the GHL message channel. Each after-commit step (processing a delivery,
``auto_book``, sending a message) runs as the request ends (Celery is eager in the suite).

Both doors GHL may use to call us are covered: HighLevel's signed marketplace webhooks and an
agency's workflow custom webhook carrying the workspace's secret.
"""

import datetime as dt
import uuid

import pytest

from booking.models import Appointment, BookingAttempt, InboundMessage
from booking.offers import offer_times, send_offer
from followups.models import Enrollment, OutboundMessage
from ghl import connection
from ghl.sandbox.records import LOCATION
from tests.factories import LeadFactory
from workspaces.models import Lead

from .conftest import OFFERED, TUE_11_EST
from .envs import MEETING
from .envs.ghl import Signer, connect, marketplace, point_at_fake, workflow
from .envs.webhooks import Endpoint, appointments_of

pytestmark = pytest.mark.django_db

ACCEPT_TUESDAY = "Option 2 works for me"  # Tue Dec 3, 10:00 AM CST
TUESDAY_AT_GHL = "2030-12-03T10:00:00-06:00"  # the slot string free-slots gave for the lead


class Marketplace:
    """HighLevel's marketplace webhooks, signed with Ed25519 (a key pair of the test's)."""

    def __init__(self, workspace, settings):
        self.workspace = workspace
        self.signer = Signer(settings)

    def reply(self, contact, body: str, *, message_id: str):
        return marketplace(
            self.workspace,
            self.signer,
            {
                "type": "InboundMessage",
                "locationId": LOCATION,
                "webhookId": str(uuid.uuid4()),
                "timestamp": _stamp(),
                "contactId": contact["id"],
                "conversationId": "tDtDnQdgm2LXpyiqYvZ6",
                "body": body,
                "contentType": "text/plain",
                "dateAdded": _stamp(),
                "direction": "inbound",
                "messageType": "SMS",
                "messageId": message_id,
            },
        )

    def appointment(self, notice: dict):
        return marketplace(self.workspace, self.signer, notice)


class Workflow:
    """An agency's workflow custom webhooks, with the secret shown once on the GHL card."""

    def __init__(self, workspace, api):
        self.workspace = workspace
        self.api = api
        self.secret = connection.new_workflow_secret(workspace=workspace)

    def reply(self, contact, body: str, *, message_id: str):
        return workflow(
            self.workspace,
            self.secret,
            {
                **_who(contact),
                "event": "inbound_message",
                "message_body": body,
                "message_type": "SMS",
                "message_id": message_id,
            },
        )

    def appointment(self, notice: dict):
        booked = notice["appointment"]
        return workflow(
            self.workspace,
            self.secret,
            {
                **_who(self.api.contacts[booked["contactId"]]),
                "location": {"id": LOCATION, "name": "Acme"},
                "customData": {
                    "event": "appointment",
                    "appointment_id": booked["id"],
                    "appointment_status": booked["appointmentStatus"],
                    "appointment_start": booked["startTime"],
                    "appointment_end": booked["endTime"],
                    "calendar_id": booked["calendarId"],
                },
            },
        )


def _who(contact) -> dict:
    return {
        "contact_id": contact["id"],
        "email": contact["email"],
        "phone": contact["phone"],
        "first_name": contact["firstName"],
        "last_name": contact["lastName"],
    }


def _stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@pytest.fixture
def ghl(settings, workspace, frozen_now):
    """GHL's API for the test, the workspace connected to it and booking through it."""
    api = point_at_fake(settings)
    try:
        connect(workspace)
        workspace.booking_provider, workspace.auto_book_enabled = "ghl", True
        workspace.save()
        yield api
    finally:
        api.stop()


@pytest.fixture
def lead(workspace):
    return LeadFactory(
        workspace=workspace,
        first_name="Jordan",
        last_name="Lee",
        email="jordan.lee@example.com",
        phone="+13125550142",
        timezone="America/Chicago",
    )


@pytest.fixture
def contact(ghl, lead):
    """The lead as GHL knows it: the contact it came from."""
    return ghl.add_contact(
        email=lead.email, phone=lead.phone, first_name=lead.first_name, last_name=lead.last_name
    )


@pytest.fixture(params=["marketplace", "workflow"])
def door(request, workspace, settings, ghl):
    if request.param == "marketplace":
        return Marketplace(workspace, settings)
    return Workflow(workspace, ghl)


@pytest.fixture
def endpoint(django_capture_on_commit_callbacks):
    return Endpoint(django_capture_on_commit_callbacks)


def test_a_reply_by_ghl_webhook_books_at_ghl_follows_up_and_ghls_own_webhook_changes_nothing(
    ghl, door, lead, contact, endpoint, frozen_now, django_capture_on_commit_callbacks
):
    for start in OFFERED:
        ghl.make_free(start)
    with django_capture_on_commit_callbacks(execute=True):
        offer = offer_times(lead=lead)
        send_offer(offer=offer, channel="sms")
    assert [(m["type"], m["message"]) for m in ghl.messages] == [("SMS", offer.text)]
    frozen_now.shift(dt.timedelta(minutes=7))  # the lead reads it and answers

    (delivery,) = endpoint.deliver("ghl", [door.reply(contact, ACCEPT_TUESDAY, message_id="m-1")])

    # The delivery was stored and processed; the reply stored and read; booked at GHL.
    assert delivery.state == "processed"
    message = InboundMessage.objects.get(lead=lead)
    assert (message.provider, message.channel, message.body) == ("ghl", "sms", ACCEPT_TUESDAY)
    assert message.autobook_outcome == "booked"
    (at_ghl,) = ghl.appointments_of(contact["id"])
    assert at_ghl["startTime"] == TUESDAY_AT_GHL and at_ghl["appointmentStatus"] == "confirmed"

    # Our side: one appointment from auto-book, the lead booked, the follow-ups in step.
    appointment = Appointment.objects.get(lead=lead)
    assert (appointment.provider, appointment.external_id) == ("ghl", at_ghl["id"])
    assert (appointment.source, appointment.status) == ("auto_book", "booked")
    assert (appointment.start_at, appointment.end_at) == (TUE_11_EST, TUE_11_EST + MEETING)
    assert BookingAttempt.objects.get(lead=lead).state == "booked"
    lead.refresh_from_db()
    assert (lead.status, lead.booked_slot) == (Lead.Status.MEETING_BOOKED, TUE_11_EST)
    reminders = Enrollment.objects.get(lead=lead, sequence__trigger="post_booking")
    assert (reminders.state, reminders.appointment_id) == ("active", appointment.pk)
    assert reminders.meeting_at == TUE_11_EST
    nudges = Enrollment.objects.get(lead=lead, sequence__trigger="no_response")
    assert (nudges.state, nudges.end_reason) == ("completed", "booked")

    # Confirmed on the channel the lead replied on, in its zone, and sent through GHL.
    confirmation = OutboundMessage.objects.get(
        lead=lead, dedupe_key=f"confirm:appointment:{appointment.pk}"
    )
    assert (confirmation.channel, confirmation.state) == ("sms", "sent")
    assert confirmation.body == "You're booked for Tue Dec 3, 10:00 AM CST."
    assert ghl.messages[-1] == {
        "type": "SMS",
        "contactId": contact["id"],
        "message": confirmation.body,
    }

    # Then GHL tells us of the appointment it made for us.
    recorded = appointments_of(lead.workspace)
    (notice,) = ghl.take_notices()
    (created,) = endpoint.deliver("ghl", [door.appointment(notice)])

    assert created.state == "processed"
    assert appointments_of(lead.workspace) == recorded  # still one, nothing changed
    assert OutboundMessage.objects.filter(lead=lead, body__startswith="You're booked").count() == 1
    assert Enrollment.objects.filter(lead=lead, sequence__trigger="post_booking").count() == 1
    assert len(ghl.messages) == 2  # the offer and the confirmation, nothing more


def test_a_repeated_reply_delivery_books_nothing_twice(
    ghl, door, lead, contact, endpoint, frozen_now
):
    for start in OFFERED:
        ghl.make_free(start)
    offer_times(lead=lead)
    frozen_now.shift(dt.timedelta(minutes=7))
    reply = door.reply(contact, ACCEPT_TUESDAY, message_id="m-1")

    endpoint.deliver("ghl", [reply])
    endpoint.deliver("ghl", [reply])  # GHL retried it (we were slow to answer)

    assert InboundMessage.objects.filter(lead=lead).count() == 1
    assert len(ghl.book_requests) == 1 and len(ghl.appointments_of(contact["id"])) == 1
    assert Appointment.objects.get(lead=lead).source == "auto_book"
