import datetime as dt
import json
import logging

import httpx
import pytest
import respx

from followups.errors import (
    ProviderAuthError,
    ProviderBadRequest,
    ProviderPermissionError,
    ProviderRateLimited,
    ProviderUnavailable,
    SlotTaken,
)
from ghl.client import GhlClient
from tests.ghl.helpers import load_fixture

BASE = "https://ghl.test"
TOKEN = "pit-7f3c9a1e-secret-token-value"
LOCATION = "ve9EPM428h8vShlRW1KT"
CALENDAR = "sV3BiXrjzbfo1tSUdyHO"
EVENT = "ocQHyuzHvysMo5N5VsXc"
CONTACT = "9NkT25Vor1v4aQatFsv2"
CALENDARS_VERSION = "2021-04-15"
CONTACTS_VERSION = "2021-07-28"
APPOINTMENTS = "/calendars/events/appointments"


@pytest.fixture(autouse=True)
def _versions(settings):
    settings.GHL_API_VERSION_CALENDARS = CALENDARS_VERSION
    settings.GHL_API_VERSION_CONTACTS = CONTACTS_VERSION


@pytest.fixture
def api():
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        yield mock


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def client(sleeps):
    with GhlClient(TOKEN, LOCATION, base_url=BASE, sleep=sleeps.append) as ghl:
        yield ghl


def error(status, message, **headers):
    body = {"statusCode": status, "message": message, "error": "Error", "traceId": "t-1"}
    return httpx.Response(status, json=body, headers=headers)


def sent_json(route, index=-1):
    return json.loads(route.calls[index].request.content)


# Happy paths


def test_location_gives_name_and_time_zone_with_contacts_version(api, client):
    route = api.get(f"/locations/{LOCATION}").respond(
        json={"location": {"id": LOCATION, "name": "Acme Appts", "timezone": "America/New_York"}}
    )

    location = client.location()

    assert (location.name, location.timezone) == ("Acme Appts", "America/New_York")
    request = route.calls.last.request
    assert request.headers["Version"] == CONTACTS_VERSION
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_calendars_lists_the_locations_calendars_with_calendars_version(api, client):
    route = api.get("/calendars/", params={"locationId": LOCATION}).respond(
        json=load_fixture("calendars_response.json")
    )

    calendars = client.calendars()

    assert [(c.name, c.is_active, c.slot_duration) for c in calendars] == [
        ("Discovery Call", True, 30),
        ("Old Intro Call", False, 15),
    ]
    assert route.calls.last.request.headers["Version"] == CALENDARS_VERSION


def test_free_slots_come_back_in_utc_with_ghl_strings_kept(api, client):
    route = api.get(f"/calendars/{CALENDAR}/free-slots").respond(
        json=load_fixture("free_slots_response.json")
    )
    start = dt.datetime(2026, 12, 1, 5, 0, tzinfo=dt.UTC)

    slots = client.free_slots(CALENDAR, start, start + dt.timedelta(days=2), "America/New_York")

    assert slots[0].start == dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)
    assert slots[0].raw == "2026-12-01T10:00:00-05:00"
    assert [s.raw for s in slots][-1] == "2026-12-02T15:30:00-05:00"
    assert len(slots) == 5
    params = route.calls.last.request.url.params
    assert params["startDate"] == str(int(start.timestamp() * 1000))
    assert params["timezone"] == "America/New_York"
    assert route.calls.last.request.headers["Version"] == CALENDARS_VERSION


def test_free_slots_outside_the_asked_window_are_dropped(api, client):
    api.get(f"/calendars/{CALENDAR}/free-slots").respond(
        json=load_fixture("free_slots_response.json")
    )
    start = dt.datetime(2026, 12, 1, 15, 15, tzinfo=dt.UTC)  # after the 10:00 EST slot
    end = dt.datetime(2026, 12, 2, 0, 0, tzinfo=dt.UTC)

    slots = client.free_slots(CALENDAR, start, end, "America/New_York")

    assert [s.raw for s in slots] == ["2026-12-01T10:30:00-05:00", "2026-12-01T14:00:00-05:00"]


