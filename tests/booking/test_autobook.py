"""Auto-booking from a lead's reply: every safety gate, the provider's answers, and races.

Every test reaches the calendar through ``booking_provider_env`` (tests/booking/conftest.py), so
the same tests run against each calendar of ``tests/booking/envs``: the fake, GoHighLevel and
Calendly. A test about something only some calendars do runs against those only.
"""

import datetime as dt

import pytest

from booking import attempts
from booking.models import Appointment, AutoBookOutcome, BookingAttempt, Offer
from booking.tasks import auto_book, resolve_unknown_attempts
from followups.errors import ProviderAuthError, ProviderUnavailable, SlotTaken
from integrations.providers import get_provider
from tests.factories import AppointmentFactory
from tests.support.concurrency import run_at_once
from workspaces.models import Lead

from .conftest import (
    MEETING,
    MON_10_EST,
    NOW,
    TUE_11_EST,
    WED_2PM_EST,
    blocked_tasks,
    make_offer,
    messages_to,
    reply,
)
from .envs import for_providers_that

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("followup_calls")]

ACCEPT_TUESDAY = "Option 2 works for me"  # Tue Dec 3, 10:00 AM CST


def attempt_of(lead):
    return BookingAttempt.objects.get(lead=lead)


def assert_blocked(lead, env, gate, *, books=0):
    assert env.booked_count() == books
    assert not Appointment.objects.filter(lead=lead).exclude(source="webhook").exists()
    tasks = blocked_tasks(lead)
    assert len(tasks) == 1, tasks
    assert f"({gate})" in tasks[0].title and f"Gate: {gate}." in tasks[0].detail
    return tasks[0]


# --- the happy path ---------------------------------------------------------------------------


def test_an_accepted_time_is_booked_and_confirmed_on_the_reply_channel(
    lead, offer, booking_provider_env, monkeypatch
):
    booked = []
    from followups import hooks

    real_on_booked = hooks.on_booked
    monkeypatch.setattr(hooks, "on_booked", lambda **kw: booked.append(kw) or real_on_booked(**kw))
    message = reply(lead, ACCEPT_TUESDAY, channel="email")

    assert auto_book(message.pk) == AutoBookOutcome.BOOKED

    appointment = Appointment.objects.get(lead=lead)
    assert (appointment.start_at, appointment.source) == (TUE_11_EST, "auto_book")
    assert appointment.provider == booking_provider_env.name
    assert booking_provider_env.booked_count() == 1
    assert attempt_of(lead).state == BookingAttempt.State.BOOKED
    assert attempt_of(lead).appointment == appointment
    lead.refresh_from_db()
    assert lead.status == Lead.Status.MEETING_BOOKED and lead.booked_slot == TUE_11_EST
    offer.refresh_from_db()
    assert offer.state == Offer.State.CLOSED
    assert booked[0]["source"] == "auto_book" and booked[0]["confirm_channel"] == "email"
    assert not blocked_tasks(lead)


@for_providers_that("keeps_slot_strings")
def test_the_providers_own_slot_string_goes_back_when_booking(lead, offer, booking_provider_env):
    auto_book(reply(lead, ACCEPT_TUESDAY).pk)
    offered = offer.slots.get(index=2).provider_value
    assert offered == booking_provider_env.slot_string(TUE_11_EST, timezone=lead.timezone)
    assert booking_provider_env.last_booked_value() == offered


@for_providers_that("takes_idempotency_key")
def test_the_attempts_idempotency_key_goes_with_the_booking(lead, offer, booking_provider_env):
    auto_book(reply(lead, ACCEPT_TUESDAY).pk)
    assert booking_provider_env.last_booked_key() == attempt_of(lead).idempotency_key


@for_providers_that("sends_webhooks")
def test_the_calendars_own_webhook_for_our_booking_changes_nothing(
    lead, offer, booking_provider_env
):
    auto_book(reply(lead, ACCEPT_TUESDAY, channel="email").pk)
    booked = Appointment.objects.get(lead=lead)

    deliveries = booking_provider_env.deliver_webhooks()

    assert [d.state for d in deliveries] == ["processed"]  # verified, stored, mapped
    appointment = Appointment.objects.get(lead=lead)
    assert appointment.pk == booked.pk and appointment.external_id == booked.external_id
    assert (appointment.source, appointment.status) == ("auto_book", "booked")
    assert (appointment.start_at, appointment.end_at) == (TUE_11_EST, TUE_11_EST + MEETING)
    assert messages_to(lead) == ["You're booked for Tue Dec 3, 10:00 AM CST."]  # only once


