import datetime as dt
import json

import pytest

from calendly.payloads import PayloadError, parse_event
from tests.calendly.helpers import fixture_bytes, load_fixture

EVENT_URI = "https://api.calendly.com/scheduled_events/c1d2e3f4-2222-4333-8444-555566667777"
INVITEE_URI = f"{EVENT_URI}/invitees/d4e5f6a7-3333-4444-8555-666677778888"
NEW_EVENT_URI = "https://api.calendly.com/scheduled_events/e7f8a9b0-4444-4555-8666-777788889999"
NEW_INVITEE_URI = f"{NEW_EVENT_URI}/invitees/f0a1b2c3-5555-4666-8777-88889999aaaa"


def test_invitee_created():
    event = parse_event(fixture_bytes("invitee_created.json"))

    invitee = event.invitee
    assert event.event == "invitee.created"
    assert event.created_at == dt.datetime(2026, 11, 20, 15, 2, 12, tzinfo=dt.UTC)
    assert (invitee.uri, invitee.event) == (INVITEE_URI, EVENT_URI)
    assert (invitee.email, invitee.name, invitee.first_name, invitee.last_name) == (
        "Jordan.Lee@example.com",
        "Jordan Lee",
        "Jordan",
        "Lee",
    )
    assert (invitee.status, invitee.timezone) == ("active", "America/Chicago")
    assert invitee.scheduled_event.start == dt.datetime(2026, 12, 1, 16, 0, tzinfo=dt.UTC)
    assert invitee.scheduled_event.end == dt.datetime(2026, 12, 1, 16, 30, tzinfo=dt.UTC)
    assert invitee.scheduled_event.event_type.endswith(
        "/event_types/5a2b1c3d-0000-4e8f-9a10-1b2c3d4e5f60"
    )
    assert invitee.scheduled_event.status == "active"
    assert invitee.utm_content == ""
    assert invitee.questions_and_answers == (
        ("What would you like to discuss?", "Pricing for 3 locations"),
    )
    assert not invitee.rescheduled and invitee.cancellation is None and invitee.no_show is None


def test_invitee_created_carries_utm_content_from_the_booking_link():
    body = load_fixture("invitee_created.json")
    body["payload"]["tracking"]["utm_content"] = "lead-7c1f"

    assert parse_event(body).invitee.utm_content == "lead-7c1f"


def test_invitee_canceled():
    invitee = parse_event(fixture_bytes("invitee_canceled.json")).invitee

    assert invitee.is_canceled and invitee.scheduled_event.is_canceled
    assert (invitee.cancellation.reason, invitee.cancellation.canceler_type) == (
        "Something came up",
        "invitee",
    )
    assert not invitee.rescheduled


def test_invitee_rescheduled_canceled_points_at_the_new_invitee():
    event = parse_event(fixture_bytes("invitee_rescheduled_canceled.json"))

    assert event.event == "invitee.canceled"
    assert event.invitee.rescheduled
    assert event.invitee.new_invitee == NEW_INVITEE_URI


def test_invitee_rescheduled_created_points_at_the_old_invitee():
    invitee = parse_event(fixture_bytes("invitee_rescheduled_created.json")).invitee

    assert invitee.uri == NEW_INVITEE_URI
    assert invitee.old_invitee == INVITEE_URI
    assert invitee.scheduled_event.start == dt.datetime(2026, 12, 3, 20, 30, tzinfo=dt.UTC)


def test_invitee_no_show_created():
    event = parse_event(fixture_bytes("invitee_no_show_created.json"))

    assert event.event == "invitee_no_show.created"
    assert event.invitee.no_show.uri.endswith(
        "/invitee_no_shows/9b8a7c6d-6666-4777-8888-9999aaaabbbb"
    )
    assert event.invitee.no_show.created_at == dt.datetime(2026, 12, 1, 16, 20, tzinfo=dt.UTC)


def test_invitee_no_show_deleted_has_no_mark():
    body = load_fixture("invitee_no_show_created.json")
    body["event"] = "invitee_no_show.deleted"
    body["payload"]["no_show"] = {}

    event = parse_event(body)

    assert event.event == "invitee_no_show.deleted" and event.invitee.no_show is None


def test_an_event_we_do_not_handle_parses_without_an_invitee():
    body = {"event": "routing_form_submission.created", "created_at": None, "payload": {"x": 1}}

    event = parse_event(json.dumps(body))

    assert (event.event, event.invitee) == ("routing_form_submission.created", None)


def test_repeated_deliveries_share_a_dedupe_key_and_different_happenings_do_not():
    created = parse_event(fixture_bytes("invitee_created.json"))
    again = parse_event(fixture_bytes("invitee_created.json"))
    canceled = parse_event(fixture_bytes("invitee_canceled.json"))
    rebooked = parse_event(fixture_bytes("invitee_rescheduled_created.json"))

    assert created.dedupe_key == again.dedupe_key
    assert len({created.dedupe_key, canceled.dedupe_key, rebooked.dedupe_key}) == 3


def _broken(change):
    body = load_fixture("invitee_created.json")
    change(body)
    return json.dumps(body).encode()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json", "body is not JSON"),
        (b"[1, 2]", "body is not a JSON object"),
        (b'"text"', "body is not a JSON object"),
        (_broken(lambda b: b.pop("event")), "event is missing"),
        (_broken(lambda b: b.update(event=42)), "event is missing"),
        (_broken(lambda b: b.update(payload=[])), "payload is not an object"),
        (_broken(lambda b: b["payload"].pop("uri")), "payload.uri is missing"),
        (_broken(lambda b: b["payload"].update(uri=7)), "payload.uri is missing"),
        (
            _broken(lambda b: b["payload"].pop("scheduled_event")),
            "payload.scheduled_event is missing",
        ),
        (_broken(lambda b: b.update(created_at="yesterday")), "created_at is not an ISO 8601 time"),
        (
            _broken(
                lambda b: b["payload"]["scheduled_event"].update(start_time="2026-12-01T16:00")
            ),
            "payload: start_time has no UTC offset",
        ),
        (
            _broken(lambda b: b["payload"]["scheduled_event"].pop("end_time")),
            "payload: end_time is missing",
        ),
        (
            _broken(lambda b: b["payload"].update(uri="javascript:alert(1)")),
            "payload: uri is not a URI",
        ),
    ],
)
def test_a_body_we_cannot_use_raises_with_a_reason(body, reason):
    with pytest.raises(PayloadError) as caught:
        parse_event(body)

    assert caught.value.reason == reason


def test_display_fields_of_the_wrong_type_do_not_lose_the_booking():
    body = load_fixture("invitee_created.json")
    body["payload"].update(name=["x"], tracking="nope", questions_and_answers={"a": 1})

    invitee = parse_event(body).invitee

    assert (invitee.name, invitee.utm_content, invitee.questions_and_answers) == ("", "", ())
    assert invitee.uri == INVITEE_URI