def test_free_slots_over_31_days_are_asked_in_pieces_and_merged(api, client):
    route = api.get(f"/calendars/{CALENDAR}/free-slots").mock(
        side_effect=[
            httpx.Response(200, json=load_fixture("free_slots_response.json")),
            httpx.Response(200, json={"2027-01-05": {"slots": ["2027-01-05T09:00:00-05:00"]}}),
        ]
    )
    start = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    end = start + dt.timedelta(days=45)

    slots = client.free_slots(CALENDAR, start, end, "America/New_York", user_id="u-1")

    assert len(slots) == 6
    assert slots[-1].raw == "2027-01-05T09:00:00-05:00"
    windows = [
        (int(c.request.url.params["startDate"]), int(c.request.url.params["endDate"]))
        for c in route.calls
    ]
    assert all(stop - begin <= 31 * 86_400_000 for begin, stop in windows)
    assert windows[0][1] == windows[1][0]
    assert windows[1][1] == int(end.timestamp() * 1000)
    assert route.calls.last.request.url.params["userId"] == "u-1"


def test_create_appointment_sends_the_slot_string_unchanged(api, client):
    route = api.post(APPOINTMENTS).respond(
        201, json=load_fixture("appointment_create_response.json")
    )

    appointment = client.create_appointment(
        CALENDAR, CONTACT, "2026-12-01T10:00:00-05:00", title="Discovery Call with Jordan Lee"
    )

    assert appointment.id == EVENT
    assert appointment.start == dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)
    assert appointment.status == "confirmed"
    assert sent_json(route) == {
        "calendarId": CALENDAR,
        "locationId": LOCATION,
        "contactId": CONTACT,
        "startTime": "2026-12-01T10:00:00-05:00",
        "title": "Discovery Call with Jordan Lee",
        "appointmentStatus": "confirmed",
    }
    assert route.calls.last.request.headers["Version"] == CALENDARS_VERSION


def test_get_appointment_reads_the_event_key(api, client):
    api.get(f"{APPOINTMENTS}/{EVENT}").respond(json=load_fixture("get_appointment_response.json"))

    appointment = client.get_appointment(EVENT)

    assert (appointment.id, appointment.contact_id) == (EVENT, CONTACT)
    assert appointment.end == dt.datetime(2026, 12, 1, 15, 30, tzinfo=dt.UTC)


def test_get_appointment_without_the_event_key_is_not_taken_for_an_answer(api, client):
    api.get(f"{APPOINTMENTS}/{EVENT}").respond(
        json={"appointment": load_fixture("appointment_create_response.json")}
    )

    with pytest.raises(ProviderUnavailable):
        client.get_appointment(EVENT)


def test_an_id_cannot_reach_another_endpoint(api, client):
    route = api.get(url__regex=r".*").respond(json=load_fixture("get_appointment_response.json"))

    client.get_appointment("../../contacts/x")

    assert route.calls.last.request.url.raw_path.startswith(f"{APPOINTMENTS}/..%2F".encode())


def test_cancel_appointment_puts_status_cancelled(api, client):
    cancelled = {
        **load_fixture("appointment_create_response.json"),
        "appointmentStatus": "cancelled",
    }
    route = api.put(f"{APPOINTMENTS}/{EVENT}").respond(json=cancelled)

    appointment = client.cancel_appointment(EVENT)

    assert appointment.is_cancelled
    assert sent_json(route) == {"appointmentStatus": "cancelled"}
    assert route.calls.last.request.headers["Version"] == CALENDARS_VERSION


