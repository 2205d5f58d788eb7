import datetime as dt

import pytest

from booking.models import Offer
from booking.offers import NoFreeTimes, OfferChanged, OfferRefused, offer_times
from workspaces.models import Lead

from .conftest import NOW
from .envs import for_providers_that

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def at(day, hour, minute=0):
    """A UTC instant on December ``day`` 2030 (November when day > 28)."""
    month = 11 if day > 28 else 12
    return dt.datetime(2030, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def calendar(booking_provider_env, frozen_now):
    return booking_provider_env


def test_offer_spreads_over_days_in_the_leads_zone_with_its_abbreviation(lead, calendar):
    for start in (at(2, 15), at(2, 16), at(2, 17), at(3, 16), at(4, 19)):
        calendar.make_free(start)

    offer = offer_times(lead=lead)

    starts = [slot.start_at for slot in offer.slots.all()]
    assert starts == [at(2, 15), at(3, 16), at(4, 19)]  # one per day, earliest first
    assert "1) Mon Dec 2, 9:00 AM CST" in offer.text
    assert "2) Tue Dec 3, 10:00 AM CST" in offer.text
    assert "3) Wed Dec 4, 1:00 PM CST" in offer.text
    assert offer.state == Offer.State.OPEN and offer.timezone == "America/Chicago"


@for_providers_that("keeps_slot_strings")
def test_offered_slot_keeps_the_providers_own_string(lead, calendar):
    calendar.make_free(at(2, 15))
    slot = offer_times(lead=lead, count=1).slots.get()
    assert slot.provider_value == calendar.slot_string(at(2, 15), timezone=lead.timezone)


def test_fills_from_the_same_day_when_there_are_too_few_days(lead, calendar):
    for start in (at(2, 15), at(2, 18), at(3, 16)):
        calendar.make_free(start)
    offer = offer_times(lead=lead, count=3)
    assert [s.start_at for s in offer.slots.all()] == [at(2, 15), at(2, 18), at(3, 16)]


def test_only_business_hours_window_and_notice(lead, calendar, workspace):
    calendar.make_free(NOW + dt.timedelta(minutes=60))  # inside the 2-hour notice
    calendar.make_free(at(2, 13))  # 8:00 AM in New York: before business hours
    calendar.make_free(at(2, 22))  # 5:00 PM in New York: business hours are over
    calendar.make_free(at(7, 15))  # beyond the 7-day window (Dec 6, 12:00 UTC)
    calendar.make_free(at(3, 16))
    offer = offer_times(lead=lead)
    assert [s.start_at for s in offer.slots.all()] == [at(3, 16)]


def test_never_before_seven_in_the_morning_for_the_lead(workspace, calendar):
    from tests.factories import LeadFactory

    west = LeadFactory(workspace=workspace, timezone="America/Los_Angeles")
    calendar.make_free(at(2, 14))  # 9:00 AM New York, 6:00 AM Los Angeles
    calendar.make_free(at(2, 17))  # 12:00 PM New York, 9:00 AM Los Angeles
    offer = offer_times(lead=west)
    assert [s.start_at for s in offer.slots.all()] == [at(2, 17)]
    assert "Mon Dec 2, 9:00 AM PST" in offer.text


def test_falls_back_to_the_workspace_zone(workspace, calendar):
    from tests.factories import LeadFactory

    lead = LeadFactory(workspace=workspace, timezone="")
    calendar.make_free(at(2, 15))
    offer = offer_times(lead=lead)
    assert offer.timezone == "America/New_York"
    assert "Mon Dec 2, 10:00 AM EST" in offer.text


def test_new_offer_supersedes_the_open_one(lead, calendar):
    calendar.make_free(at(2, 15))
    first = offer_times(lead=lead)
    second = offer_times(lead=lead)
    first.refresh_from_db()
    assert first.state == Offer.State.SUPERSEDED
    assert list(Offer.objects.filter(lead=lead, state="open")) == [second]


def test_a_second_click_does_not_make_a_second_offer(lead, calendar):
    calendar.make_free(at(2, 15))
    seen = offer_times(lead=lead).pk
    offer_times(lead=lead, replacing=seen)
    with pytest.raises(OfferChanged):
        offer_times(lead=lead, replacing=seen)
    assert Offer.objects.filter(lead=lead).count() == 2


def test_opted_out_lead_is_never_offered_times(lead, calendar):
    calendar.make_free(at(2, 15))
    lead.status = Lead.Status.OPTED_OUT
    lead.save()
    with pytest.raises(OfferRefused, match="opted out"):
        offer_times(lead=lead)
    assert not Offer.objects.exists()


def test_no_free_time_says_so(lead, calendar):
    with pytest.raises(NoFreeTimes, match="no free time"):
        offer_times(lead=lead)


def test_sending_an_offer_starts_the_no_response_nudges(lead, calendar):
    from booking.offers import send_offer
    from followups.models import Enrollment

    calendar.make_free(at(2, 15))
    offer = offer_times(lead=lead)
    send_offer(offer=offer, channel="sms")

    enrollment = Enrollment.objects.get(lead=lead)
    assert enrollment.sequence.trigger == "no_response" and enrollment.state == "active"
