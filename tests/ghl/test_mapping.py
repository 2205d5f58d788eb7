"""Each GHL appointment status and message, applied to our appointments and leads."""

import datetime as dt

import pytest

from booking.matching import remember_identity
from booking.models import Appointment, InboundMessage
from ghl.mapping import map_marketplace_event, map_workflow_event
from ghl.payloads import parse_marketplace_event, parse_workflow_event
from tests.factories import LeadFactory
from tests.ghl.conftest import APPOINTMENT, CONTACT
from tests.ghl.helpers import load_fixture
from workspaces.models import Lead, LeadIdentity, Workspace

pytestmark = pytest.mark.django_db

TEN_AM = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def known_lead(workspace):
    lead = LeadFactory(workspace=workspace, email="jordan.lee@example.com")
    remember_identity(lead=lead, provider="ghl", external_id=CONTACT)
    return lead


def appointment_event(type="AppointmentUpdate", **changes):
    body = load_fixture("appointment_webhook.json")
    body["type"] = type
    body["appointment"].update(changes)
    return parse_marketplace_event(body)


def apply(workspace, event):
    return map_marketplace_event(workspace=workspace, event=event)


def appointment():
    return Appointment.objects.get(provider="ghl", external_id=APPOINTMENT)


def test_appointment_created_books_the_lead(connected, workspace, known_lead):
    assert apply(workspace, appointment_event("AppointmentCreate")) == "processed"
    known_lead.refresh_from_db()
    assert appointment().status == "booked" and appointment().source == "webhook"
    assert appointment().start_at == TEN_AM
    assert known_lead.status == Lead.Status.MEETING_BOOKED


@pytest.mark.parametrize("status", ["cancelled", "invalid"])
def test_cancelled_or_invalid_cancels(connected, workspace, known_lead, status):
    apply(workspace, appointment_event("AppointmentCreate"))
    apply(workspace, appointment_event(appointmentStatus=status))
    known_lead.refresh_from_db()
    assert appointment().status == "canceled"
    assert known_lead.status == Lead.Status.QUALIFIED


def test_deleted_cancels(connected, workspace, known_lead):
    apply(workspace, appointment_event("AppointmentCreate"))
    apply(workspace, appointment_event("AppointmentDelete"))
    assert appointment().status == "canceled"
    assert "Deleted" in appointment().cancel_reason


def test_showed_completes(connected, workspace, known_lead):
    apply(workspace, appointment_event("AppointmentCreate"))
    apply(workspace, appointment_event(appointmentStatus="showed"))
    known_lead.refresh_from_db()
    assert appointment().status == "completed"
    assert known_lead.status == Lead.Status.COMPLETED


def test_showed_for_an_appointment_we_never_heard_of_is_booked_then_completed(
    connected, workspace, known_lead
):
    apply(workspace, appointment_event(appointmentStatus="showed"))
    assert appointment().status == "completed"


def test_noshow_marks_no_show_and_confirmed_again_clears_it(connected, workspace, known_lead):
    apply(workspace, appointment_event("AppointmentCreate"))
    apply(workspace, appointment_event(appointmentStatus="noshow"))
    known_lead.refresh_from_db()
    assert appointment().status == "no_show"
    assert known_lead.status == Lead.Status.NO_SHOW

    apply(workspace, appointment_event(appointmentStatus="confirmed"))
    assert appointment().status in {"booked", "completed"}


def test_a_new_start_time_is_a_reschedule_in_place(connected, workspace, known_lead):
    apply(workspace, appointment_event("AppointmentCreate"))
    apply(
        workspace,
        appointment_event(
            startTime="2026-12-02T09:00:00-05:00", endTime="2026-12-02T09:30:00-05:00"
        ),
    )
    known_lead.refresh_from_db()
    moved = appointment()
    assert moved.status == "booked"
    assert moved.start_at == dt.datetime(2026, 12, 2, 14, 0, tzinfo=dt.UTC)
    assert known_lead.booked_slot == moved.start_at
    assert Appointment.objects.count() == 1