def test_update_appointment_moves_it(api, client):
    moved = {
        **load_fixture("appointment_create_response.json"),
        "startTime": "2026-12-02T09:00:00-05:00",
        "endTime": "2026-12-02T09:30:00-05:00",
    }
    route = api.put(f"{APPOINTMENTS}/{EVENT}").respond(json=moved)

    appointment = client.update_appointment(
        EVENT, start_time="2026-12-02T09:00:00-05:00", end_time="2026-12-02T09:30:00-05:00"
    )

    assert appointment.start == dt.datetime(2026, 12, 2, 14, 0, tzinfo=dt.UTC)
    assert sent_json(route) == {
        "startTime": "2026-12-02T09:00:00-05:00",
        "endTime": "2026-12-02T09:30:00-05:00",
    }


def test_update_appointment_refuses_fields_it_does_not_know(client):
    with pytest.raises(TypeError):
        client.update_appointment(EVENT, startTime="2026-12-02T09:00:00-05:00")


def test_events_lists_appointments_for_reconciliation(api, client):
    route = api.get("/calendars/events").respond(json=load_fixture("events_response.json"))
    start = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)

    events = client.events(CALENDAR, start, start + dt.timedelta(days=7))

    assert [(e.id, e.status) for e in events] == [
        (EVENT, "confirmed"),
        ("Zr8pLq3WvTn6YcB1mKd0", "cancelled"),
    ]
    params = route.calls.last.request.url.params
    assert (params["locationId"], params["calendarId"]) == (LOCATION, CALENDAR)
    assert params["startTime"] == str(int(start.timestamp() * 1000))


def test_events_skips_an_unreadable_entry_and_keeps_the_rest(api, client):
    body = load_fixture("events_response.json")
    body["events"][0]["startTime"] = "next tuesday"
    api.get("/calendars/events").respond(json=body)
    start = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)

    events = client.events(CALENDAR, start, start + dt.timedelta(days=7))

    assert [e.id for e in events] == ["Zr8pLq3WvTn6YcB1mKd0"]


def test_find_contact_by_email(api, client):
    route = api.get("/contacts/search/duplicate").respond(
        json=load_fixture("contact_duplicate_response.json")
    )

    contact = client.find_contact(email="jordan.lee@example.com")

    assert (contact.id, contact.first_name) == (CONTACT, "Jordan")
    params = route.calls.last.request.url.params
    assert (params["locationId"], params["email"]) == (LOCATION, "jordan.lee@example.com")
    assert route.calls.last.request.headers["Version"] == CONTACTS_VERSION


def test_find_contact_falls_back_to_the_phone_number(api, client):
    route = api.get("/contacts/search/duplicate").mock(
        side_effect=[
            httpx.Response(200, json={"contact": None}),
            httpx.Response(200, json=load_fixture("contact_duplicate_response.json")),
        ]
    )

    contact = client.find_contact(email="new@example.com", phone="+15555550123")

    assert contact.id == CONTACT
    assert route.calls.last.request.url.params["number"] == "+15555550123"


def test_find_contact_none_when_ghl_has_no_match(api, client):
    api.get("/contacts/search/duplicate").respond(json={"contact": None})

    assert client.find_contact(phone="+15555550100") is None


def test_upsert_contact(api, client):
    route = api.post("/contacts/upsert").respond(json=load_fixture("contact_upsert_response.json"))

    result = client.upsert_contact(
        email="sam.rivera@example.com", first_name="Sam", last_name="Rivera", source="setterdesk"
    )

    assert result.created is True
    assert result.contact.id == "Hq2xR7sVb9Nc4Mk1Lp8T"
    assert sent_json(route) == {
        "locationId": LOCATION,
        "email": "sam.rivera@example.com",
        "firstName": "Sam",
        "lastName": "Rivera",
        "source": "setterdesk",
    }
    assert route.calls.last.request.headers["Version"] == CONTACTS_VERSION