def test_a_reply_that_arrives_through_the_inbox_is_booked_by_the_task(
    lead, offer, booking_provider_env, django_capture_on_commit_callbacks
):
    from booking.inbound import receive_message

    with django_capture_on_commit_callbacks(execute=True):
        receive_message(lead=lead, channel="sms", body=ACCEPT_TUESDAY, received_at=NOW)
    assert Appointment.objects.filter(lead=lead, source="auto_book").count() == 1


def test_a_second_run_of_the_task_does_nothing(lead, offer, booking_provider_env):
    message = reply(lead, ACCEPT_TUESDAY)
    auto_book(message.pk)
    assert auto_book(message.pk) == AutoBookOutcome.DUPLICATE
    assert booking_provider_env.book_calls() == 1


# --- each gate on its own -------------------------------------------------------------------


def test_gate_workspace_auto_book_off(lead, offer, booking_provider_env, workspace):
    workspace.auto_book_enabled = False
    workspace.save()
    auto_book(reply(lead, ACCEPT_TUESDAY).pk)
    task = assert_blocked(lead, booking_provider_env, "workspace")
    assert "Auto-book is off" in task.detail


def test_gate_workspace_provider_not_connected(lead, offer, booking_provider_env):
    booking_provider_env.disconnect()
    auto_book(reply(lead, ACCEPT_TUESDAY).pk)
    task = assert_blocked(lead, booking_provider_env, "workspace")
    assert "not connected" in task.detail


def test_gate_lead_opted_out(lead, offer, booking_provider_env):
    Lead.objects.filter(pk=lead.pk).update(status=Lead.Status.OPTED_OUT)
    auto_book(reply(lead, ACCEPT_TUESDAY).pk)
    task = assert_blocked(lead, booking_provider_env, "lead")
    assert "opted out" in task.detail


def test_gate_lead_already_has_a_live_appointment(lead, offer, booking_provider_env):
    AppointmentFactory(lead=lead, start_at=WED_2PM_EST + dt.timedelta(days=1))
    Offer.objects.filter(pk=offer.pk).update(state=Offer.State.OPEN)  # kept open for the test
    auto_book(reply(lead, ACCEPT_TUESDAY).pk)
    task = assert_blocked(lead, booking_provider_env, "lead")
    assert "already has a live appointment" in task.detail


@pytest.mark.parametrize(
    "text",
    [
        "Is this a video call or a phone call?",
        "Either 1 or 2 works for me",
        "Wednesday at 2pm Pacific works",  # 2 PM PST is none of the offered times
        "I'm out of the office until Monday 12/9 with limited access to email.",
        "Thanks for reaching out!",
        "ok",  # a bare yes with three times offered
        "Sounds good\n\nOn Fri, Nov 29, 2030 at 6:00 AM Casey wrote:\n> 1) Mon Dec 2, 9:00 AM CST"
        "\n> 2) Tue Dec 3, 10:00 AM CST",
    ],
)
def test_gate_reply_not_an_acceptance(lead, offer, booking_provider_env, text):
    outcome = auto_book(reply(lead, text).pk)
    assert outcome == AutoBookOutcome.BLOCKED
    assert booking_provider_env.book_calls() == 0
    assert not Appointment.objects.filter(lead=lead).exists()
    (task,) = blocked_tasks(lead)
    assert "(reply)" in task.title or "(counter_proposal)" in task.title


def test_a_refusal_books_nothing_and_needs_no_task(lead, offer, booking_provider_env):
    outcome = auto_book(reply(lead, "None of these work for me, sorry").pk)
    assert outcome == AutoBookOutcome.NOT_ACCEPTED
    assert booking_provider_env.book_calls() == 0 and not blocked_tasks(lead)


def test_chit_chat_without_an_open_offer_opens_no_task(lead, booking_provider_env, frozen_now):
    outcome = auto_book(reply(lead, "Thanks, talk soon").pk)
    assert outcome == AutoBookOutcome.NOT_ACCEPTED and not blocked_tasks(lead)


