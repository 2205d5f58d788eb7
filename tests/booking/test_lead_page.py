import pytest
from django.urls import reverse

from booking.models import Appointment, BookingAttempt, Offer
from booking.tasks import auto_book
from integrations.errors import SlotTaken
from tests.factories import MembershipFactory
from workspaces.models import Membership

from .conftest import TUE_11_EST, messages_to, reply

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
    booking_provider_env.fail_next_book_with(SlotTaken("That time is no longer free."))
    auto_book(reply(lead, "Option 2 works for me").pk)

    response = as_role(Role.SETTER).get(page(lead))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Option 2 works for me" in html  # the lead's reply
    assert "Mon Dec 2, 2030 · 9:00 AM CST" in html  # the fresh open offer, lead's zone
    assert "That time is no longer free." in html  # why the attempt failed
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


def test_only_posts_change_anything(as_role, lead, offer):
    client = as_role(Role.SETTER)
    assert client.get(book_url(lead, offer.slots.first())).status_code == 405
    assert client.get(offer_url(lead)).status_code == 405
