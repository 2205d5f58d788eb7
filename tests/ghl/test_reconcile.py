"""The reconcile sweep repairs missed webhooks, backs off on failures and always moves on."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from booking import lifecycle
from booking.matching import remember_identity
from booking.models import Appointment
from ghl import tasks
from integrations import reconcile
from integrations.models import ReconcileState
from integrations.providers import BookingRef
from tests.factories import AppointmentFactory, LeadFactory
from tests.ghl.conftest import APPOINTMENT, CALENDAR, CONTACT, ghl_error
from workspaces.models import Lead

pytestmark = pytest.mark.django_db
APPOINTMENTS = "/calendars/events/appointments"


@pytest.fixture
def known_lead(workspace):
    lead = LeadFactory(workspace=workspace, email="jordan.lee@example.com")
    remember_identity(lead=lead, provider="ghl", external_id=CONTACT)
    return lead


def event(id=APPOINTMENT, status="confirmed", days=3, contact=CONTACT):
    start = (timezone.now() + dt.timedelta(days=days)).replace(microsecond=0)
    return {
        "id": id,
        "calendarId": CALENDAR,
        "contactId": contact,
        "startTime": start.isoformat(),
        "endTime": (start + dt.timedelta(minutes=30)).isoformat(),
        "appointmentStatus": status,
    }


def state(workspace):
    return ReconcileState.objects.get(workspace=workspace, provider="ghl")


def test_a_booking_missed_by_webhooks_is_recorded_with_source_reconcile(
    api, connected, workspace, known_lead
):
    api.get("/calendars/events").respond(json={"events": [event()]})

    assert tasks.reconcile_all() == 1

    appointment = Appointment.objects.get(external_id=APPOINTMENT)
    assert appointment.source == "reconcile" and appointment.status == "booked"
    known_lead.refresh_from_db()
    assert known_lead.status == Lead.Status.MEETING_BOOKED


def test_a_cancellation_missed_by_webhooks_is_repaired(api, connected, workspace, known_lead):
    api.get("/calendars/events").respond(json={"events": [event(status="cancelled")]})
    lifecycle.record_booked(
        workspace=workspace,
        lead=known_lead,
        ref=BookingRef(provider="ghl", external_id=APPOINTMENT),
        start=timezone.now() + dt.timedelta(days=3),
        source="webhook",
    )
    tasks.reconcile_all()
    assert Appointment.objects.get(external_id=APPOINTMENT).status == "canceled"


def test_an_appointment_deleted_at_ghl_is_canceled(api, connected, workspace, known_lead):
    lifecycle.record_booked(
        workspace=workspace,
        lead=known_lead,
        ref=BookingRef(provider="ghl", external_id="gone-1"),
        start=timezone.now() + dt.timedelta(days=2),
        source="webhook",
    )
    api.get("/calendars/events").respond(json={"events": []})
    api.get("/calendars/events/appointments/gone-1").mock(
        return_value=ghl_error(404, "Appointment not found")
    )
    tasks.reconcile_all()
    assert Appointment.objects.get(external_id="gone-1").status == "canceled"


def test_cancellations_we_never_had_create_nothing(api, connected, workspace):
    api.get("/calendars/events").respond(json={"events": [event(status="cancelled")]})
    tasks.reconcile_all()
    assert not Appointment.objects.exists() and not Lead.objects.exists()


def test_a_failing_workspace_backs_off_and_still_advances_its_watermark(api, connected, workspace):
    route = api.get("/calendars/events").mock(return_value=ghl_error(500, "boom"))

    tasks.reconcile_all()
    first = state(workspace)
    assert first.consecutive_failures == 1 and first.last_error
    assert first.watermark is not None
    calls_after_first = route.call_count

    tasks.reconcile_all()  # the next beat, right away: still backing off
    assert route.call_count == calls_after_first

    with time_machine.travel(first.next_run_at + dt.timedelta(seconds=1)):  # its back-off is over
        tasks.reconcile_all()
    second = state(workspace)
    assert second.consecutive_failures == 2
    assert second.watermark > first.watermark
    assert second.next_run_at - second.last_run_at > first.next_run_at - first.last_run_at


def test_a_recovered_workspace_clears_its_back_off(api, connected, workspace, known_lead):
    ReconcileState.objects.create(
        workspace=workspace, provider="ghl", consecutive_failures=3, last_error="x"
    )
    api.get("/calendars/events").respond(json={"events": [event()]})
    tasks.reconcile_all()
    recovered = state(workspace)
    assert recovered.consecutive_failures == 0 and recovered.last_error == ""
    assert recovered.next_run_at is None


def test_one_bad_appointment_waits_its_turn_while_the_others_go_through(
    api, connected, workspace, known_lead
):
    # We hold "bad-1", which GHL stopped listing, and GHL can't answer when asked about it.
    AppointmentFactory(
        lead=known_lead, external_id="bad-1", start_at=timezone.now() + dt.timedelta(days=2)
    )
    other = LeadFactory(workspace=workspace)
    remember_identity(lead=other, provider="ghl", external_id="contact-2")
    api.get("/calendars/events").respond(json={"events": [event(id="good-1", contact="contact-2")]})
    bad = api.get(f"{APPOINTMENTS}/bad-1").mock(return_value=ghl_error(502, "Bad gateway"))

    tasks.reconcile_all()
    asked = bad.call_count
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=4)):  # the next beat
        assert tasks.reconcile_all() == 1  # the sweep runs; the bad one waits out its back-off

    assert Appointment.objects.filter(external_id="good-1").exists()
    assert asked > 0 and bad.call_count == asked
    assert state(workspace).item_failures["bad-1"]["failures"] == 1
    assert state(workspace).consecutive_failures == 0


def test_a_revoked_token_backs_off_and_marks_the_connection(
    api, connected, stored_connection, workspace
):
    api.get("/calendars/events").mock(return_value=ghl_error(401, "Invalid JWT"))
    tasks.reconcile_all()
    stored_connection.refresh_from_db()
    assert stored_connection.status == "needs_reauth"
    assert state(workspace).consecutive_failures == 1


def test_the_window_starts_at_the_watermark_but_never_too_far_back():
    now = timezone.now()

    def start(watermark):
        return reconcile.window_start(watermark, now, lookback=tasks.LOOKBACK)

    assert start(None) == now - tasks.LOOKBACK
    assert start(now - dt.timedelta(days=30)) == now - tasks.LOOKBACK
    recent = now - dt.timedelta(minutes=5)
    assert start(recent) == recent - reconcile.OVERLAP
