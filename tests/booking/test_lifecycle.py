import datetime as dt
import threading

import pytest
from django.db import connection, transaction

from booking import lifecycle
from booking.models import Appointment
from integrations.providers import BookingRef
from tests.factories import LeadFactory
from workspaces.models import Lead

START = dt.datetime(2030, 12, 1, 15, 0, tzinfo=dt.UTC)
END = START + dt.timedelta(minutes=30)
LATER = START + dt.timedelta(days=1)

pytestmark = pytest.mark.django_db


def ref(external_id="inv-1", provider="calendly"):
    return BookingRef(provider=provider, external_id=external_id, secondary_id=f"evt-{external_id}")


def book(lead, external_id="inv-1", start=START, source="webhook"):
    return lifecycle.record_booked(
        workspace=lead.workspace,
        lead=lead,
        ref=ref(external_id),
        start=start,
        end=start + dt.timedelta(minutes=30),
        source=source,
    )


def cancel(lead, external_id="inv-1", **kwargs):
    return lifecycle.record_canceled(
        workspace=lead.workspace, lead=lead, ref=ref(external_id), source="webhook", **kwargs
    )


def test_booking_marks_lead_booked_with_its_slot(lead):
    appointment = book(lead)
    lead.refresh_from_db()
    assert appointment.status == "booked"
    assert lead.status == Lead.Status.MEETING_BOOKED
    assert lead.booked_slot == START


def test_same_booking_twice_is_one_appointment(lead):
    book(lead)
    book(lead)
    assert Appointment.objects.filter(lead=lead).count() == 1


def test_cancel_moves_lead_back_to_qualified_and_clears_slot(lead):
    book(lead)
    appointment = cancel(lead, reason="Something came up")
    lead.refresh_from_db()
    assert appointment.status == "canceled"
    assert appointment.cancel_reason == "Something came up"
    assert lead.status == Lead.Status.QUALIFIED
    assert lead.booked_slot is None


def test_cancel_before_create_ends_canceled(lead):
    cancel(lead, start=START, end=END)
    late_booking = book(lead)
    lead.refresh_from_db()
    assert late_booking.status == "canceled"
    assert Appointment.objects.filter(lead=lead).count() == 1
    assert lead.booked_slot is None
    assert lead.status != Lead.Status.MEETING_BOOKED


def test_cancel_of_one_meeting_keeps_lead_booked_for_the_other(lead):
    book(lead, "inv-1", START)
    book(lead, "inv-2", LATER)
    cancel(lead, "inv-1")
    lead.refresh_from_db()
    assert lead.status == Lead.Status.MEETING_BOOKED
    assert lead.booked_slot == LATER


def reschedule(lead, new_start=None):
    return lifecycle.record_rescheduled(
        workspace=lead.workspace,
        lead=lead,
        old_ref=ref("inv-1"),
        new_ref=ref("inv-2"),
        new_start=new_start,
        new_end=new_start and new_start + dt.timedelta(minutes=30),
        source="webhook",
    )


def test_reschedule_cancel_half_first_then_new_booking(lead):
    book(lead)
    reschedule(lead)  # invitee.canceled with rescheduled=true: new times not known yet
    lead.refresh_from_db()
    assert lead.status == Lead.Status.MEETING_BOOKED
    reschedule(lead, new_start=LATER)  # invitee.created with old_invitee
    old = Appointment.objects.get(external_id="inv-1")
    lead.refresh_from_db()
    assert old.status == "rescheduled"
    assert old.rescheduled_to.external_id == "inv-2"
    assert old.rescheduled_to.start_at == LATER
    assert lead.status == Lead.Status.MEETING_BOOKED
    assert lead.booked_slot == LATER


def test_reschedule_new_booking_first_then_cancel_half(lead):
    book(lead)
    reschedule(lead, new_start=LATER)
    reschedule(lead)
    old = Appointment.objects.get(external_id="inv-1")
    lead.refresh_from_db()
    assert old.status == "rescheduled"
    assert old.rescheduled_to.start_at == LATER
    assert Appointment.objects.filter(lead=lead, status="booked").count() == 1
    assert lead.booked_slot == LATER


def test_late_plain_cancel_of_rescheduled_booking_changes_nothing(lead):
    book(lead)
    reschedule(lead, new_start=LATER)
    cancel(lead, "inv-1")
    lead.refresh_from_db()
    assert Appointment.objects.get(external_id="inv-1").status == "rescheduled"
    assert lead.status == Lead.Status.MEETING_BOOKED


def test_move_in_place_changes_the_time_of_the_same_row(lead):
    appointment = book(lead, "ghl-1")
    lifecycle.record_rescheduled(
        workspace=lead.workspace,
        lead=lead,
        old_ref=ref("ghl-1"),
        new_ref=ref("ghl-1"),
        new_start=LATER,
        source="webhook",
    )
    appointment.refresh_from_db()
    lead.refresh_from_db()
    assert appointment.start_at == LATER
    assert appointment.status == "booked"
    assert lead.booked_slot == LATER


def test_no_show_then_cleared(lead):
    book(lead)
    lifecycle.record_no_show(workspace=lead.workspace, lead=lead, ref=ref(), source="webhook")
    lead.refresh_from_db()
    assert lead.status == Lead.Status.NO_SHOW
    assert Appointment.objects.get().status == "no_show"
    lifecycle.record_no_show_cleared(
        workspace=lead.workspace, lead=lead, ref=ref(), source="webhook"
    )
    lead.refresh_from_db()
    assert Appointment.objects.get().status == "booked"  # the meeting is still ahead
    assert lead.status == Lead.Status.MEETING_BOOKED


def test_completed(lead):
    book(lead)
    lifecycle.record_completed(workspace=lead.workspace, lead=lead, ref=ref(), source="webhook")
    lead.refresh_from_db()
    assert Appointment.objects.get().status == "completed"
    assert lead.status == Lead.Status.COMPLETED


def test_opted_out_stays_opted_out_through_every_event(lead):
    lead.status = Lead.Status.OPTED_OUT
    lead.save()
    book(lead)
    lifecycle.record_no_show(workspace=lead.workspace, lead=lead, ref=ref(), source="webhook")
    lead.refresh_from_db()
    assert lead.status == Lead.Status.OPTED_OUT


def test_same_ids_in_another_workspace_are_another_appointment(lead):
    other = LeadFactory()
    book(lead)
    book(other)
    assert Appointment.objects.filter(external_id="inv-1").count() == 2
    assert Appointment.objects.get(workspace=other.workspace).lead == other


def test_rolled_back_booking_leaves_nothing(lead):
    with pytest.raises(RuntimeError), transaction.atomic():
        book(lead)
        raise RuntimeError("the caller failed after booking")
    lead.refresh_from_db()
    assert not Appointment.objects.exists()
    assert lead.status == Lead.Status.QUALIFIED


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_bookings_of_the_same_ids_make_one_appointment():
    lead = LeadFactory()
    barrier = threading.Barrier(20)
    errors = []

    def worker():
        try:
            barrier.wait()
            book(lead)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Appointment.objects.filter(lead=lead).count() == 1
    lead.refresh_from_db()
    assert lead.status == Lead.Status.MEETING_BOOKED
