import datetime as dt
import json

import pytest

from booking.matching import remember_identity
from followups.errors import ProviderAuthError, SlotTaken
from ghl.provider import GhlProvider
from integrations.providers import BookingRef, Slot
from tests.factories import LeadFactory
from tests.ghl.conftest import APPOINTMENT, CALENDAR, CONTACT, LOCATION, ghl_error
from tests.ghl.helpers import load_fixture
from workspaces.models import LeadIdentity

pytestmark = pytest.mark.django_db

TEN_AM = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)  # 10:00 in New York
APPOINTMENTS = "/calendars/events/appointments"


@pytest.fixture
def provider(workspace, account):
    return GhlProvider(workspace, account=account)


@pytest.fixture
def known_lead(workspace):
    lead = LeadFactory(workspace=workspace, email="jordan.lee@example.com")
    remember_identity(lead=lead, provider="ghl", external_id=CONTACT)
    return lead


@pytest.fixture
def reauth(stored_connection):
    """The stored connection, to see whether a refused token marked it for re-authorisation."""
    return stored_connection


def needs_reauth(stored) -> bool:
    stored.refresh_from_db()
    return stored.status == "needs_reauth"


def test_available_slots_keep_ghls_own_strings(api, provider):
    route = api.get(f"/calendars/{CALENDAR}/free-slots").respond(
        json=load_fixture("free_slots_response.json")
    )
    start = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    slots = provider.available_slots(
        start=start, end=start + dt.timedelta(days=2), timezone="America/Chicago"
    )
    assert route.calls[0].request.url.params["timezone"] == "America/Chicago"
    assert slots[0] == Slot(
        start=TEN_AM,
        end=TEN_AM + dt.timedelta(minutes=30),
        provider_value="2026-12-01T10:00:00-05:00",
    )
    assert len(slots) == 5


def test_book_sends_the_slot_string_free_slots_gave(api, provider, known_lead):
    api.get("/calendars/events").respond(json={"events": []})
    api.get(f"/calendars/{CALENDAR}/free-slots").respond(
        json=load_fixture("free_slots_response.json")
    )
    create = api.post(APPOINTMENTS).respond(json=load_fixture("appointment_create_response.json"))

    result = provider.book(lead=known_lead, start=TEN_AM, idempotency_key="attempt-1")

    sent = json.loads(create.calls[0].request.content)
    assert sent["startTime"] == "2026-12-01T10:00:00-05:00"
    assert sent["contactId"] == CONTACT
    assert sent["calendarId"] == CALENDAR and sent["locationId"] == LOCATION
    assert result.ref == BookingRef(provider="ghl", external_id=APPOINTMENT)
    assert result.start == TEN_AM


def test_book_uses_the_callers_stored_slot_string_without_asking_again(api, provider, known_lead):
    api.get("/calendars/events").respond(json={"events": []})
    slots = api.get(f"/calendars/{CALENDAR}/free-slots").respond(json={})
    create = api.post(APPOINTMENTS).respond(json=load_fixture("appointment_create_response.json"))

    provider.book(
        lead=known_lead,
        start=TEN_AM,
        idempotency_key="attempt-1",
        provider_value="2026-12-01T09:00:00-06:00",
    )

    assert not slots.called
    assert json.loads(create.calls[0].request.content)["startTime"] == "2026-12-01T09:00:00-06:00"


def test_book_writes_the_start_in_the_locations_zone_when_no_slot_string_is_found(
    api, provider, known_lead
):
    api.get("/calendars/events").respond(json={"events": []})
    api.get(f"/calendars/{CALENDAR}/free-slots").respond(json={"traceId": "x"})
    create = api.post(APPOINTMENTS).respond(json=load_fixture("appointment_create_response.json"))

    provider.book(lead=known_lead, start=TEN_AM, idempotency_key="attempt-1")

    assert json.loads(create.calls[0].request.content)["startTime"] == "2026-12-01T10:00:00-05:00"


def test_book_creates_the_contact_first_and_remembers_it(api, provider, workspace):
    lead = LeadFactory(workspace=workspace, email="new.person@example.com", phone="")
    lookup = api.get("/contacts/search/duplicate").respond(json={"contact": None})
    upsert = api.post("/contacts/upsert").respond(json=load_fixture("contact_upsert_response.json"))
    api.get("/calendars/events").respond(json={"events": []})
    api.get(f"/calendars/{CALENDAR}/free-slots").respond(
        json=load_fixture("free_slots_response.json")
    )
    api.post(APPOINTMENTS).respond(json=load_fixture("appointment_create_response.json"))

    provider.book(lead=lead, start=TEN_AM, idempotency_key="attempt-1")

    assert lookup.called
    assert json.loads(upsert.calls[0].request.content)["email"] == "new.person@example.com"
    contact_id = load_fixture("contact_upsert_response.json")["contact"]["id"]
    assert LeadIdentity.objects.filter(lead=lead, provider="ghl", external_id=contact_id).exists()


def test_book_finds_an_existing_contact_instead_of_creating_one(api, provider, workspace):
    lead = LeadFactory(workspace=workspace, email="jordan.lee@example.com")
    api.get("/contacts/search/duplicate").respond(
        json=load_fixture("contact_duplicate_response.json")
    )
    upsert = api.post("/contacts/upsert").respond(json={})
    api.get("/calendars/events").respond(json={"events": []})
    api.get(f"/calendars/{CALENDAR}/free-slots").respond(
        json=load_fixture("free_slots_response.json")
    )
    api.post(APPOINTMENTS).respond(json=load_fixture("appointment_create_response.json"))

    provider.book(lead=lead, start=TEN_AM, idempotency_key="attempt-1")

    assert not upsert.called
    assert LeadIdentity.objects.filter(lead=lead, external_id=CONTACT).exists()


