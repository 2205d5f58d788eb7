"""``CalendlyProvider`` against the sandbox: free times, booking through the Scheduling API (its
webhook then changes nothing), the link fallback for everything the API can't do, a lost answer
resolved by ``find_booking``, cancel, and a refused token."""

import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from booking.lifecycle import record_booked
from booking.models import Appointment
from calendly.provider import CalendlyProvider
from followups.errors import (
    DirectBookingUnavailable,
    ProviderAuthError,
    ProviderUnavailable,
    SlotTaken,
)
from integrations.models import Connection
from integrations.providers import Slot, get_provider
from tests.calendly.helpers import STRATEGY, feed
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

MEETING = timedelta(minutes=30)


def later(hours: int) -> datetime:
    """A whole hour some time from now (any hour: the sandbox frees exactly what we say)."""
    return (datetime.now(UTC) + timedelta(days=2, hours=hours)).replace(
        minute=0, second=0, microsecond=0
    )


@pytest.fixture
def free(calendly_connected):
    times = [later(0), later(1), later(3)]
    calendly_connected.config(availability=[t.isoformat() for t in times])
    return times


@pytest.fixture
def provider(workspace, calendly_connected):
    return CalendlyProvider(workspace)


@pytest.fixture
def lead(workspace):
    return LeadFactory(
        workspace=workspace,
        first_name="Jordan",
        last_name="Lee",
        email="jordan.lee@example.com",
        timezone="America/Chicago",
    )


def invitee_at(sandbox, start):
    found = [
        i
        for i in sandbox.state()["invitees"]
        if i["status"] == "active"
        and any(
            e["uri"] == i["event"] and e["start_time"].startswith(start.strftime("%Y-%m-%dT%H:%M"))
            for e in sandbox.state()["scheduled_events"]
        )
    ]
    return found[0] if found else None


def test_free_times_come_with_the_event_types_length(provider, free):
    slots = provider.available_slots(
        start=free[0] - timedelta(hours=1), end=free[-1] + timedelta(hours=1), timezone="UTC"
    )

    assert slots == [Slot(start=t, end=t + MEETING) for t in free]


def test_booking_carries_the_lead_and_its_webhook_changes_nothing(
    client, workspace, provider, free, lead, calendly_connected, calendly_receiver, on_commit
):
    result = provider.book(lead=lead, start=free[1], idempotency_key="k-1")
    record_booked(
        workspace=workspace,
        lead=lead,
        ref=result.ref,
        start=result.start,
        end=result.end,
        source="auto_book",
    )
    with on_commit():
        answer = feed(client, calendly_receiver.next())

    booked = invitee_at(calendly_connected, free[1])
    appointment = Appointment.objects.get()
    assert (result.ref.external_id, result.ref.secondary_id) == (booked["uri"], booked["event"])
    assert (result.start, result.end) == (free[1], free[1] + MEETING)
    assert (booked["name"], booked["email"], booked["timezone"]) == (
        "Jordan Lee",
        "jordan.lee@example.com",
        "America/Chicago",
    )
    assert booked["tracking"]["utm_content"] == str(lead.pk)
    assert answer.status_code == 200
    assert (appointment.source, appointment.status) == ("auto_book", "booked")


def test_a_taken_time_is_slot_taken(provider, free, lead, calendly_connected):
    calendly_connected.book(
        email="someone@example.com", name="Some One", start_time=free[0].isoformat()
    )

    with pytest.raises(SlotTaken):
        provider.book(lead=lead, start=free[0], idempotency_key="k-1")


def test_a_plan_without_the_scheduling_api_asks_for_a_link(
    provider, free, lead, calendly_connected
):
    calendly_connected.config(scheduling_api=False)

    with pytest.raises(DirectBookingUnavailable) as caught:
        provider.book(lead=lead, start=free[0], idempotency_key="k-1")

    assert "booking link" in caught.value.safe_message


def test_spent_booking_limits_ask_for_a_link_at_once(provider, free, lead, calendly_connected):
    calendly_connected.fail("POST", "/invitees", 429, headers={"X-RateLimit-Reset": "3600"})
    started = time.monotonic()

    with pytest.raises(DirectBookingUnavailable):
        provider.book(lead=lead, start=free[0], idempotency_key="k-1")

    assert time.monotonic() - started < 2  # no waiting for the limit to reset