def test_send_message(api, client):
    route = api.post("/conversations/messages").respond(
        json=load_fixture("send_message_response.json")
    )

    sent = client.send_message(CONTACT, "Email", "See you Tuesday", subject="Your call")

    assert (sent.conversation_id, sent.message_id) == (
        "tDtDnQdgm2LXpyiqYvZ6",
        "Wm5nB8vC2xZ4lK7jH1gF",
    )
    assert sent_json(route) == {
        "type": "Email",
        "contactId": CONTACT,
        "message": "See you Tuesday",
        "subject": "Your call",
    }
    assert route.calls.last.request.headers["Version"] == CALENDARS_VERSION


# Errors


def test_401_is_an_auth_error_whose_message_never_holds_the_token(api, client):
    api.get(f"/locations/{LOCATION}").respond(
        401, json={"statusCode": 401, "message": f"Invalid token {TOKEN}", "error": "Unauthorized"}
    )

    with pytest.raises(ProviderAuthError) as caught:
        client.location()

    assert caught.value.permanent
    assert TOKEN not in caught.value.safe_message
    assert TOKEN not in caught.value.detail
    assert "Invalid token [token]" in caught.value.detail


def test_401_fixture(api, client):
    api.get("/calendars/").respond(401, json=load_fixture("error_unauthorized.json"))

    with pytest.raises(ProviderAuthError, match="reconnect"):
        client.calendars()


def test_403_is_a_permission_error(api, client):
    api.get("/calendars/").respond(
        403, json={"statusCode": 403, "message": "The token is not authorized for this scope."}
    )

    with pytest.raises(ProviderPermissionError, match="list calendars"):
        client.calendars()


def test_slot_taken_400_is_slot_taken(api, client):
    route = api.post(APPOINTMENTS).respond(400, json=load_fixture("error_slot_taken.json"))

    with pytest.raises(SlotTaken):
        client.create_appointment(CALENDAR, CONTACT, "2026-12-01T10:00:00-05:00")

    assert route.call_count == 1


def test_other_400_is_a_bad_request_with_ghls_reasons(api, client):
    api.post(APPOINTMENTS).respond(422, json=load_fixture("error_validation.json"))

    with pytest.raises(ProviderBadRequest) as caught:
        client.create_appointment(CALENDAR, "", "tomorrow")

    assert not isinstance(caught.value, SlotTaken)
    assert "startTime must be a valid ISO 8601 date string; contactId" in caught.value.safe_message


def test_429_waits_for_retry_after_then_succeeds(api, client, sleeps):
    route = api.get("/calendars/").mock(
        side_effect=[
            error(429, "Too many requests", **{"Retry-After": "2"}),
            httpx.Response(200, json=load_fixture("calendars_response.json")),
        ]
    )

    calendars = client.calendars()

    assert len(calendars) == 2
    assert route.call_count == 2
    assert len(sleeps) == 1 and 2 <= sleeps[0] < 3


def test_429_exhausted_is_rate_limited_with_retry_after(api, client, sleeps):
    route = api.get("/calendars/").mock(
        return_value=error(429, "Too many requests", **{"Retry-After": "2"})
    )

    with pytest.raises(ProviderRateLimited) as caught:
        client.calendars()

    assert caught.value.retry_after == 2
    assert route.call_count == 3
    assert len(sleeps) == 2


def test_429_with_a_long_retry_after_is_handed_back_without_waiting(api, client, sleeps):
    route = api.get("/calendars/").respond(429, headers={"Retry-After": "15"})

    with pytest.raises(ProviderRateLimited) as caught:
        client.calendars()

    assert caught.value.retry_after == 15
    assert route.call_count == 1
    assert sleeps == []


def test_429_on_a_booking_is_retried_since_ghl_refused_it(api, client):
    route = api.post(APPOINTMENTS).mock(
        side_effect=[
            error(429, "Too many requests", **{"Retry-After": "1"}),
            httpx.Response(201, json=load_fixture("appointment_create_response.json")),
        ]
    )

    appointment = client.create_appointment(CALENDAR, CONTACT, "2026-12-01T10:00:00-05:00")

    assert appointment.id == EVENT
    assert route.call_count == 2


