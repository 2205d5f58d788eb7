"""A setter's task for a reply auto-booking stopped short of names the offered time the lead
probably meant, and the setter books it with one click from the Tasks page or the lead page,
through the manual-booking path and its gates."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from booking.models import Appointment, AutoBookOutcome, BookingAttempt, Offer
from booking.tasks import auto_book
from followups.errors import ProviderUnavailable
from followups.models import Task
from tests.factories import MembershipFactory
from tests.support.concurrency import run_at_once
from workspaces.models import Lead, Membership

from .conftest import MON_10_EST, NOW, TUE_11_EST, WED_2PM_EST, make_offer, reply
from .envs import calendar_not_involved

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("followup_calls")]
Role = Membership.Role

BELOW_THE_BAR = "Option 2 works if my boss agrees"  # read as option 2 at 0.80
MEANT = "Option 2: Tue Dec 3, 10:00 AM CST"
BOOKED = "Booked Tue Dec 3, 10:00 AM CST."
on_the_fake_calendar = calendar_not_involved  # the click's gates, not the calendar, are tested


def tasks_page(workspace):
    return reverse("task_list", args=[workspace.public_id])


def lead_page(lead):
    return reverse("lead_detail", args=[lead.workspace.public_id, lead.pk])


def book_url(task):
    return reverse("task_book_suggestion", args=[task.workspace.public_id, task.pk])


@pytest.fixture
def as_role(client, workspace):
    def login(role, client=client):
        client.force_login(MembershipFactory(workspace=workspace, role=role).user)
        return client

    return login


def blocked_task(lead, text=BELOW_THE_BAR, **kwargs) -> Task:
    assert auto_book(reply(lead, text, **kwargs).pk) != AutoBookOutcome.BOOKED
    return Task.objects.get(lead=lead, kind=Task.Kind.AUTO_BOOK_BLOCKED)


def text_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- the task names the time ----------------------------------------------------------------


def test_a_setter_books_the_meant_option_from_the_tasks_page_and_a_second_click_is_harmless(
    as_role, lead, offer, booking_provider_env
):
    task = blocked_task(lead)
    assert booking_provider_env.book_calls() == 0
    client = as_role(Role.SETTER)

    html = text_of(client.get(tasks_page(lead.workspace)))
    assert f"lead probably meant {MEANT}" in html
    assert f"Lead probably meant {MEANT} — reader 0.80: option 2" in html
    assert "Book Option 2" in html and book_url(task) in html

    first = client.post(book_url(task), follow=True)
    assert BOOKED in text_of(first)
    assert "Book Option 2" not in first.content.decode()  # the task is done
    second = client.post(book_url(task), follow=True)
    assert BOOKED in text_of(second)

    appointment = Appointment.objects.get(lead=lead)
    assert (appointment.start_at, appointment.source) == (TUE_11_EST, "manual")
    assert booking_provider_env.book_calls() == 1 and booking_provider_env.booked_count() == 1
    task.refresh_from_db()
    assert task.state == Task.State.DONE and task.done_by is not None


@on_the_fake_calendar
def test_the_lead_page_shows_the_button_and_brings_the_setter_back_to_the_lead(
    as_role, lead, offer
):
    task = blocked_task(lead)
    client = as_role(Role.SETTER)
    html = text_of(client.get(lead_page(lead)))
    assert f"lead probably meant {MEANT}" in html and "Book Option 2" in html

    response = client.post(book_url(task), {"back": "lead"})
    assert response.status_code == 302 and response["Location"] == lead_page(lead)
    html = text_of(client.get(lead_page(lead)))
    assert BOOKED in html and "Book Option 2" not in html
    lead.refresh_from_db()
    assert lead.status == Lead.Status.MEETING_BOOKED and lead.booked_slot == TUE_11_EST


@on_the_fake_calendar
def test_a_clear_acceptance_with_auto_book_off_names_the_time_at_the_readers_confidence(
    as_role, lead, offer, workspace
):
    workspace.auto_book_enabled = False
    workspace.save()
    task = blocked_task(lead, "Option 1 works for me")
    assert "(workspace)" in task.title and "Auto-book is off" in task.detail
    assert "Lead probably meant Option 1: Mon Dec 2, 9:00 AM CST — reader 0.95" in task.detail

    response = as_role(Role.SETTER).post(book_url(task), follow=True)
    assert "Booked Mon Dec 2, 9:00 AM CST." in text_of(response)
    assert Appointment.objects.get(lead=lead).start_at == MON_10_EST


def test_a_time_the_calendar_failed_to_book_is_booked_again_from_the_task(
    as_role, lead, offer, booking_provider_env
):
    booking_provider_env.fail_next_book_with(ProviderUnavailable("The calendar is down."))
    task = blocked_task(lead, "Option 2 works for me")
    assert "(provider)" in task.title and f"lead probably meant {MEANT}" in task.title

    response = as_role(Role.SETTER).post(book_url(task), follow=True)

    assert BOOKED in text_of(response)
    assert BookingAttempt.objects.get(lead=lead).state == BookingAttempt.State.BOOKED
    assert booking_provider_env.booked_count() == 1


# --- no time to name ------------------------------------------------------------------------


@on_the_fake_calendar
@pytest.mark.parametrize(
    "text", ["Either 1 or 2 works for me", "ok", "Is this a video call or a phone call?"]
)
def test_a_reply_that_points_at_no_one_time_names_none(as_role, lead, offer, text):
    task = blocked_task(lead, text)
    assert task.suggested_slot_id is None and "probably meant" not in task.detail
    assert "Book Option" not in text_of(as_role(Role.SETTER).get(tasks_page(lead.workspace)))


@on_the_fake_calendar
@pytest.mark.parametrize("text", [BELOW_THE_BAR, "Option 2 works for me"])
def test_a_reply_to_an_earlier_offer_names_no_option_of_the_newer_one(lead, offer, text):
    # Its "option 2" meant the earlier offer's second time, whatever the reader's confidence.
    task = blocked_task(lead, text, received_at=NOW - dt.timedelta(minutes=1))
    assert task.suggested_slot_id is None and "probably meant" not in task.title


def test_a_time_no_longer_free_names_none_and_fresh_times_go_out(lead, offer, booking_provider_env):
    booking_provider_env.take(TUE_11_EST)
    booking_provider_env.make_free(TUE_11_EST + dt.timedelta(hours=2))
    task = blocked_task(lead, "Option 2 works for me")
    assert "no longer free" in task.detail and task.suggested_slot_id is None


@on_the_fake_calendar
def test_an_opted_out_lead_gets_no_suggestion(lead, offer):
    Lead.objects.filter(pk=lead.pk).update(status=Lead.Status.OPTED_OUT)
    task = blocked_task(lead)
    assert "(lead)" in task.title and task.suggested_slot_id is None


# --- the click runs the manual-booking gates ------------------------------------------------


@on_the_fake_calendar
def test_a_time_that_has_passed_loses_its_button_and_is_refused(
    as_role, lead, offer, booking_provider_env, frozen_now
):
    task = blocked_task(lead)
    frozen_now.move_to(TUE_11_EST + dt.timedelta(minutes=1))
    client = as_role(Role.SETTER)
    assert "Book Option 2" not in text_of(client.get(tasks_page(lead.workspace)))

    response = client.post(book_url(task), follow=True)

    assert "That time has already passed" in text_of(response)
    assert booking_provider_env.book_calls() == 0
    task.refresh_from_db()
    assert task.is_open


@on_the_fake_calendar
def test_a_replaced_offer_is_refused(as_role, lead, offer, booking_provider_env):
    task = blocked_task(lead)
    make_offer(lead, WED_2PM_EST)  # a setter offered new times meanwhile
    response = as_role(Role.SETTER).post(book_url(task), follow=True)
    assert "closed or replaced" in text_of(response)
    assert booking_provider_env.book_calls() == 0 and not Appointment.objects.exists()


@on_the_fake_calendar
def test_a_lead_that_opted_out_since_is_refused(as_role, lead, offer, booking_provider_env):
    task = blocked_task(lead)
    Lead.objects.filter(pk=lead.pk).update(status=Lead.Status.OPTED_OUT)
    response = as_role(Role.SETTER).post(book_url(task), follow=True)
    assert "opted out" in text_of(response) and booking_provider_env.book_calls() == 0


@on_the_fake_calendar
def test_a_pending_attempt_for_another_time_is_refused(as_role, lead, offer, booking_provider_env):
    task = blocked_task(lead)
    BookingAttempt.objects.create(
        workspace=lead.workspace,
        lead=lead,
        slot=offer.slots.get(index=1),
        source="manual",
        provider=booking_provider_env.name,
        idempotency_key="someone-else",
    )
    response = as_role(Role.SETTER).post(book_url(task), follow=True)
    assert "still in flight" in text_of(response)
    assert booking_provider_env.book_calls() == 0
    task.refresh_from_db()
    assert task.is_open


@on_the_fake_calendar
def test_a_task_closed_by_hand_books_nothing(as_role, lead, offer, booking_provider_env):
    task = blocked_task(lead)
    client = as_role(Role.SETTER)
    client.post(reverse("task_state", args=[lead.workspace.public_id, task.pk]), {"state": "done"})
    assert "Book Option 2" not in text_of(client.get(tasks_page(lead.workspace)))
    response = client.post(book_url(task), follow=True)
    assert "already done" in text_of(response) and booking_provider_env.book_calls() == 0


# --- who may click ----------------------------------------------------------------------------


@on_the_fake_calendar
def test_inbox_managers_see_the_task_but_not_the_button(as_role, lead, offer, booking_provider_env):
    task = blocked_task(lead)
    client = as_role(Role.INBOX_MANAGER)
    html = text_of(client.get(tasks_page(lead.workspace)))
    assert f"lead probably meant {MEANT}" in html and "Book Option 2" not in html
    assert "Book Option 2" not in text_of(client.get(lead_page(lead)))
    assert client.post(book_url(task)).status_code == 403
    assert booking_provider_env.book_calls() == 0


@on_the_fake_calendar
def test_other_workspaces_get_a_404_and_only_a_post_books(client, lead, offer, as_role):
    task = blocked_task(lead)
    client.force_login(MembershipFactory(role=Role.ADMIN).user)  # of another workspace
    assert client.post(book_url(task)).status_code == 404
    assert as_role(Role.SETTER).get(book_url(task)).status_code == 405
    assert not Appointment.objects.exists()


# --- a real race ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_setters_clicking_at_once_book_once(lead, offer, booking_provider_env, workspace):
    task = blocked_task(lead)
    clients = []
    for _ in range(2):
        client = Client()
        client.force_login(MembershipFactory(workspace=workspace, role=Role.SETTER).user)
        clients.append(client)

    responses = run_at_once([lambda c=c: c.post(book_url(task)) for c in clients])

    assert [r.status_code for r in responses] == [302, 302]
    said = [text_of(c.get(tasks_page(workspace))) for c in clients]
    # Each setter is told the time is booked or being booked, never that it failed.
    assert all(BOOKED in html or "already under way" in html for html in said), said
    assert sum(BOOKED in html for html in said) >= 1
    assert booking_provider_env.book_calls() == 1 and booking_provider_env.booked_count() == 1
    assert Appointment.objects.filter(lead=lead).count() == 1
    assert BookingAttempt.objects.get(lead=lead).state == BookingAttempt.State.BOOKED
    task.refresh_from_db()
    assert task.state == Task.State.DONE
    assert Offer.objects.get(pk=offer.pk).state == Offer.State.CLOSED