def test_gate_slot_time_has_passed(lead, booking_provider_env, frozen_now):
    past = NOW - dt.timedelta(hours=2)
    for start in (past, TUE_11_EST):
        booking_provider_env.make_free(start)
    make_offer(lead, past, TUE_11_EST)
    frozen_now.move_to(NOW)
    auto_book(reply(lead, "Option 1 works for me").pk)
    task = assert_blocked(lead, booking_provider_env, "slot")
    assert "has already passed" in task.detail


def test_gate_slot_a_reply_older_than_the_open_offer_answers_another_offer(
    lead, offer, booking_provider_env
):
    auto_book(reply(lead, ACCEPT_TUESDAY, received_at=NOW - dt.timedelta(minutes=1)).pk)
    task = assert_blocked(lead, booking_provider_env, "slot")
    assert "answers an earlier one" in task.detail


def test_gate_slot_no_longer_free_sends_fresh_times(lead, offer, booking_provider_env):
    booking_provider_env.take(TUE_11_EST)
    booking_provider_env.make_free(TUE_11_EST + dt.timedelta(hours=2))
    message = reply(lead, ACCEPT_TUESDAY)

    assert auto_book(message.pk) == AutoBookOutcome.NEW_OFFER

    task = assert_blocked(lead, booking_provider_env, "slot")
    assert "no longer free" in task.detail and "New times were sent" in task.detail
    fresh = Offer.objects.get(lead=lead, state=Offer.State.OPEN)
    assert fresh.pk != offer.pk and TUE_11_EST not in [s.start_at for s in fresh.slots.all()]
    assert messages_to(lead) == [fresh.text]
    assert booking_provider_env.book_calls() == 0


def test_gate_in_flight_another_attempt(lead, offer, booking_provider_env):
    BookingAttempt.objects.create(
        workspace=lead.workspace,
        lead=lead,
        slot=offer.slots.get(index=1),
        source="manual",
        provider=booking_provider_env.name,
        idempotency_key="someone-else",
        state=BookingAttempt.State.UNKNOWN,
    )
    auto_book(reply(lead, ACCEPT_TUESDAY).pk)
    task = assert_blocked(lead, booking_provider_env, "in_flight")
    assert "still in flight" in task.detail


# --- what the provider says -------------------------------------------------------------------


def test_slot_taken_at_booking_fails_the_attempt_and_sends_fresh_times(
    lead, offer, booking_provider_env
):
    said = booking_provider_env.fail_next_book_with(SlotTaken("That time is no longer free."))
    assert auto_book(reply(lead, ACCEPT_TUESDAY).pk) == AutoBookOutcome.NEW_OFFER
    attempt = attempt_of(lead)
    assert attempt.state == BookingAttempt.State.FAILED and said in attempt.error
    assert_blocked(lead, booking_provider_env, "provider")
    fresh = Offer.objects.get(lead=lead, state=Offer.State.OPEN)
    assert messages_to(lead) == [fresh.text]


@for_providers_that("sends_links")
def test_a_provider_that_cant_book_directly_gets_the_lead_a_link(lead, offer, booking_provider_env):
    booking_provider_env.refuse_direct_booking()
    assert auto_book(reply(lead, ACCEPT_TUESDAY).pk) == AutoBookOutcome.LINK_SENT
    attempt = attempt_of(lead)
    assert attempt.state == BookingAttempt.State.FAILED
    assert "booking link" in attempt.error
    (body,) = messages_to(lead)
    assert booking_provider_env.scheduling_link(lead) in body
    assert not blocked_tasks(lead) and not Appointment.objects.exists()


@pytest.mark.parametrize("booking_provider_env", ["fake"], indirect=True)
@pytest.mark.parametrize(
    ("link", "said"),
    [
        (None, "This calendar has no booking link to send instead."),
        (ProviderUnavailable("Links are down."), "The booking link could not be made: Links are"),
    ],
)
def test_without_a_link_to_send_a_setter_takes_over(lead, offer, booking_provider_env, link, said):
    booking_provider_env.refuse_direct_booking()
    booking_provider_env.answer_links_with(link)
    assert auto_book(reply(lead, ACCEPT_TUESDAY).pk) == AutoBookOutcome.FAILED
    assert attempt_of(lead).state == BookingAttempt.State.FAILED
    task = assert_blocked(lead, booking_provider_env, "provider")
    assert said in task.detail
    assert messages_to(lead) == []