def test_the_same_event_twice_is_one_appointment(connected, workspace, known_lead):
    apply(workspace, appointment_event("AppointmentCreate"))
    apply(workspace, appointment_event("AppointmentCreate"))
    assert Appointment.objects.count() == 1


def test_another_location_is_ignored(connected, workspace, known_lead):
    event = load_fixture("appointment_webhook.json")
    event["locationId"] = "someone-else"
    assert apply(workspace, parse_marketplace_event(event)) == "ignored"
    assert not Appointment.objects.exists()


def test_another_calendar_of_the_location_is_ignored(connected, workspace, known_lead):
    assert apply(workspace, appointment_event(calendarId="other-calendar")) == "ignored"


def test_an_unhandled_event_type_is_ignored(connected, workspace):
    event = parse_marketplace_event(
        {"type": "ContactTagUpdate", "locationId": "x", "webhookId": "w"}
    )
    assert apply(workspace, event) == "ignored"


def test_an_unknown_contact_is_looked_up_at_ghl_and_becomes_a_lead(connected, workspace, api):
    api.get(f"/contacts/{CONTACT}").respond(json=load_fixture("contact_duplicate_response.json"))
    assert apply(workspace, appointment_event("AppointmentCreate")) == "processed"
    lead = appointment().lead
    assert lead.email == "jordan.lee@example.com" and lead.source == "ghl"
    assert LeadIdentity.objects.filter(lead=lead, external_id=CONTACT).exists()


def test_an_unknown_contact_stays_unmatched_when_the_workspace_says_so(connected, workspace, api):
    workspace.unmatched_bookings = Workspace.UnmatchedPolicy.KEEP_UNMATCHED
    workspace.save()
    api.get(f"/contacts/{CONTACT}").respond(json=load_fixture("contact_duplicate_response.json"))
    assert apply(workspace, appointment_event("AppointmentCreate")) == "unmatched"
    assert not Lead.objects.exists()


def test_inbound_message_creates_the_lead_and_stores_the_reply(connected, workspace, api):
    api.get(f"/contacts/{CONTACT}").respond(json=load_fixture("contact_duplicate_response.json"))
    event = parse_marketplace_event(load_fixture("inbound_message_webhook.json"))

    assert apply(workspace, event) == "processed"

    message = InboundMessage.objects.get()
    assert message.body == "Tuesday at 10 works for me"
    assert message.channel == "sms" and message.provider == "ghl"
    assert message.provider_message_id == "hT4vKp9Qz2LmNc8R1sXa"
    assert message.lead.email == "jordan.lee@example.com"


def test_the_same_inbound_message_twice_is_stored_once(connected, workspace, known_lead):
    event = parse_marketplace_event(load_fixture("inbound_message_webhook.json"))
    apply(workspace, event)
    apply(workspace, event)
    assert InboundMessage.objects.count() == 1


def test_an_outbound_message_is_ignored(connected, workspace, known_lead):
    body = load_fixture("inbound_message_webhook.json")
    body["direction"] = "outbound"
    assert apply(workspace, parse_marketplace_event(body)) == "ignored"


def test_workflow_appointment_books_by_email_when_the_contact_is_new_to_us(connected, workspace):
    lead = LeadFactory(workspace=workspace, email="jordan.lee@example.com")
    event = parse_workflow_event(load_fixture("workflow_appointment_webhook.json"))
    assert map_workflow_event(workspace=workspace, event=event) == "processed"
    assert appointment().lead == lead
    assert LeadIdentity.objects.filter(lead=lead, external_id=CONTACT).exists()


def test_workflow_message_creates_a_lead_from_the_mapped_fields(connected, workspace):
    event = parse_workflow_event(load_fixture("workflow_inbound_message_webhook.json"))
    assert map_workflow_event(workspace=workspace, event=event) == "processed"
    lead = InboundMessage.objects.get().lead
    assert (lead.first_name, lead.phone) == ("Jordan", "+15555550123")


def test_events_for_a_workspace_without_a_connection_are_ignored(workspace):
    event = parse_marketplace_event(load_fixture("appointment_webhook.json"))
    assert apply(workspace, event) == "ignored"
