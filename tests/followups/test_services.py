"""The contracts booking relies on: open_task and queue_message, idempotent on their keys."""

import pytest

from followups import hooks, services
from followups.models import Enrollment, OutboundMessage, Task
from tests.support.concurrency import run_at_once
from workspaces.models import AuditEvent, Lead

from .conftest import book

pytestmark = pytest.mark.django_db


def test_a_task_with_the_same_dedupe_key_is_opened_once(lead):
    first = services.open_task(
        lead=lead, kind="auto_book_blocked", title="Check the reply", dedupe_key="k:1"
    )
    again = services.open_task(
        lead=lead, kind="auto_book_blocked", title="Another title", dedupe_key="k:1"
    )
    assert again.pk == first.pk and again.title == "Check the reply"
    assert Task.objects.filter(lead=lead).count() == 1


def test_tasks_without_a_key_are_each_opened(lead):
    services.open_task(lead=lead, kind="manual", title="Call back")
    services.open_task(lead=lead, kind="manual", title="Call back")
    assert Task.objects.filter(lead=lead).count() == 2


def test_a_done_task_is_returned_not_reopened_for_its_key(lead):
    task = services.open_task(lead=lead, kind="rebook", title="Rebook", dedupe_key="rebook:9")
    services.set_task_state(task=task, state="done", user=None)
    again = services.open_task(lead=lead, kind="rebook", title="Rebook", dedupe_key="rebook:9")
    assert again.pk == task.pk and again.state == Task.State.DONE


def test_an_unknown_task_kind_is_refused(lead):
    with pytest.raises(ValueError):
        services.open_task(lead=lead, kind="urgent", title="?")


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_calls_with_one_key_open_one_task(lead):
    def open_it():
        services.open_task(lead=lead, kind="auto_book_blocked", title="Blocked", dedupe_key="k")

    run_at_once([open_it] * 10)
    assert Task.objects.filter(lead=lead).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_contacts_enroll_the_lead_once(lead):
    run_at_once([lambda: services.start_no_response(lead=lead)] * 8)
    assert Enrollment.objects.filter(lead=lead).count() == 1


def test_a_queued_message_keeps_what_the_lead_will_read(lead):
    message = services.queue_message(lead=lead, channel="email", body="Hi", subject="Times")
    assert (message.channel, message.subject, message.body) == ("email", "Times", "Hi")
    assert message.state == OutboundMessage.State.QUEUED
    assert list(lead.outbound_messages.all()) == [message]


def test_marking_a_task_done_twice_changes_it_once(lead, django_user_model):
    setter = django_user_model.objects.create(username="s@x.test", email="s@x.test")
    task = services.open_task(lead=lead, kind="manual", title="Call back")
    assert services.set_task_state(task=task, state="done", user=setter) is True
    done_at = task.done_at
    assert services.set_task_state(task=task, state="done", user=None) is False
    task.refresh_from_db()
    assert (task.done_by, task.done_at) == (setter, done_at)


def test_opting_out_is_sticky_and_recorded(lead, django_user_model):
    admin = django_user_model.objects.create(username="a@x.test", email="a@x.test")
    services.opt_out(lead=lead, actor=admin)
    services.opt_out(lead=lead, actor=admin)
    assert Lead.objects.get(pk=lead.pk).status == Lead.Status.OPTED_OUT
    assert AuditEvent.objects.filter(action="lead.opted_out").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_booked_hooks_for_one_meeting_enroll_the_lead_once(lead):
    appointment = book(lead)  # enrolls once, committed
    Enrollment.objects.filter(lead=lead).delete()  # as if the engine had not heard of it yet

    def told():
        hooks.on_booked(appointment=appointment, source="webhook", confirm_channel="sms")

    run_at_once([told] * 8)

    assert Enrollment.objects.filter(lead=lead, sequence__trigger="post_booking").count() == 1
    assert OutboundMessage.objects.filter(lead=lead).count() == 1
