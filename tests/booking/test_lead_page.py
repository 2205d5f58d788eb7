from uuid import uuid4

import pytest
from django.urls import reverse

from booking.models import Appointment, BookingAttempt, Offer
from booking.tasks import auto_book
from followups.errors import SlotTaken
from tests.factories import MembershipFactory
from workspaces.models import Lead, Membership

from .conftest import TUE_11_EST, messages_to, reply
from .envs import calendar_not_involved

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("followup_calls")]
Role = Membership.Role


def page(lead):
    return reverse("lead_detail", args=[lead.workspace.public_id, lead.pk])


def book_url(lead, slot):
    return reverse("lead_book_slot", args=[lead.workspace.public_id, lead.pk, slot.pk])


def offer_url(lead):
    return reverse("lead_make_offer", args=[lead.workspace.public_id, lead.pk])


@pytest.fixture
def as_role(client, workspace):
    def login(role):
        client.force_login(MembershipFactory(workspace=workspace, role=role).user)
        return client

    return login


def test_the_page_shows_the_conversation_the_offer_and_why_attempts_ended(
    as_role, lead, offer, booking_provider_env
):
    said = booking_provider_env.fail_next_book_with(SlotTaken("That time is no longer free."))
    auto_book(reply(lead, "Option 2 works for me").pk)

    response = as_role(Role.SETTER).get(page(lead))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Option 2 works for me" in html  # the lead's reply
    assert "Mon Dec 2, 9:00 AM CST" in html  # the fresh open offer, lead's zone
    assert said in html  # why the attempt failed
    assert "Book this time" in html and "Offer new times" in html


def test_inbox_managers_see_the_page_but_cannot_book_or_offer(
    as_role, lead, offer, booking_provider_env
):
    client = as_role(Role.INBOX_MANAGER)
    html = client.get(page(lead)).content.decode()
    assert "Book this time" not in html and "Make an offer" not in html
    assert client.post(book_url(lead, offer.slots.first())).status_code == 403
    assert client.post(offer_url(lead)).status_code == 403
    assert booking_provider_env.book_calls() == 0


@calendar_not_involved
def test_non_members_get_a_404(client, lead, offer):
    client.force_login(MembershipFactory(role=Role.ADMIN).user)  # of another workspace
    assert client.get(page(lead)).status_code == 404
    assert client.post(book_url(lead, offer.slots.first())).status_code == 404


def test_a_setter_books_an_offered_time_and_a_second_click_is_harmless(
    as_role, lead, offer, booking_provider_env
):
    client = as_role(Role.SETTER)
    slot = offer.slots.get(index=2)
    first = client.post(book_url(lead, slot), follow=True)
    second = client.post(book_url(lead, slot), follow=True)

    assert "Booked Tue Dec 3, 10:00 AM CST." in first.content.decode()
    assert second.status_code == 200
    appointment = Appointment.objects.get(lead=lead)
    assert (appointment.start_at, appointment.source) == (TUE_11_EST, "manual")
    assert booking_provider_env.book_calls() == 1
    assert BookingAttempt.objects.get(lead=lead).state == BookingAttempt.State.BOOKED


def test_a_setter_makes_an_offer_and_a_second_click_makes_no_second_one(
    as_role, lead, offer, booking_provider_env
):
    client = as_role(Role.SETTER)
    seen = {"replacing": offer.pk}
    client.post(offer_url(lead), seen)
    response = client.post(offer_url(lead), seen, follow=True)

    assert "A newer offer was already made" in response.content.decode()
    assert Offer.objects.filter(lead=lead).count() == 2
    new = Offer.objects.get(lead=lead, state=Offer.State.OPEN)
    assert messages_to(lead) == [new.text]


@calendar_not_involved
def test_only_posts_change_anything(as_role, lead, offer):
    client = as_role(Role.SETTER)
    assert client.get(book_url(lead, offer.slots.first())).status_code == 405
    assert client.get(offer_url(lead)).status_code == 405


def task_url(lead):
    return reverse("lead_add_task", args=[lead.workspace.public_id, lead.pk])


def opt_out_url(lead):
    return reverse("lead_opt_out", args=[lead.workspace.public_id, lead.pk])


