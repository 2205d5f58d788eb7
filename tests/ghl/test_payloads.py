import datetime as dt
import json

import pytest

from ghl.payloads import (
    AppointmentEvent,
    InboundMessageEvent,
    PayloadError,
    UnhandledEvent,
    parse_marketplace_event,
    parse_workflow_event,
)
from tests.ghl.helpers import fixture_bytes, load_fixture

START_UTC = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)


# Marketplace webhooks, one test per fixture


def test_appointment_create():
    event = parse_marketplace_event(fixture_bytes("appointment_webhook.json"))

    assert isinstance(event, AppointmentEvent)
    assert event.type == "AppointmentCreate"
    assert event.webhook_id == "6f1d2c3b-0a9e-4f8d-b7c6-5e4d3c2b1a09"
    assert (event.appointment_id, event.contact_id) == (
        "ocQHyuzHvysMo5N5VsXc",
        "9NkT25Vor1v4aQatFsv2",
    )
    assert event.start == START_UTC
    assert event.end == START_UTC + dt.timedelta(minutes=30)
    assert event.status == "confirmed"


def test_appointment_update_cancelled():
    event = parse_marketplace_event(fixture_bytes("appointment_cancelled_webhook.json"))

    assert (event.type, event.status) == ("AppointmentUpdate", "cancelled")


def test_appointment_delete():
    event = parse_marketplace_event(fixture_bytes("appointment_delete_webhook.json"))

    assert (event.type, event.appointment_id) == ("AppointmentDelete", "ocQHyuzHvysMo5N5VsXc")


def test_appointment_delete_without_times_still_names_the_appointment():
    body = load_fixture("appointment_delete_webhook.json")
    body["appointment"] = {"id": "ocQHyuzHvysMo5N5VsXc"}

    event = parse_marketplace_event(body)

    assert (event.appointment_id, event.start) == ("ocQHyuzHvysMo5N5VsXc", None)


def test_inbound_message():
    event = parse_marketplace_event(fixture_bytes("inbound_message_webhook.json"))

    assert isinstance(event, InboundMessageEvent)
    assert event.body == "Tuesday at 10 works for me"
    assert (event.message_type, event.direction) == ("SMS", "inbound")
    assert (event.contact_id, event.conversation_id, event.message_id) == (
        "9NkT25Vor1v4aQatFsv2",
        "tDtDnQdgm2LXpyiqYvZ6",
        "hT4vKp9Qz2LmNc8R1sXa",
    )
    assert event.date_added == dt.datetime(2026, 11, 20, 14, 55, 2, 987000, tzinfo=dt.UTC)
    assert event.webhook_id == "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"


def test_an_event_type_we_do_not_handle_is_unhandled_not_an_error():
    event = parse_marketplace_event(
        {"type": "ContactTagUpdate", "locationId": "loc", "webhookId": "w-1", "tags": ["x"]}
    )

    assert event == UnhandledEvent(type="ContactTagUpdate", location_id="loc", webhook_id="w-1")


# Malformed marketplace bodies


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"\xff\xfe", b"[1, 2]", b'"AppointmentCreate"', b"null", b"{}"],
)
def test_a_body_that_is_not_an_event_object_is_refused(body):
    with pytest.raises(PayloadError):
        parse_marketplace_event(body)


def test_a_deeply_nested_body_is_refused_not_a_crash():
    with pytest.raises(PayloadError):
        parse_marketplace_event(b"[" * 100_000 + b"]" * 100_000)


def appointment_with(**changes):
    body = load_fixture("appointment_webhook.json")
    for key, value in changes.items():
        if value is None:
            body["appointment"].pop(key)
        else:
            body["appointment"][key] = value
    return body


@pytest.mark.parametrize(
    "changes",
    [
        {"id": None},
        {"id": ""},
        {"id": 12345},
        {"id": "x" * 1000},
        {"startTime": None},
        {"startTime": "2026-12-01T10:00:00"},  # no offset: the zone would be a guess
        {"startTime": "Tuesday at 10"},
        {"endTime": "later"},
        {"appointmentStatus": ["confirmed"]},
    ],
)
def test_an_appointment_event_missing_what_we_act_on_is_refused(changes):
    with pytest.raises(PayloadError):
        parse_marketplace_event(appointment_with(**changes))


