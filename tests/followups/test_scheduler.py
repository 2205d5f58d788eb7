"""The beat's scheduler: each due step once, never for a stopped enrollment or an opted-out lead,
never late."""

import datetime as dt

import pytest
import time_machine

from followups import authoring, hooks, services
from followups.models import Enrollment, OutboundMessage, SentStep, Sequence, Task
from followups.scheduler import run_due_steps
from tests.factories import LeadFactory, SequenceFactory, StepFactory
from tests.support.concurrency import run_at_once

from .conftest import DAY, HOUR, MEETING, NOW, book, enrollment, messages_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def nudges(workspace):
    """The workspace's default no-response sequence (nudges at +1 day and +3 days)."""
    return Sequence.objects.get(workspace=workspace, trigger="no_response")


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_scheduler_runs_send_each_due_step_once(workspace, settings):
    settings.MESSAGING_RECORD_ONLY = True  # no channel connected: the tests-only one records
    with time_machine.travel(NOW, tick=False) as clock:
        leads = [LeadFactory(workspace=workspace, phone=f"+1312555{i:04d}") for i in range(30)]
        for lead in leads:
            services.start_no_response(lead=lead)

        for moment in (NOW + DAY, NOW + 3 * DAY):  # each nudge of every lead is due
            clock.move_to(moment)
            run_at_once([run_due_steps, run_due_steps])

        sent = OutboundMessage.objects.filter(lead__in=leads)
        assert sent.count() == 2 * len(leads)
        for lead in leads:
            assert len(set(messages_to(lead))) == 2
        assert SentStep.objects.filter(outcome="sent").count() == 2 * len(leads)
        assert not Enrollment.objects.filter(state="active").exists()
        # The messages went out after commit, each once, through the record-only channel.
        assert set(sent.values_list("state", flat=True)) == {"sent"}


def test_running_the_scheduler_twice_at_the_same_moment_sends_nothing_new(lead, clock):
    services.start_no_response(lead=lead)
    clock.move_to(NOW + DAY)
    assert run_due_steps() == 1
    assert run_due_steps() == 0
    assert len(messages_to(lead)) == 1


def test_nothing_is_sent_before_its_time(lead, clock):
    services.start_no_response(lead=lead)
    clock.move_to(NOW + DAY - dt.timedelta(minutes=1))
    assert run_due_steps() == 0
    assert messages_to(lead) == []


def test_a_paused_enrollment_sends_nothing(lead, clock):
    services.start_no_response(lead=lead)
    hooks.on_lead_replied(lead=lead, channel="email")
    clock.move_to(NOW + 5 * DAY)
    assert run_due_steps() == 0 and messages_to(lead) == []


def test_a_lead_opted_out_behind_the_engines_back_gets_nothing(lead, clock):
    services.start_no_response(lead=lead)
    type(lead).objects.filter(pk=lead.pk).update(status="opted_out")  # e.g. an admin edit
    clock.move_to(NOW + DAY)

    assert run_due_steps() == 0
    assert messages_to(lead) == []
    assert enrollment(lead, "no_response").end_reason == Enrollment.EndReason.OPTED_OUT


def test_a_sequence_turned_off_stops_sending(lead, clock, nudges):
    services.start_no_response(lead=lead)
    nudges.is_active = False
    nudges.save()
    clock.move_to(NOW + DAY)

    assert run_due_steps() == 0
    assert enrollment(lead, "no_response").end_reason == Enrollment.EndReason.SEQUENCE_OFF


def test_a_step_found_more_than_an_hour_late_is_skipped_not_sent(lead, clock):
    services.start_no_response(lead=lead)
    clock.move_to(NOW + DAY + 2 * HOUR)  # the beat was down

    run_due_steps()

    skipped = SentStep.objects.get(outcome="skipped")
    assert "more than an hour after its time" in skipped.detail
    assert messages_to(lead) == []
    clock.move_to(NOW + 3 * DAY)
    run_due_steps()
    assert len(messages_to(lead)) == 1  # the next nudge, on time


def test_a_reminder_is_never_sent_once_the_meeting_has_started(lead, clock):
    book(lead)
    clock.move_to(MEETING - DAY)
    run_due_steps()
    clock.move_to(MEETING + dt.timedelta(minutes=5))  # missed the 1 h reminder by 65 minutes

    run_due_steps()

    assert len(messages_to(lead)) == 1
    assert "The meeting had started" in SentStep.objects.get(outcome="skipped").detail


def test_a_task_step_opens_a_task_for_the_setters(lead, workspace, clock):
    sequence = SequenceFactory(workspace=workspace, trigger="no_response")
    StepFactory(
        sequence=sequence,
        delay_minutes=120,
        channel="task",
        subject="Call {first_name}",
        body="No answer to the nudges: give {full_name} a call.",
    )
    services.start_no_response(lead=lead)
    clock.move_to(NOW + 2 * HOUR)

    run_due_steps()

    task = Task.objects.get(lead=lead)
    assert (task.title, task.kind, task.due_at) == ("Call Jordan", "manual", NOW + 2 * HOUR)
    assert task.detail == f"No answer to the nudges: give Jordan {lead.last_name} a call."


def test_an_sms_step_for_a_lead_without_a_phone_goes_by_email(workspace, clock):
    lead = LeadFactory(workspace=workspace, first_name="Sam", phone="")
    services.start_no_response(lead=lead)
    clock.move_to(NOW + DAY)

    run_due_steps()

    message = OutboundMessage.objects.get(lead=lead)
    assert message.channel == "email" and message.subject == f"A note from {workspace.name}"


def test_a_lead_without_any_address_gets_the_step_skipped(workspace, clock):
    lead = LeadFactory(workspace=workspace, email="", phone="")
    services.start_no_response(lead=lead)
    clock.move_to(NOW + DAY)

    run_due_steps()

    assert not OutboundMessage.objects.filter(lead=lead).exists()
    assert "no phone number or e-mail" in SentStep.objects.get(outcome="skipped").detail


def test_a_step_added_later_reaches_leads_already_enrolled(lead, clock, nudges):
    services.start_no_response(lead=lead)
    step = StepFactory.build(sequence=nudges, delay_minutes=6 * 60, channel="sms", body="Hi!")
    authoring.save_step(step=step, actor=None)
    clock.move_to(NOW + 6 * HOUR)

    run_due_steps()

    assert messages_to(lead) == ["Hi!"]