def test_5xx_then_success_is_retried_with_backoff(api, client, sleeps):
    route = api.get(f"{APPOINTMENTS}/{EVENT}").mock(
        side_effect=[
            error(502, "Bad Gateway"),
            error(503, "Service Unavailable"),
            httpx.Response(200, json=load_fixture("get_appointment_response.json")),
        ]
    )

    appointment = client.get_appointment(EVENT)

    assert appointment.id == EVENT
    assert route.call_count == 3
    assert len(sleeps) == 2 and 0 < sleeps[0] <= sleeps[1]


def test_5xx_every_time_is_unavailable_not_unknown_for_a_read(api, client):
    route = api.get("/calendars/").respond(500, json={"statusCode": 500, "message": "oops"})

    with pytest.raises(ProviderUnavailable) as caught:
        client.calendars()

    assert caught.value.outcome_unknown is False
    assert route.call_count == 3


def test_timeout_on_a_read_is_retried(api, client, sleeps):
    route = api.get("/calendars/").mock(
        side_effect=[
            httpx.ReadTimeout("timed out"),
            httpx.Response(200, json=load_fixture("calendars_response.json")),
        ]
    )

    assert len(client.calendars()) == 2
    assert route.call_count == 2
    assert len(sleeps) == 1


def test_timeout_on_a_booking_is_outcome_unknown_and_never_sent_twice(api, client, sleeps):
    route = api.post(APPOINTMENTS).mock(side_effect=httpx.ReadTimeout("timed out"))

    with pytest.raises(ProviderUnavailable) as caught:
        client.create_appointment(CALENDAR, CONTACT, "2026-12-01T10:00:00-05:00")

    assert caught.value.outcome_unknown is True
    assert route.call_count == 1
    assert sleeps == []


def test_5xx_on_a_booking_is_outcome_unknown_and_never_sent_twice(api, client):
    route = api.post(APPOINTMENTS).respond(500, json={"statusCode": 500, "message": "oops"})

    with pytest.raises(ProviderUnavailable) as caught:
        client.create_appointment(CALENDAR, CONTACT, "2026-12-01T10:00:00-05:00")

    assert caught.value.outcome_unknown is True
    assert route.call_count == 1


def test_a_booking_that_never_connected_is_retried(api, client):
    route = api.post(APPOINTMENTS).mock(
        side_effect=[
            httpx.ConnectError("connection refused"),
            httpx.Response(201, json=load_fixture("appointment_create_response.json")),
        ]
    )

    assert client.create_appointment(CALENDAR, CONTACT, "2026-12-01T10:00:00-05:00").id == EVENT
    assert route.call_count == 2


def test_a_booking_answered_with_an_unreadable_body_is_outcome_unknown(api, client):
    api.post(APPOINTMENTS).respond(201, text="<html>ok</html>")

    with pytest.raises(ProviderUnavailable) as caught:
        client.create_appointment(CALENDAR, CONTACT, "2026-12-01T10:00:00-05:00")

    assert caught.value.outcome_unknown is True


def test_timeout_on_send_message_is_outcome_unknown_and_never_sent_twice(api, client):
    route = api.post("/conversations/messages").mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(ProviderUnavailable) as caught:
        client.send_message(CONTACT, "SMS", "Still good for Tuesday?")

    assert caught.value.outcome_unknown is True
    assert route.call_count == 1


def test_the_token_is_never_logged(api, client, caplog):
    caplog.set_level(logging.DEBUG)
    api.get("/calendars/").mock(
        side_effect=[
            error(503, f"upstream said {TOKEN}"),
            httpx.ReadTimeout("slow"),
            error(500, "down"),
        ]
    )

    with pytest.raises(ProviderUnavailable):
        client.calendars()

    assert caplog.records
    assert TOKEN not in caplog.text
    assert TOKEN not in repr(client)