def test_an_appointment_event_without_the_appointment_is_refused():
    body = load_fixture("appointment_webhook.json")
    body["appointment"] = "ocQHyuzHvysMo5N5VsXc"

    with pytest.raises(PayloadError, match="appointment is missing"):
        parse_marketplace_event(body)


def test_an_appointment_event_without_a_webhook_id_is_refused():
    body = load_fixture("appointment_webhook.json")
    del body["webhookId"]

    with pytest.raises(PayloadError, match="webhookId"):
        parse_marketplace_event(body)


@pytest.mark.parametrize(
    "changes",
    [{"messageId": None}, {"contactId": ""}, {"body": {"text": "hi"}}, {"messageType": None}],
)
def test_an_inbound_message_missing_what_we_act_on_is_refused(changes):
    body = load_fixture("inbound_message_webhook.json")
    for key, value in changes.items():
        if value is None:
            body.pop(key)
        else:
            body[key] = value

    with pytest.raises(PayloadError):
        parse_marketplace_event(body)


def test_an_unreadable_date_added_does_not_lose_the_message():
    body = load_fixture("inbound_message_webhook.json")
    body["dateAdded"] = "yesterday"

    assert parse_marketplace_event(body).date_added is None


# Workflow custom webhooks


def test_workflow_appointment_mapped_under_custom_data():
    event = parse_workflow_event(fixture_bytes("workflow_appointment_webhook.json"))

    assert event.event == "appointment"
    assert event.appointment_id == "ocQHyuzHvysMo5N5VsXc"
    assert event.appointment_status == "confirmed"
    assert event.appointment_start == START_UTC
    assert event.email == "jordan.lee@example.com"
    assert event.dedupe_key == (
        "appointment:ocQHyuzHvysMo5N5VsXc:confirmed:2026-12-01T15:00:00+00:00"
    )


def test_workflow_inbound_message():
    event = parse_workflow_event(fixture_bytes("workflow_inbound_message_webhook.json"))

    assert (event.event, event.message_type) == ("inbound_message", "SMS")
    assert event.message_body == "Tuesday at 10 works for me"
    assert event.contact_id == "9NkT25Vor1v4aQatFsv2"
    assert event.dedupe_key == "message:hT4vKp9Qz2LmNc8R1sXa"


def test_workflow_accepts_type_for_event_and_numbers_for_a_phone():
    event = parse_workflow_event(
        {"type": "Inbound Message", "phone": 15555550123, "message_body": "yes"}
    )

    assert (event.event, event.phone, event.dedupe_key) == ("inbound_message", "15555550123", None)


def test_workflow_cancellation_differs_from_the_booking_it_cancels():
    body = load_fixture("workflow_appointment_webhook.json")
    booked = parse_workflow_event(body)
    body["customData"]["appointment_status"] = "cancelled"

    assert parse_workflow_event(body).dedupe_key != booked.dedupe_key


@pytest.mark.parametrize(
    "body",
    [
        {"contact_id": "c1", "message_body": "hi"},  # no event
        {"event": "contact_created", "contact_id": "c1"},
        {"event": "inbound_message", "message_body": "hi"},  # nobody
        {"event": "inbound_message", "contact_id": "c1"},  # no body
        {"event": "inbound_message", "contact_id": "c1", "message_body": "   "},
        {
            "event": "inbound_message",
            "contact_id": "c1",
            "message_body": "hi",
            "message_type": "Fax",
        },
        {"event": "inbound_message", "contact_id": ["c1"], "message_body": "hi"},
        {"event": "appointment", "contact_id": "c1"},  # no appointment id
        {
            "event": "appointment",
            "contact_id": "c1",
            "appointment_id": "a1",
            "appointment_start": "Tuesday, December 1, 2026 10:00 AM",
        },
        {
            "event": "appointment",
            "contact_id": "c1",
            "appointment_id": "a1",
            "appointment_start": "2026-12-01T10:00:00",
        },
        {"event": "appointment", "contact_id": True, "appointment_id": "a1"},
    ],
)
def test_workflow_body_we_cannot_use_is_refused(body):
    with pytest.raises(PayloadError):
        parse_workflow_event(json.dumps(body).encode())


@pytest.mark.parametrize("body", [b"", b"{", b"[]", b'"appointment"'])
def test_workflow_body_that_is_not_a_json_object_is_refused(body):
    with pytest.raises(PayloadError):
        parse_workflow_event(body)