@pytest.mark.parametrize(
    "error",
    [
        ProviderUnavailable("The calendar is down."),
        ProviderAuthError("The connection needs to be renewed."),
    ],
)
def test_other_provider_errors_fail_the_attempt_with_a_task(
    lead, offer, booking_provider_env, error
):
    said = booking_provider_env.fail_next_book_with(error)
    assert auto_book(reply(lead, ACCEPT_TUESDAY).pk) == AutoBookOutcome.FAILED
    assert attempt_of(lead).state == BookingAttempt.State.FAILED
    task = assert_blocked(lead, booking_provider_env, "provider")
    assert said in task.detail


def test_a_timeout_is_resolved_by_asking_the_provider_never_by_booking_again(
    lead, offer, booking_provider_env, frozen_now
):
    booking_provider_env.time_out_next_book(booked=True)
    message = reply(lead, ACCEPT_TUESDAY, channel="email")

    assert auto_book(message.pk) == AutoBookOutcome.UNKNOWN
    assert attempt_of(lead).state == BookingAttempt.State.UNKNOWN
    assert not Appointment.objects.exists()
    assert auto_book(message.pk) == AutoBookOutcome.DUPLICATE

    frozen_now.shift(attempts.FIRST_CHECK_AFTER)
    assert resolve_unknown_attempts() == 1

    appointment = Appointment.objects.get(lead=lead)
    assert (appointment.start_at, appointment.source) == (TUE_11_EST, "auto_book")
    assert attempt_of(lead).state == BookingAttempt.State.BOOKED
    assert booking_provider_env.book_calls() == 1 and booking_provider_env.booked_count() == 1


def test_an_unknown_outcome_never_found_becomes_a_task_after_backed_off_checks(
    lead, offer, booking_provider_env, frozen_now
):
    booking_provider_env.time_out_next_book(booked=False)
    auto_book(reply(lead, ACCEPT_TUESDAY).pk)

    assert resolve_unknown_attempts() == 0  # not due yet
    checks = 0
    for _ in range(20):
        frozen_now.shift(dt.timedelta(minutes=2))  # the beat schedule
        checks += resolve_unknown_attempts()
        if attempt_of(lead).state == BookingAttempt.State.FAILED:
            break
    assert checks == attempts.MAX_CHECKS  # backed off: not one look-up every run
    assert attempt_of(lead).state == BookingAttempt.State.FAILED
    (task,) = blocked_tasks(lead)
    assert "(unknown_outcome)" in task.title and "shows no booking" in task.detail
    assert booking_provider_env.book_calls() == 1


def test_a_pending_attempt_whose_worker_died_is_resolved_by_asking(
    lead, offer, booking_provider_env, frozen_now
):
    slot = offer.slots.get(index=2)
    BookingAttempt.objects.create(
        workspace=lead.workspace,
        lead=lead,
        slot=slot,
        source="auto_book",
        provider=booking_provider_env.name,
        idempotency_key="died",
    )
    provider = get_provider(lead.workspace)
    provider.book(lead=lead, start=slot.start_at, idempotency_key="died")  # booked, then died
    assert resolve_unknown_attempts() == 0
    frozen_now.shift(attempts.STALE_PENDING + dt.timedelta(minutes=1))
    assert resolve_unknown_attempts() == 1
    assert attempt_of(lead).state == BookingAttempt.State.BOOKED
    assert Appointment.objects.get(lead=lead).start_at == TUE_11_EST


# --- counter-proposals ------------------------------------------------------------------------

TUE_2PM_CST = dt.datetime(2030, 12, 3, 20, 0, tzinfo=dt.UTC)