@calendar_not_involved
def test_the_page_shows_what_was_sent_to_the_lead_and_how_it_went(as_role, lead, offer):
    from followups.services import queue_message

    queue_message(lead=lead, channel="sms", body="See you Tuesday!")
    html = as_role(Role.SETTER).get(page(lead)).content.decode()
    assert "See you Tuesday!" in html and "to lead" in html
    assert "Queued" in html  # sent after commit, by the follow-up engine's task


def test_an_inbox_manager_adds_a_task_and_a_double_submit_opens_one(as_role, lead):
    from followups.models import Task

    client = as_role(Role.INBOX_MANAGER)
    form = {"title": "Call back about pricing", "detail": "Asked twice", "nonce": str(uuid4())}
    client.post(task_url(lead), form)
    response = client.post(task_url(lead), form, follow=True)

    task = Task.objects.get(lead=lead)
    assert (task.kind, task.title, task.state) == ("manual", "Call back about pricing", "open")
    assert "Call back about pricing" in response.content.decode()


def test_a_task_without_a_title_is_refused_with_the_reason(as_role, lead):
    from followups.models import Task

    response = as_role(Role.SETTER).post(task_url(lead), {"nonce": str(uuid4())}, follow=True)
    assert "The task was not added" in response.content.decode()
    assert not Task.objects.filter(lead=lead).exists()


def test_a_due_time_typed_on_the_page_is_the_workspaces_wall_clock(as_role, lead):
    from followups.models import Task

    form = {"title": "Check in", "due_at": "2030-12-02T09:30", "nonce": str(uuid4())}
    as_role(Role.SETTER).post(task_url(lead), form)
    due = Task.objects.get(lead=lead).due_at
    assert due.isoformat() == "2030-12-02T14:30:00+00:00"  # 9:30 in New York (EST)


def test_opting_a_lead_out_stops_everything_and_a_second_click_is_harmless(
    as_role, lead, offer, booking_provider_env
):
    client = as_role(Role.INBOX_MANAGER)
    client.post(opt_out_url(lead))
    response = client.post(opt_out_url(lead), follow=True)

    lead.refresh_from_db()
    assert lead.status == Lead.Status.OPTED_OUT
    assert "already opted out" in response.content.decode()
    assert auto_book(reply(lead, "Option 2 works for me").pk) != "booked"
    assert booking_provider_env.book_calls() == 0


def test_a_member_of_another_workspace_cannot_add_tasks_or_opt_out(client, lead):
    client.force_login(MembershipFactory(role=Role.ADMIN).user)
    assert client.post(task_url(lead), {"title": "x", "nonce": str(uuid4())}).status_code == 404
    assert client.post(opt_out_url(lead)).status_code == 404


def reply_url(lead):
    return reverse("lead_log_reply", args=[lead.workspace.public_id, lead.pk])


def test_a_reply_logged_on_the_page_is_read_like_any_other_and_auto_booked(
    as_role, lead, offer, booking_provider_env, django_capture_on_commit_callbacks
):
    client = as_role(Role.INBOX_MANAGER)
    form = {"channel": "phone", "body": "Option 2 works for me", "nonce": str(uuid4())}
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(reply_url(lead), form, follow=True)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reply_url(lead), form)  # the same form sent twice

    assert "Reply logged" in first.content.decode()
    assert lead.inbound_messages.count() == 1
    appointment = Appointment.objects.get(lead=lead)
    assert (appointment.start_at, appointment.source) == (TUE_11_EST, "auto_book")
    assert booking_provider_env.book_calls() == 1


def test_an_empty_logged_reply_is_refused_with_the_reason(as_role, lead):
    response = as_role(Role.SETTER).post(
        reply_url(lead), {"channel": "email", "body": "  ", "nonce": str(uuid4())}, follow=True
    )

    assert "The reply was not logged: This field is required." in response.content.decode()
    assert lead.inbound_messages.count() == 0


def test_a_reply_cannot_be_logged_on_another_workspaces_lead(client, lead):
    client.force_login(MembershipFactory(role=Role.ADMIN).user)  # a member elsewhere
    form = {"channel": "email", "body": "Option 1", "nonce": str(uuid4())}

    assert client.post(reply_url(lead), form).status_code == 404
    assert lead.inbound_messages.count() == 0
