"""A lead with a meeting still to come is not offered times: the page says why instead."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from booking.models import Offer
from tests.factories import AppointmentFactory, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def setter(client, workspace):
    client.force_login(MembershipFactory(workspace=workspace, role="setter").user)
    return client


def test_the_page_offers_no_times_to_a_lead_with_a_live_meeting(setter, lead):
    AppointmentFactory(lead=lead, start_at=timezone.now() + dt.timedelta(days=2))

    html = setter.get(reverse("lead_detail", args=[lead.workspace.public_id, lead.pk])).content

    assert b"Make an offer" not in html
    assert b"No offer needed: this lead has a meeting booked for" in html


def test_posting_an_offer_anyway_makes_none(setter, lead):
    AppointmentFactory(lead=lead, start_at=timezone.now() + dt.timedelta(days=2))

    response = setter.post(
        reverse("lead_make_offer", args=[lead.workspace.public_id, lead.pk]), follow=True
    )

    assert "already has a meeting booked" in response.content.decode()
    assert not Offer.objects.filter(lead=lead).exists()


def test_a_past_or_canceled_meeting_leaves_the_offer_button(setter, lead):
    AppointmentFactory(lead=lead, start_at=timezone.now() - dt.timedelta(days=2))
    AppointmentFactory(lead=lead, start_at=timezone.now() + dt.timedelta(days=2), status="canceled")

    html = setter.get(reverse("lead_detail", args=[lead.workspace.public_id, lead.pk])).content

    assert b"Make an offer" in html
