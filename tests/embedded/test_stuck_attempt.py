"""A lead whose booking attempt has not ended (pending, or its outcome unknown) can't be booked
twice: the lead page's buttons say why and refuse, and the booking API answers 409 with the same
reason, until the attempt resolves by itself."""

import datetime as dt

import pytest
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework_api_key.models import APIKey

from booking.models import BookingAttempt, Offer
from booking.tasks import auto_book, resolve_unknown_attempts
from tests.booking.conftest import reply
from tests.factories import MembershipFactory
from workspaces.models import Membership

pytestmark = [
    pytest.mark.django_db,
    # The refusal is above the provider: one calendar is enough.
    pytest.mark.parametrize("booking_provider_env", ["fake"], indirect=True),
]


@pytest.fixture
def setter(client, workspace, frozen_now):  # logged in on the frozen clock
    client.force_login(MembershipFactory(workspace=workspace, role=Membership.Role.SETTER).user)
    return client


@pytest.fixture
def stuck(lead, offer, booking_provider_env):
    """The lead said "Option 2" and the calendar timed out: the outcome is unknown."""
    booking_provider_env.time_out_next_book(booked=False)
    auto_book(reply(lead, "Option 2 works for me").pk)
    attempt = BookingAttempt.objects.get(lead=lead)
    assert attempt.state == BookingAttempt.State.UNKNOWN
    return attempt


def page(lead):
    return reverse("lead_detail", args=[lead.workspace.public_id, lead.pk])


def test_the_lead_page_says_why_it_wont_book_and_refuses_a_click(
    setter, lead, offer, stuck, booking_provider_env
):
    response = setter.get(page(lead))
    assert response.status_code == 200, response
    html = response.content.decode()
    assert f"Booking attempt #{stuck.pk} for this lead has not ended" in html
    assert "Book this time" not in html and "Offer new times" in html
    assert html.count(f"Booking #{stuck.pk} not ended yet") == 3  # one disabled button a time

    other = offer.slots.get(index=1)
    url = reverse("lead_book_slot", args=[lead.workspace.public_id, lead.pk, other.pk])
    answer = setter.post(url, follow=True).content.decode()
    assert "the calendar did not answer, and we are asking it whether the booking was made" in (
        answer
    )
    made = setter.post(
        reverse("lead_make_offer", args=[lead.workspace.public_id, lead.pk]), follow=True
    )
    assert f"Booking attempt #{stuck.pk}" in made.content.decode()

    assert booking_provider_env.book_calls() == 1  # the stuck one, never a second
    assert BookingAttempt.objects.filter(lead=lead).count() == 1
    assert Offer.objects.filter(lead=lead).count() == 1


def test_the_booking_api_refuses_an_offer_with_the_same_reason(lead, stuck):
    _, key = APIKey.objects.create_key(name="agency backend")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    response = api.post(
        f"/api/workspaces/{lead.workspace.public_id}/leads/{lead.pk}/offers",
        {"send": True},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["detail"].startswith(
        f"Booking attempt #{stuck.pk} for this lead has not ended"
    )
    assert Offer.objects.filter(lead=lead).count() == 1


def test_the_buttons_come_back_once_the_attempt_resolved_by_itself(setter, lead, stuck, frozen_now):
    for _ in range(20):  # the beat job, every 2 minutes, until the calendar says "no booking"
        frozen_now.shift(dt.timedelta(minutes=2))
        resolve_unknown_attempts()
        if BookingAttempt.objects.get(pk=stuck.pk).state == BookingAttempt.State.FAILED:
            break
    assert BookingAttempt.objects.get(pk=stuck.pk).state == BookingAttempt.State.FAILED
    html = setter.get(page(lead)).content.decode()
    assert "has not ended" not in html and "Offer new times" in html
