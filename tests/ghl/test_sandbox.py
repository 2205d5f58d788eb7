"""The GHL sandbox (``ghl.sandbox``) speaks GHL's documented API to the real client."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from ghl.client import SLOT_TAKEN_TEXT, GhlClient
from ghl.sandbox.mock import GhlSandbox
from ghl.sandbox.records import BASE, CALENDAR, LOCATION, SLOT_TAKEN, TOKEN
from integrations.errors import ProviderAuthError, ProviderUnavailable, SlotTaken

NEW_YORK = ZoneInfo("America/New_York")
DAY = 86_400_000  # in milliseconds, as GHL's ranges are


@pytest.fixture
def sandbox():
    fake = GhlSandbox().start()
    yield fake
    fake.stop()


@pytest.fixture
def client(sandbox):
    with GhlClient(TOKEN, LOCATION, base_url=BASE, sleep=lambda seconds: None) as ghl:
        yield ghl


@pytest.fixture
def start():
    tomorrow = datetime.now(NEW_YORK).date() + timedelta(days=1)
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, 10, tzinfo=NEW_YORK)


def headers(**extra):
    return {"Authorization": f"Bearer {TOKEN}", "Version": "2021-04-15", **extra}


def test_the_slot_taken_answer_is_the_one_the_client_recognises():
    assert SLOT_TAKEN_TEXT in SLOT_TAKEN.lower()


def test_free_slots_are_keyed_by_date_in_the_zone_asked_for(sandbox, client, start):
    sandbox.make_free(start)
    sandbox.make_free(start + timedelta(hours=1))
    slots = client.free_slots(
        CALENDAR, start - timedelta(hours=2), start + timedelta(days=1), "UTC"
    )
    assert [slot.raw for slot in slots] == [
        start.astimezone(UTC).isoformat(timespec="seconds"),
        (start + timedelta(hours=1)).astimezone(UTC).isoformat(timespec="seconds"),
    ]
    ms = int(start.timestamp() * 1000)
    answer = httpx.get(
        f"{BASE}/calendars/{CALENDAR}/free-slots",
        params={"startDate": ms, "endDate": ms + 86_400_000, "timezone": "America/New_York"},
        headers=headers(),
    )
    assert answer.json()[start.date().isoformat()] == {
        "slots": [start.isoformat(), (start + timedelta(hours=1)).isoformat()]
    }


def test_a_booking_takes_the_time_and_ghl_keeps_its_webhook(sandbox, client, start):
    sandbox.make_free(start)
    contact = client.upsert_contact(email="lee@example.com", first_name="Lee").contact
    booked = client.create_appointment(CALENDAR, contact.id, start.isoformat())
    assert (booked.start, booked.end, booked.status) == (
        start,
        start + timedelta(minutes=30),
        "confirmed",
    )
    assert client.free_slots(CALENDAR, start, start + timedelta(hours=1), "UTC") == []
    with pytest.raises(SlotTaken):
        client.create_appointment(CALENDAR, contact.id, start.isoformat())
    assert client.get_appointment(booked.id).id == booked.id
    assert [a.id for a in client.events(CALENDAR, start, start + timedelta(hours=1))] == [booked.id]
    [notice] = sandbox.take_notices()
    assert notice["type"] == "AppointmentCreate" and notice["appointment"]["id"] == booked.id


def test_cancelling_frees_the_time_and_sends_an_update(sandbox, client, start):
    sandbox.make_free(start)
    contact = client.upsert_contact(email="lee@example.com").contact
    booked = client.create_appointment(CALENDAR, contact.id, start.isoformat())
    assert client.cancel_appointment(booked.id).status == "cancelled"
    assert [
        slot.start for slot in client.free_slots(CALENDAR, start, start + timedelta(hours=1), "UTC")
    ] == [start]
    assert [n["type"] for n in sandbox.take_notices()] == ["AppointmentCreate", "AppointmentUpdate"]


def test_someone_else_taking_the_time_is_a_slot_taken(sandbox, client, start):
    sandbox.make_free(start)
    contact = client.upsert_contact(email="lee@example.com").contact
    sandbox.lose_next_slot_to_someone_else()
    with pytest.raises(SlotTaken):
        client.create_appointment(CALENDAR, contact.id, start.isoformat())
    assert sandbox.bookings_of_leads() == []
    assert [a["contactId"] for a in sandbox.appointments_of(sandbox.state.other["id"])] != []


def test_an_unreachable_ghl_refuses_every_try_of_one_call_then_answers(sandbox, client, start):
    sandbox.make_free(start)
    contact = client.upsert_contact(email="lee@example.com").contact
    sandbox.unreachable_for_next_booking(3)
    with pytest.raises(ProviderUnavailable):
        client.create_appointment(CALENDAR, contact.id, start.isoformat())
    assert sandbox.book_requests == []
    assert client.create_appointment(CALENDAR, contact.id, start.isoformat()).start == start


def test_a_timeout_after_booking_leaves_the_booking_made(sandbox, client, start):
    sandbox.make_free(start)
    contact = client.upsert_contact(email="lee@example.com").contact
    sandbox.time_out_next_booking(after_booking=True)
    with pytest.raises(ProviderUnavailable) as caught:
        client.create_appointment(CALENDAR, contact.id, start.isoformat())
    assert caught.value.outcome_unknown
    assert len(sandbox.bookings_of_leads()) == 1


def test_a_wrong_token_is_refused(sandbox, start):
    wrong = GhlClient("pit-wrong", LOCATION, base_url=BASE, sleep=lambda s: None)
    with wrong, pytest.raises(ProviderAuthError):
        wrong.calendars()


@pytest.mark.parametrize(
    ("path", "params", "extra", "status", "says"),
    [
        ("/calendars/", {"locationId": LOCATION}, {"Version": ""}, 400, "version header"),
        (f"/calendars/{CALENDAR}/free-slots", {"startDate": "x"}, {}, 422, "startDate"),
        (
            f"/calendars/{CALENDAR}/free-slots",
            {"startDate": 0, "endDate": 40 * 86_400_000},
            {},
            422,
            "31 days",
        ),
        ("/calendars/nope/free-slots", {}, {}, 404, "Calendar not found"),
        ("/calendars/events", {"locationId": LOCATION}, {}, 422, "calendarId"),
        ("/contacts/unknown1", {}, {}, 404, "Contact not found"),
    ],
)
def test_bad_calls_answer_ghls_error_shape(sandbox, path, params, extra, status, says):
    answer = httpx.get(f"{BASE}{path}", params=params, headers=headers(**extra))
    assert answer.status_code == status
    body = answer.json()
    assert body["statusCode"] == status and says in body["message"] and body["traceId"]
