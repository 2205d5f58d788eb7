"""The engine's reactions to the booking lifecycle and to replies (DOMAIN.md's table), each driven
through booking.lifecycle or booking.inbound as production drives it, on a frozen clock."""

import datetime as dt

import pytest
from django.db import transaction

from booking.inbound import receive_message
from followups import hooks, services
from followups.models import Enrollment, OutboundMessage, SentStep, Task
from workspaces.models import Lead

from .conftest import (
    DAY,
    HOUR,
    MEETING,
    NOW,
    book,
    cancel,
    clear_no_show,
    enrollment,
    live_enrollments,
    messages_to,
    move,
    move_in_place,
    no_show,
    open_tasks,
    run_scheduler,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

REMINDER_24H = "Hi Jordan, a reminder of our call on {}. Reply here if you need to move it."
REMINDER_1H = "Hi Jordan, we're on in an hour: {}."
THU_9AM = "Thu Nov 28, 9:00 AM CST"  # MEETING in the lead's zone (Chicago)
NEW_MEETING = MEETING + 2 * DAY
SAT_9AM = "Sat Nov 30, 9:00 AM CST"


# --- no response, replies ---------------------------------------------------------------------


def test_a_lead_that_stays_quiet_gets_the_nudges_then_the_sequence_completes(lead, clock):
    services.start_no_response(lead=lead)
    clock.move_to(NOW + DAY)
    run_scheduler()
    clock.move_to(NOW + 3 * DAY)
    run_scheduler()

    assert messages_to(lead) == [
        "Hi Jordan, just checking in: do any of the times I sent work for you?",
        "Hi Jordan, still keen on a quick call? Reply with a time that suits you and I'll set "
        "it up.",
    ]
    assert enrollment(lead, "no_response").end_reason == Enrollment.EndReason.FINISHED


def test_a_reply_pauses_the_no_response_nudges(lead, clock):
    services.start_no_response(lead=lead)
    receive_message(lead=lead, channel="sms", body="Let me check my calendar", received_at=NOW)

    clock.move_to(NOW + 4 * DAY)
    run_scheduler()

    assert messages_to(lead) == []
    assert enrollment(lead, "no_response").state == Enrollment.State.PAUSED


def test_contacting_a_lead_twice_enrolls_it_once_and_a_paused_one_starts_over(lead, clock):
    first = services.start_no_response(lead=lead)
    again = services.start_no_response(lead=lead)
    assert [e.pk for e in again] == [e.pk for e in first]

    hooks.on_lead_replied(lead=lead, channel="sms")
    clock.move_to(NOW + 2 * DAY)
    (fresh,) = services.start_no_response(lead=lead)

    assert fresh.pk != first[0].pk and fresh.anchor_at == NOW + 2 * DAY
    assert [e.pk for e in live_enrollments(lead, "no_response")] == [fresh.pk]


# --- booked -----------------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["webhook", "auto_book", "manual", "reconcile"])
def test_a_booking_by_any_path_ends_the_nudges_and_starts_the_reminders(lead, source):
    services.start_no_response(lead=lead)

    appointment = book(lead, source=source)

    assert enrollment(lead, "no_response").state == Enrollment.State.COMPLETED
    assert enrollment(lead, "no_response").end_reason == Enrollment.EndReason.BOOKED
    (reminders,) = live_enrollments(lead, "post_booking")
    assert (reminders.anchor_at, reminders.appointment_id) == (MEETING, appointment.pk)
    assert reminders.next_due_at == MEETING - DAY


def test_reminders_go_out_24_hours_and_1_hour_before_the_meeting_in_the_leads_zone(lead, clock):
    book(lead)
    clock.move_to(MEETING - DAY)
    run_scheduler()
    clock.move_to(MEETING - HOUR)
    run_scheduler()
    clock.move_to(MEETING + DAY)
    run_scheduler()

    assert messages_to(lead) == [REMINDER_24H.format(THU_9AM), REMINDER_1H.format(THU_9AM)]
    assert enrollment(lead, "post_booking").state == Enrollment.State.COMPLETED


def test_a_booking_from_a_reply_is_confirmed_on_the_reply_channel(lead):
    book(lead, source="auto_book", confirm_channel="email")

    confirmation = OutboundMessage.objects.get(lead=lead)
    assert confirmation.body == f"You're booked for {THU_9AM}."
    assert (confirmation.channel, confirmation.state) == ("email", "queued")


def test_a_booking_nobody_replied_for_sends_no_confirmation(lead):
    book(lead, source="webhook")
    assert messages_to(lead) == []


def test_a_booking_found_only_by_reconcile_still_ends_the_rebook_sequence(lead):
    book(lead, "appt-1")
    cancel(lead, "appt-1")
    assert live_enrollments(lead, "rebook")

    book(lead, "appt-2", start=NEW_MEETING, source="reconcile")

    assert enrollment(lead, "rebook").end_reason == Enrollment.EndReason.BOOKED
    assert not live_enrollments(lead, "rebook")


def test_booking_again_after_a_no_show_ends_the_no_show_sequence(lead, clock):
    book(lead, "appt-1")
    clock.move_to(MEETING + HOUR)
    no_show(lead, "appt-1")

    book(lead, "appt-2", start=NEW_MEETING, source="manual")

    assert enrollment(lead, "no_show").end_reason == Enrollment.EndReason.BOOKED
    (reminders,) = live_enrollments(lead, "post_booking")
    assert reminders.anchor_at == NEW_MEETING


# --- rescheduled ------------------------------------------------------------------------------


def test_a_reschedule_after_the_24h_reminder_does_not_repeat_it_and_moves_the_1h_one(lead, clock):
    book(lead)
    clock.move_to(MEETING - DAY)
    run_scheduler()
    clock.move_to(MEETING - DAY + 2 * HOUR)

    move(lead, NEW_MEETING)

    for moment in (MEETING - HOUR, NEW_MEETING - DAY, NEW_MEETING - HOUR, NEW_MEETING + HOUR):
        clock.move_to(moment)
        run_scheduler()
    assert messages_to(lead) == [REMINDER_24H.format(THU_9AM), REMINDER_1H.format(SAT_9AM)]


def test_a_move_in_place_moves_the_reminders_to_the_new_time(lead, clock):
    book(lead)
    move_in_place(lead, NEW_MEETING)

    for moment in (MEETING - DAY, MEETING - HOUR, NEW_MEETING - DAY, NEW_MEETING - HOUR):
        clock.move_to(moment)
        run_scheduler()
    assert messages_to(lead) == [REMINDER_24H.format(SAT_9AM), REMINDER_1H.format(SAT_9AM)]


def test_a_move_to_a_near_time_skips_the_passed_reminder_and_never_sends_it_late(lead, clock):
    book(lead)
    soon = NOW + 3 * HOUR

    move(lead, soon)

    skipped = SentStep.objects.get(outcome=SentStep.Outcome.SKIPPED)
    assert skipped.step.delay_minutes == -24 * 60 and "had passed" in skipped.detail
    for moment in (NOW + HOUR, soon - HOUR, soon + DAY):
        clock.move_to(moment)
        run_scheduler()
    assert messages_to(lead) == [REMINDER_1H.format("Mon Nov 25, 12:00 PM CST")]


def test_a_moved_meeting_gets_back_a_reminder_that_was_skipped_for_being_too_close(lead, clock):
    book(lead, start=NOW + 3 * HOUR)  # too close for the 24h reminder: skipped
    move_in_place(lead, NEW_MEETING)

    clock.move_to(NEW_MEETING - DAY)
    run_scheduler()
    assert messages_to(lead) == [REMINDER_24H.format(SAT_9AM)]


@pytest.mark.parametrize("new_half_first", [True, False])
def test_the_two_halves_of_a_reschedule_in_either_order_move_the_reminders_once(
    lead, clock, new_half_first
):
    book(lead, "appt-1")
    clock.move_to(MEETING - DAY)
    run_scheduler()
    clock.move_to(MEETING - DAY + HOUR)

    if new_half_first:
        book(lead, "appt-2", start=NEW_MEETING)
        move(lead, NEW_MEETING)
    else:  # the cancel-with-reschedule half carried no times: the new booking comes later
        move(lead, None)
        book(lead, "appt-2", start=NEW_MEETING)

    assert len(live_enrollments(lead, "post_booking")) == 1
    for moment in (MEETING - HOUR, NEW_MEETING - DAY, NEW_MEETING - HOUR):
        clock.move_to(moment)
        run_scheduler()
    assert messages_to(lead) == [REMINDER_24H.format(THU_9AM), REMINDER_1H.format(SAT_9AM)]


def test_a_reschedule_opens_no_rebook_task(lead):
    book(lead)
    move(lead, NEW_MEETING)
    assert open_tasks(lead) == [] and not live_enrollments(lead, "rebook")


# --- canceled ---------------------------------------------------------------------------------


def test_a_cancel_stops_the_reminders_opens_a_rebook_task_and_starts_the_rebook_sequence(
    lead, clock
):
    book(lead)
    cancel(lead, reason="Something came up")

    (task,) = open_tasks(lead)
    assert task.kind == Task.Kind.REBOOK
    assert task.title == f"Meeting canceled — rebook {lead.display_name}"
    assert THU_9AM in task.detail and "Something came up" in task.detail
    assert enrollment(lead, "post_booking").end_reason == Enrollment.EndReason.CANCELED
    for moment in (NOW + HOUR, MEETING - DAY, MEETING - HOUR):
        clock.move_to(moment)
        run_scheduler()
    assert messages_to(lead) == [
        f"Hi Jordan, sorry the call on {THU_9AM} didn't work out. Reply with a time that suits "
        "you and I'll rebook it."
    ]


def test_canceling_one_of_two_meetings_keeps_the_other_and_asks_no_rebook(lead):
    book(lead, "appt-1")
    book(lead, "appt-2", start=NEW_MEETING)
    cancel(lead, "appt-1")
    assert open_tasks(lead) == [] and not live_enrollments(lead, "rebook")


# --- no-show ----------------------------------------------------------------------------------


def test_a_no_show_stops_the_reminders_opens_a_task_and_starts_the_no_show_sequence(lead, clock):
    book(lead)
    clock.move_to(MEETING + 10 * dt.timedelta(minutes=1))
    no_show(lead)

    (task,) = open_tasks(lead)
    assert task.kind == Task.Kind.NO_SHOW and THU_9AM in task.detail
    assert enrollment(lead, "post_booking").end_reason == Enrollment.EndReason.NO_SHOW
    clock.shift(dt.timedelta(minutes=15))
    run_scheduler()
    assert messages_to(lead) == [
        f"Hi Jordan, sorry we missed you at {THU_9AM}. Want to pick another time? Reply and "
        "I'll send a few options."
    ]
    clock.shift(DAY)
    run_scheduler()
    follow_up = Task.objects.get(lead=lead, enrollment__isnull=False)
    assert follow_up.kind == Task.Kind.NO_SHOW
    assert follow_up.title == f"Call {lead.first_name} {lead.last_name}: no reply since the no-show"


def test_clearing_a_no_show_before_the_meeting_resumes_its_reminders_without_repeats(lead, clock):
    book(lead)
    clock.move_to(MEETING - DAY)
    run_scheduler()
    clock.move_to(MEETING - 20 * HOUR)
    no_show(lead)  # a mistake, fixed five minutes later
    clock.shift(dt.timedelta(minutes=5))

    clear_no_show(lead)

    assert enrollment(lead, "no_show").end_reason == Enrollment.EndReason.NO_SHOW_CLEARED
    assert open_tasks(lead) == []
    assert Task.objects.get(lead=lead).resolution == "The no-show mark was removed."
    for moment in (MEETING - 19 * HOUR, MEETING - HOUR):
        clock.move_to(moment)
        run_scheduler()
    assert messages_to(lead) == [REMINDER_24H.format(THU_9AM), REMINDER_1H.format(THU_9AM)]


def test_clearing_a_no_show_after_the_meeting_resumes_nothing(lead, clock):
    book(lead)
    clock.move_to(MEETING + HOUR)
    no_show(lead)
    clear_no_show(lead)

    assert not live_enrollments(lead)
    clock.shift(DAY)
    run_scheduler()
    assert messages_to(lead) == []


def test_a_second_no_show_after_a_cleared_one_opens_a_new_task(lead, clock):
    book(lead)
    clock.move_to(MEETING - 20 * HOUR)
    no_show(lead)
    clear_no_show(lead)
    clock.move_to(MEETING + HOUR)
    no_show(lead)
    assert [t.kind for t in open_tasks(lead)] == ["no_show"]
    assert Task.objects.filter(lead=lead, kind="no_show").count() == 2


# --- opted out --------------------------------------------------------------------------------


def test_opting_out_stops_everything_and_nothing_is_ever_sent(lead, clock):
    appointment = book(lead, source="auto_book", confirm_channel="sms")
    services.open_task(lead=lead, kind="auto_book_blocked", title="Check this reply")
    mine = services.open_task(lead=lead, kind="manual", title="My own note")

    services.opt_out(lead=lead)

    lead.refresh_from_db()
    assert lead.status == Lead.Status.OPTED_OUT
    assert not live_enrollments(lead)
    assert OutboundMessage.objects.get(lead=lead).state == OutboundMessage.State.FAILED
    assert open_tasks(lead) == [Task.objects.get(pk=mine.pk)]
    clock.move_to(MEETING - DAY)
    run_scheduler()
    hooks.on_booked(appointment=appointment, source="manual", confirm_channel="sms")
    cancel(lead)
    no_show_later = services.queue_message(lead=lead, channel="sms", body="Still there?")
    assert no_show_later.state == OutboundMessage.State.FAILED
    assert not OutboundMessage.objects.filter(lead=lead).exclude(state="failed").exists()
    assert not live_enrollments(lead) and open_tasks(lead) == [Task.objects.get(pk=mine.pk)]


def test_an_opted_out_lead_is_never_enrolled_again(lead):
    services.opt_out(lead=lead)
    assert services.start_no_response(lead=lead) == []
    book(lead)
    assert not Enrollment.objects.filter(lead=lead).exists()


# --- idempotence and transactions -------------------------------------------------------------


def test_repeated_hook_calls_make_no_second_enrollment_task_or_confirmation(lead, clock):
    appointment = book(lead, source="auto_book", confirm_channel="sms")
    hooks.on_booked(appointment=appointment, source="auto_book", confirm_channel="sms")
    assert len(live_enrollments(lead, "post_booking")) == 1
    assert OutboundMessage.objects.filter(lead=lead).count() == 1

    canceled = cancel(lead)
    hooks.on_canceled(appointment=canceled)
    assert len(open_tasks(lead, "rebook")) == 1
    assert len(live_enrollments(lead, "rebook")) == 1

    other = book(lead, "appt-2", start=NEW_MEETING)
    clock.move_to(NEW_MEETING + HOUR)
    missed = no_show(lead, "appt-2")
    hooks.on_no_show(appointment=missed)
    assert len(open_tasks(lead, "no_show")) == 1
    assert len(live_enrollments(lead, "no_show")) == 1
    assert other.pk == missed.pk


def test_a_rolled_back_booking_leaves_no_enrollment_task_or_message(
    lead, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        book(lead, source="auto_book", confirm_channel="sms")
        raise RuntimeError("the caller failed after booking")

    assert not Enrollment.objects.filter(lead=lead).exists()
    assert not OutboundMessage.objects.filter(lead=lead).exists()
    assert callbacks == []  # nothing left to send after commit


def test_a_rolled_back_cancel_leaves_the_reminders_running_and_no_task(lead):
    book(lead)
    with pytest.raises(RuntimeError), transaction.atomic():
        cancel(lead)
        raise RuntimeError("the caller failed after canceling")

    assert not Task.objects.filter(lead=lead).exists()
    assert len(live_enrollments(lead, "post_booking")) == 1
    assert not live_enrollments(lead, "rebook")