def test_a_retried_booking_finds_its_own_appointment_instead_of_booking_twice(
    api, provider, known_lead
):
    api.get("/calendars/events").respond(json=load_fixture("events_response.json"))
    create = api.post(APPOINTMENTS).respond(json={})

    result = provider.book(lead=known_lead, start=TEN_AM, idempotency_key="attempt-1")

    assert not create.called
    assert result.ref.external_id == APPOINTMENT


def test_a_taken_slot_is_reported_as_slot_taken(api, provider, known_lead):
    api.get("/calendars/events").respond(json={"events": []})
    api.get(f"/calendars/{CALENDAR}/free-slots").respond(json={})
    api.post(APPOINTMENTS).mock(
        return_value=ghl_error(400, "The slot you have selected is no longer available.")
    )
    with pytest.raises(SlotTaken):
        provider.book(lead=known_lead, start=TEN_AM, idempotency_key="attempt-1")


def test_a_revoked_token_marks_the_connection_for_reauth(api, provider, known_lead, reauth):
    api.get("/calendars/events").mock(return_value=ghl_error(401, "Invalid JWT"))
    with pytest.raises(ProviderAuthError):
        provider.book(lead=known_lead, start=TEN_AM, idempotency_key="attempt-1")
    assert needs_reauth(reauth)


def test_cancel_marks_the_appointment_cancelled(api, provider):
    route = api.put(f"{APPOINTMENTS}/{APPOINTMENT}").respond(
        json={**load_fixture("appointment_create_response.json"), "appointmentStatus": "cancelled"}
    )
    provider.cancel(ref=BookingRef(provider="ghl", external_id=APPOINTMENT))
    assert json.loads(route.calls[0].request.content) == {"appointmentStatus": "cancelled"}


def test_cancelling_an_appointment_ghl_no_longer_has_is_done(api, provider):
    api.put(f"{APPOINTMENTS}/{APPOINTMENT}").mock(return_value=ghl_error(404, "Not found"))
    provider.cancel(ref=BookingRef(provider="ghl", external_id=APPOINTMENT))


def test_find_booking_returns_the_leads_live_appointment(api, provider, known_lead):
    api.get("/calendars/events").respond(json=load_fixture("events_response.json"))
    found = provider.find_booking(lead=known_lead, start=TEN_AM)
    assert found.ref.external_id == APPOINTMENT and found.start == TEN_AM


def test_find_booking_ignores_cancelled_and_other_contacts(api, provider, workspace):
    lead = LeadFactory(workspace=workspace)
    remember_identity(lead=lead, provider="ghl", external_id="Hq2xR7sVb9Nc4Mk1Lp8T")
    api.get("/calendars/events").respond(json=load_fixture("events_response.json"))
    assert provider.find_booking(lead=lead) is None


def test_find_booking_without_a_contact_at_ghl_is_none(api, provider, workspace):
    lead = LeadFactory(workspace=workspace, email="nobody@example.com")
    api.get("/contacts/search/duplicate").respond(json={"contact": None})
    events = api.get("/calendars/events").respond(json={"events": []})
    assert provider.find_booking(lead=lead) is None
    assert not events.called


def test_check_connection_reports_location_and_calendar(api, provider):
    api.get(f"/locations/{LOCATION}").respond(
        json={"location": {"id": LOCATION, "name": "Acme", "timezone": "America/New_York"}}
    )
    api.get("/calendars/").respond(json=load_fixture("calendars_response.json"))
    report = provider.check_connection()
    assert report.ok
    assert "Discovery Call" in report.summary


def test_check_connection_with_a_missing_calendar_says_what_to_do(api, workspace, account):
    api.get(f"/locations/{LOCATION}").respond(json={"location": {"id": LOCATION}})
    api.get("/calendars/").respond(json={"calendars": []})
    report = GhlProvider(workspace, account=account).check_connection()
    assert not report.ok and "Integrations tab" in report.summary


def test_check_connection_with_a_revoked_token_needs_reauth(api, provider, reauth):
    api.get(f"/locations/{LOCATION}").mock(return_value=ghl_error(401, "Invalid JWT"))
    report = provider.check_connection()
    assert not report.ok and "reconnect" in report.summary
    assert needs_reauth(reauth)


def test_slots_are_plain_slots_to_callers(api, provider):
    api.get(f"/calendars/{CALENDAR}/free-slots").respond(
        json={"2026-12-01": {"slots": ["2026-12-01T10:00:00-05:00"]}}
    )
    start = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    (slot,) = provider.available_slots(
        start=start, end=start + dt.timedelta(days=1), timezone="America/New_York"
    )
    assert slot.start == TEN_AM and slot.provider_value


def test_nothing_is_sent_for_a_lead_without_email_or_phone(api, provider, workspace):
    lead = LeadFactory(workspace=workspace, email="", phone="")
    with pytest.raises(Exception) as caught:
        provider.book(lead=lead, start=TEN_AM, idempotency_key="attempt-1")
    assert "e-mail" in str(caught.value)
    assert not api.calls


def test_ghl_declines_to_send_a_scheduling_link(api, provider, known_lead):
    # GHL books every lead directly, so it has no link to offer instead (and asks GHL nothing).
    assert provider.scheduling_link(lead=known_lead) is None
    assert not api.calls