def test_required_questions_ask_for_a_link_without_calling_calendly(
    workspace, calendly_connected, lead
):
    from calendly import connection

    connection.connect(
        workspace=workspace,
        data={"access_token": "", "event_type": calendly_connected.event_type_uri(STRATEGY)},
    )
    asked = calendly_connected.calls("POST", "/invitees")  # the scope check on connecting

    with pytest.raises(DirectBookingUnavailable) as caught:
        CalendlyProvider(workspace).book(lead=lead, start=later(0), idempotency_key="k-1")

    assert "What is your company's website?" in caught.value.safe_message
    assert calendly_connected.calls("POST", "/invitees") == asked


def test_a_lead_without_an_e_mail_asks_for_a_link(provider, free, workspace, calendly_connected):
    nameless = LeadFactory(workspace=workspace, email="", phone="+13125550199")
    asked = calendly_connected.calls("POST", "/invitees")

    with pytest.raises(DirectBookingUnavailable):
        provider.book(lead=nameless, start=free[0], idempotency_key="k-1")

    assert calendly_connected.calls("POST", "/invitees") == asked


def test_the_link_is_single_use_and_pre_filled_with_the_lead(provider, lead, calendly_connected):
    link = provider.scheduling_link(lead=lead)

    [made] = calendly_connected.state()["scheduling_links"]
    parts = urlsplit(link)
    assert link.startswith(made["booking_url"] + "?")
    assert made["owner"] == calendly_connected.event_type_uri()
    assert parse_qs(parts.query) == {
        "name": ["Jordan Lee"],
        "email": ["jordan.lee@example.com"],
        "utm_source": ["setterdesk"],
        "utm_content": [str(lead.pk)],
    }


def test_a_booking_whose_answer_was_lost_is_found_not_made_again(
    provider, free, lead, calendly_connected
):
    calendly_connected.fail("POST", "/invitees", 504, perform=True)
    asked = calendly_connected.calls("POST", "/invitees")

    with pytest.raises(ProviderUnavailable) as caught:
        provider.book(lead=lead, start=free[2], idempotency_key="k-1")
    found = provider.find_booking(lead=lead, start=free[2])

    assert caught.value.outcome_unknown
    assert found.ref.external_id == invitee_at(calendly_connected, free[2])["uri"]
    assert (found.start, found.end) == (free[2], free[2] + MEETING)
    assert calendly_connected.calls("POST", "/invitees") == asked + 1  # booked once, not twice


def test_find_booking_without_a_start_finds_the_next_one(provider, free, lead):
    assert provider.find_booking(lead=lead) is None
    provider.book(lead=lead, start=free[1], idempotency_key="k-1")

    found = provider.find_booking(lead=lead)

    assert found is not None and found.start == free[1]
    assert provider.find_booking(lead=lead, start=free[0]) is None  # not at another time


def test_cancel_cancels_at_calendly_and_twice_is_harmless(provider, free, lead, calendly_connected):
    result = provider.book(lead=lead, start=free[0], idempotency_key="k-1")

    provider.cancel(ref=result.ref, reason="The lead asked")
    provider.cancel(ref=result.ref, reason="The lead asked")

    [event] = calendly_connected.state()["scheduled_events"]
    assert event["status"] == "canceled"
    assert event["cancellation"]["reason"] == "The lead asked"


def test_a_refused_token_marks_the_connection_needs_reauth(
    provider, free, workspace, calendly_connected
):
    calendly_connected.fail("GET", "/event_type_available_times", 401, times=5)

    with pytest.raises(ProviderAuthError):
        provider.available_slots(start=free[0], end=free[-1], timezone="UTC")

    assert Connection.objects.get(workspace=workspace).status == "needs_reauth"


def test_the_registry_gives_calendly_when_it_books_for_the_workspace(workspace, calendly_connected):
    workspace.booking_provider = "calendly"
    workspace.save()

    assert isinstance(get_provider(workspace), CalendlyProvider)