def test_a_free_counter_proposal_is_offered_back_and_a_yes_books_it(
    lead, offer, booking_provider_env
):
    booking_provider_env.make_free(TUE_2PM_CST)
    message = reply(lead, "None of those work, could we do Tuesday at 2pm instead?")

    assert auto_book(message.pk) == AutoBookOutcome.OFFERED_BACK

    assert booking_provider_env.book_calls() == 0 and not Appointment.objects.exists()
    counter = Offer.objects.get(lead=lead, state=Offer.State.OPEN)
    assert counter.kind == Offer.Kind.COUNTER
    assert [s.start_at for s in counter.slots.all()] == [TUE_2PM_CST]
    assert messages_to(lead) == [counter.text]
    assert "Tue Dec 3, 2:00 PM CST" in counter.text

    assert auto_book(reply(lead, "Yes, that works").pk) == AutoBookOutcome.BOOKED
    assert Appointment.objects.get(lead=lead).start_at == TUE_2PM_CST


def test_a_counter_proposal_that_is_not_free_goes_to_a_setter(lead, offer, booking_provider_env):
    auto_book(reply(lead, "Could we do Tuesday at 2pm instead?").pk)
    task = assert_blocked(lead, booking_provider_env, "counter_proposal")
    assert "not free" in task.detail
    assert Offer.objects.get(lead=lead, state=Offer.State.OPEN) == offer


# --- races ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_runs_for_one_reply_book_once(lead, offer, booking_provider_env):
    message = reply(lead, ACCEPT_TUESDAY)
    run_at_once([lambda: auto_book(message.pk)] * 20)
    assert booking_provider_env.book_calls() == 1
    assert booking_provider_env.booked_count() == 1
    assert Appointment.objects.filter(lead=lead).count() == 1
    assert BookingAttempt.objects.filter(lead=lead).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_replies_accepting_different_times_at_once_book_once(lead, offer, booking_provider_env):
    first = reply(lead, "Option 1 works for me")
    second = reply(lead, ACCEPT_TUESDAY)
    run_at_once([lambda: auto_book(first.pk), lambda: auto_book(second.pk)] * 10)
    assert booking_provider_env.booked_count() == 1
    assert booking_provider_env.book_calls() == 1
    assert Appointment.objects.filter(lead=lead).count() == 1


# --- a setter's click -------------------------------------------------------------------------


def test_manual_booking_goes_through_the_provider(lead, offer, booking_provider_env, workspace):
    from tests.factories import UserFactory

    workspace.auto_book_enabled = False  # manual booking doesn't need auto-book
    workspace.save()
    setter = UserFactory()
    attempt = attempts.book_offered_slot(slot=offer.slots.get(index=1), user=setter)
    assert attempt.state == BookingAttempt.State.BOOKED and attempt.created_by == setter
    appointment = Appointment.objects.get(lead=lead)
    assert (appointment.start_at, appointment.source) == (MON_10_EST, "manual")

    again = attempts.book_offered_slot(slot=offer.slots.get(index=1), user=setter)
    assert again.pk == attempt.pk and booking_provider_env.book_calls() == 1


def test_manual_booking_of_a_failed_time_tries_again(lead, offer, booking_provider_env):
    slot = offer.slots.get(index=1)
    booking_provider_env.fail_next_book_with(ProviderUnavailable("The calendar is down."))
    assert attempts.book_offered_slot(slot=slot).state == BookingAttempt.State.FAILED
    assert attempts.book_offered_slot(slot=slot).state == BookingAttempt.State.BOOKED
    assert BookingAttempt.objects.filter(lead=lead).count() == 1
    assert booking_provider_env.booked_count() == 1


def test_manual_booking_refuses_opted_out_leads(lead, offer, booking_provider_env):
    Lead.objects.filter(pk=lead.pk).update(status=Lead.Status.OPTED_OUT)
    with pytest.raises(attempts.BookingRefused, match="opted out"):
        attempts.book_offered_slot(slot=offer.slots.get(index=1))
    assert booking_provider_env.book_calls() == 0


def test_manual_booking_refuses_a_superseded_offer(lead, offer, booking_provider_env):
    newer = make_offer(lead, WED_2PM_EST)
    assert newer.state == Offer.State.OPEN
    with pytest.raises(attempts.BookingRefused, match="closed or replaced"):
        attempts.book_offered_slot(slot=offer.slots.get(index=1))


def test_meeting_length_comes_from_the_provider(lead, offer, booking_provider_env):
    auto_book(reply(lead, ACCEPT_TUESDAY).pk)
    appointment = Appointment.objects.get(lead=lead)
    assert appointment.end_at - appointment.start_at == MEETING
