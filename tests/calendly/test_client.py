import datetime as dt
import json
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from calendly.client import CalendlyClient
from calendly.dialect import CalendlyConflict
from calendly.oauth import exchange_code, refresh_token
from followups.errors import (
    ProviderAuthError,
    ProviderBadRequest,
    ProviderPermissionError,
    ProviderRateLimited,
    ProviderUnavailable,
    SlotTaken,
)
from tests.calendly.helpers import load_fixture

BASE = "https://calendly.test"
AUTH = "https://auth.calendly.test"
TOKEN = "eyJraWQiOiIxY2UxZTEzNjE3ZGNmNzY2YjNjZWJjY2Y4ZGM1YmFm.sandbox-secret"
API = "https://api.calendly.com"
USER = f"{API}/users/8f1e2d3c-aaaa-4bbb-8ccc-0d1e2f3a4b5c"
ORG = f"{API}/organizations/0a9b8c7d-1111-4222-8333-444455556666"
EVENT_TYPE = f"{API}/event_types/5a2b1c3d-0000-4e8f-9a10-1b2c3d4e5f60"
EVENT_UUID = "c1d2e3f4-2222-4333-8444-555566667777"
EVENT = f"{API}/scheduled_events/{EVENT_UUID}"
INVITEE = f"{EVENT}/invitees/d4e5f6a7-3333-4444-8555-666677778888"
HOOK_UUID = "aa11bb22-7777-4888-8999-aaaabbbbcccc"
HOOK = f"{API}/webhook_subscriptions/{HOOK_UUID}"
START = dt.datetime(2026, 12, 1, 16, 0, tzinfo=dt.UTC)


@pytest.fixture
def api():
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        yield mock


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def client(sleeps):
    with CalendlyClient(TOKEN, base_url=BASE, sleep=sleeps.append) as calendly:
        yield calendly


def error(status, title, message, details=None, **headers):
    body = {"title": title, "message": message}
    if details is not None:
        body["details"] = details
    return httpx.Response(status, json=body, headers=headers)


def page(items, next_token=None):
    return {
        "collection": items,
        "pagination": {
            "count": len(items),
            "next_page": f"{API}/x?page_token={next_token}" if next_token else None,
            "next_page_token": next_token,
            "previous_page": None,
            "previous_page_token": None,
        },
    }


def event_type(uuid, name, *, active=True, questions=()):
    return {
        "uri": f"{API}/event_types/{uuid}",
        "name": name,
        "active": active,
        "slug": name.lower().replace(" ", "-"),
        "scheduling_url": f"https://calendly.com/casey-closer/{name.lower().replace(' ', '-')}",
        "duration": 30,
        "kind": "solo",
        "pooling_type": None,
        "type": "StandardEventType",
        "profile": {"type": "User", "name": "Casey Closer", "owner": USER},
        "secret": False,
        "deleted_at": None,
        "custom_questions": [
            {"name": text, "type": "text", "position": i, "enabled": True, "required": required}
            for i, (text, required) in enumerate(questions)
        ],
    }


def scheduled_event(uri=EVENT, start=START, status="active"):
    return {
        "uri": uri,
        "name": "Discovery Call",
        "status": status,
        "start_time": start.strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
        "end_time": (start + dt.timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
        "event_type": EVENT_TYPE,
        "location": {"type": "zoom", "join_url": "https://us02web.zoom.us/j/1"},
        "invitees_counter": {"total": 1, "active": 1, "limit": 1},
        "event_memberships": [{"user": USER, "user_email": "closer@agency.example"}],
        "cancellation": None,
        "created_at": "2026-11-20T15:02:11.482310Z",
        "updated_at": "2026-11-20T15:02:12.108532Z",
    }


def invitee_resource():
    invitee = dict(load_fixture("invitee_created.json")["payload"])
    invitee.pop("scheduled_event")
    return invitee


def sent_json(route, index=-1):
    return json.loads(route.calls[index].request.content)


# Happy paths


def test_me_reads_the_connected_user_with_the_bearer_token(api, client):
    route = api.get("/users/me").respond(
        json={
            "resource": {
                "uri": USER,
                "name": "Casey Closer",
                "slug": "casey-closer",
                "email": "closer@agency.example",
                "scheduling_url": "https://calendly.com/casey-closer",
                "timezone": "America/New_York",
                "current_organization": ORG,
            }
        }
    )

    user = client.me()

    assert (user.name, user.email, user.current_organization) == (
        "Casey Closer",
        "closer@agency.example",
        ORG,
    )
    assert route.calls.last.request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_event_types_walks_every_page(api, client):
    route = api.get("/event_types").mock(
        side_effect=[
            httpx.Response(200, json=page([event_type("a1", "Discovery Call")], "tok-2")),
            httpx.Response(
                200,
                json=page(
                    [
                        event_type("b2", "Strategy Session", questions=[("Website?", True)]),
                        event_type("c3", "Old Intro Call", active=False),
                    ]
                ),
            ),
        ]
    )

    types = client.event_types(user=USER)

    assert [(t.name, t.active) for t in types] == [
        ("Discovery Call", True),
        ("Strategy Session", True),
        ("Old Intro Call", False),
    ]
    assert types[1].custom_questions == (("Website?", True),)
    assert types[1].required_questions == ("Website?",)
    first, second = (call.request.url.params for call in route.calls)
    assert (first["user"], first["count"], "page_token" in first) == (USER, "100", False)
    assert second["page_token"] == "tok-2"


def test_event_types_of_an_organization_only_active(api, client):
    route = api.get("/event_types").respond(json=page([]))

    assert client.event_types(organization=ORG, active=True) == []
    params = route.calls.last.request.url.params
    assert (params["organization"], params["active"]) == (ORG, "true")
    assert "user" not in params


def test_event_types_need_exactly_one_owner(client):
    with pytest.raises(ValueError):
        client.event_types()
    with pytest.raises(ValueError):
        client.event_types(user=USER, organization=ORG)


def test_available_times_asks_week_by_week_and_returns_sorted_slots(api, client):
    start = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    later = {"status": "available", "start_time": "2030-01-09T15:00:00.000000Z"}
    early = {"status": "available", "start_time": "2030-01-02T15:00:00.000000Z"}
    route = api.get("/event_type_available_times").mock(
        side_effect=[
            httpx.Response(200, json={"collection": [early, early]}),
            httpx.Response(200, json={"collection": [later]}),
            httpx.Response(200, json={"collection": [{"status": "unavailable", **early}]}),
        ]
    )

    slots = client.available_times(EVENT_TYPE, start, start + dt.timedelta(days=17))

    assert [s.start for s in slots] == [
        dt.datetime(2030, 1, 2, 15, 0, tzinfo=dt.UTC),
        dt.datetime(2030, 1, 9, 15, 0, tzinfo=dt.UTC),
    ]
    windows = [
        (call.request.url.params["start_time"], call.request.url.params["end_time"])
        for call in route.calls
    ]
    assert windows == [
        ("2030-01-01T00:00:00.000000Z", "2030-01-08T00:00:00.000000Z"),
        ("2030-01-08T00:00:00.000000Z", "2030-01-15T00:00:00.000000Z"),
        ("2030-01-15T00:00:00.000000Z", "2030-01-18T00:00:00.000000Z"),
    ]
    assert route.calls.last.request.url.params["event_type"] == EVENT_TYPE


def test_available_times_never_asks_from_the_past(api, client):
    route = api.get("/event_type_available_times").respond(json={"collection": []})
    before = dt.datetime.now(dt.UTC)

    client.available_times(EVENT_TYPE, before - dt.timedelta(days=2), before + dt.timedelta(days=1))

    asked = dt.datetime.fromisoformat(route.calls.last.request.url.params["start_time"])
    assert asked > before


def test_create_invitee_books_with_the_documented_body(api, client):
    route = api.post("/invitees").respond(201, json={"resource": invitee_resource()})

    invitee = client.create_invitee(
        EVENT_TYPE,
        START.astimezone(dt.timezone(dt.timedelta(hours=-6))),
        email="Jordan.Lee@example.com",
        first_name="Jordan",
        last_name="Lee",
        timezone="America/Chicago",
        location={"kind": "zoom_conference"},
        questions_and_answers=[("What would you like to discuss?", "Pricing")],
        utm_content="lead-7c1f",
    )

    assert (invitee.uri, invitee.event) == (INVITEE, EVENT)
    assert sent_json(route) == {
        "event_type": EVENT_TYPE,
        "start_time": "2026-12-01T16:00:00.000000Z",
        "invitee": {
            "email": "Jordan.Lee@example.com",
            "timezone": "America/Chicago",
            "first_name": "Jordan",
            "last_name": "Lee",
        },
        "location": {"kind": "zoom_conference"},
        "questions_and_answers": [
            {"question": "What would you like to discuss?", "answer": "Pricing", "position": 0}
        ],
        "tracking": {"utm_content": "lead-7c1f"},
    }


def test_create_invitee_needs_a_name(client):
    with pytest.raises(ValueError):
        client.create_invitee(EVENT_TYPE, START, email="a@example.com", timezone="UTC")


def test_create_scheduling_link_for_one_booking(api, client):
    route = api.post("/scheduling_links").respond(
        201,
        json={
            "resource": {
                "booking_url": "https://calendly.com/d/abc-123/discovery-call",
                "owner": EVENT_TYPE,
                "owner_type": "EventType",
            }
        },
    )

    link = client.create_scheduling_link(EVENT_TYPE)

    assert link.booking_url == "https://calendly.com/d/abc-123/discovery-call"
    assert sent_json(route) == {
        "max_event_count": 1,
        "owner": EVENT_TYPE,
        "owner_type": "EventType",
    }


def test_scheduled_events_filters_and_walks_pages(api, client):
    second = f"{API}/scheduled_events/e7f8a9b0-4444-4555-8666-777788889999"
    route = api.get("/scheduled_events").mock(
        side_effect=[
            httpx.Response(200, json=page([scheduled_event()], "next")),
            httpx.Response(200, json=page([scheduled_event(second, status="canceled")])),
        ]
    )

    events = client.scheduled_events(
        user=USER,
        invitee_email="jordan.lee@example.com",
        min_start_time=START - dt.timedelta(hours=1),
        max_start_time=START + dt.timedelta(hours=1),
    )

    assert [(e.uri, e.is_canceled) for e in events] == [(EVENT, False), (second, True)]
    assert events[0].host_emails == ("closer@agency.example",)
    params = route.calls[0].request.url.params
    assert params["invitee_email"] == "jordan.lee@example.com"
    assert params["min_start_time"] == "2026-12-01T15:00:00.000000Z"
    assert params["max_start_time"] == "2026-12-01T17:00:00.000000Z"
    assert route.calls[1].request.url.params["page_token"] == "next"


def test_scheduled_event_by_uri_asks_the_configured_base(api, client):
    route = api.get(f"/scheduled_events/{EVENT_UUID}").respond(json={"resource": scheduled_event()})

    event = client.scheduled_event("https://evil.example/scheduled_events/" + EVENT_UUID)

    assert event.start == START and event.end == START + dt.timedelta(minutes=30)
    assert route.calls.last.request.url.host == "calendly.test"


def test_a_uri_cannot_reach_another_endpoint(client):
    with pytest.raises(ValueError):
        client.scheduled_event(f"{EVENT}/..%2F..%2Fusers")


def test_event_invitees_walks_every_page(api, client):
    route = api.get(f"/scheduled_events/{EVENT_UUID}/invitees").mock(
        side_effect=[
            httpx.Response(200, json=page([invitee_resource()], "p2")),
            httpx.Response(200, json=page([{**invitee_resource(), "status": "canceled"}])),
        ]
    )

    invitees = client.event_invitees(EVENT)

    assert [i.status for i in invitees] == ["active", "canceled"]
    assert route.calls[1].request.url.params["page_token"] == "p2"


def test_cancel_event_sends_the_reason(api, client):
    route = api.post(f"/scheduled_events/{EVENT_UUID}/cancellation").respond(
        201, json={"resource": {"canceler_type": "host", "reason": "Lead asked"}}
    )

    client.cancel_event(EVENT, "Lead asked")

    assert sent_json(route) == {"reason": "Lead asked"}


def test_create_webhook_subscription_sends_our_signing_key(api, client):
    response = load_fixture("webhook_subscription_create_response.json")
    route = api.post("/webhook_subscriptions").respond(201, json=response)
    url = response["resource"]["callback_url"]

    hook = client.create_webhook_subscription(
        url, ["invitee.created", "invitee.canceled"], ORG, "organization", signing_key="s3cret"
    )

    assert (hook.uri, hook.is_active, hook.scope) == (HOOK, True, "organization")
    assert sent_json(route) == {
        "url": url,
        "events": ["invitee.created", "invitee.canceled"],
        "organization": ORG,
        "scope": "organization",
        "signing_key": "s3cret",
    }


def test_a_duplicate_webhook_subscription_is_a_conflict_the_caller_can_catch(api, client):
    api.post("/webhook_subscriptions").mock(
        return_value=error(409, "Already Exists", "Hook with this url already exists")
    )

    with pytest.raises(CalendlyConflict) as caught:
        client.create_webhook_subscription(
            "https://app.example/h/", ["invitee.created"], ORG, "organization"
        )

    assert caught.value.status == 409
    assert "Hook with this url already exists" in caught.value.safe_message


def test_a_user_scope_subscription_needs_the_user(client):
    with pytest.raises(ValueError):
        client.create_webhook_subscription(
            "https://app.example/h/", ["invitee.created"], ORG, "user"
        )


def test_list_get_and_delete_webhook_subscriptions(api, client):
    resource = load_fixture("webhook_subscription_create_response.json")["resource"]
    listing = api.get("/webhook_subscriptions").respond(json=page([resource]))
    api.get(f"/webhook_subscriptions/{HOOK_UUID}").respond(
        json={"resource": {**resource, "state": "disabled"}}
    )
    api.delete(f"/webhook_subscriptions/{HOOK_UUID}").mock(
        side_effect=[httpx.Response(204), error(404, "Resource Not Found", "Not found")]
    )

    hooks = client.list_webhook_subscriptions(ORG, "user", user=USER)
    fetched = client.get_webhook_subscription(HOOK)

    assert [h.uri for h in hooks] == [HOOK]
    params = listing.calls.last.request.url.params
    assert (params["organization"], params["scope"], params["user"]) == (ORG, "user", USER)
    assert not fetched.is_active
    assert client.delete_webhook_subscription(HOOK) is True
    assert client.delete_webhook_subscription(HOOK) is False


# Errors


def test_401_asks_to_reconnect_without_showing_the_token(api, client):
    api.get("/users/me").mock(return_value=error(401, "Unauthenticated", f"Bad token {TOKEN}"))

    with pytest.raises(ProviderAuthError) as caught:
        client.me()

    assert "reconnect Calendly" in caught.value.safe_message
    assert TOKEN not in caught.value.safe_message + caught.value.detail


def test_403_names_the_missing_scope(api, client):
    api.get("/event_types").mock(
        return_value=error(
            403,
            "Permission Denied",
            "The access token is missing the required scope",
            [{"parameter": "scope", "message": "event_types:read is required"}],
        )
    )

    with pytest.raises(ProviderPermissionError) as caught:
        client.event_types(user=USER)

    assert caught.value.missing_scopes == ("event_types:read",)
    assert "event_types:read" in caught.value.safe_message


def test_403_on_booking_is_a_plan_refusal_that_points_to_a_link(api, client):
    route = api.post("/invitees").mock(
        return_value=error(403, "Permission Denied", "Your plan does not include this feature")
    )

    with pytest.raises(ProviderPermissionError) as caught:
        book(client)

    assert caught.value.missing_scopes == ()
    assert "booking link" in caught.value.safe_message
    assert route.call_count == 1


def book(client):
    return client.create_invitee(
        EVENT_TYPE, START, email="jordan@example.com", name="Jordan Lee", timezone="UTC"
    )


def test_a_taken_time_on_booking_is_slot_taken(api, client):
    api.post("/invitees").mock(
        return_value=error(
            400,
            "Invalid Argument",
            "The supplied parameters are invalid.",
            [{"parameter": "start_time", "message": "The selected time is no longer available."}],
        )
    )

    with pytest.raises(SlotTaken):
        book(client)


def test_another_400_on_booking_is_a_bad_request_not_a_taken_slot(api, client):
    api.post("/invitees").mock(
        return_value=error(
            400,
            "Invalid Argument",
            "The supplied parameters are invalid.",
            [{"parameter": "questions_and_answers", "message": "A required question is missing"}],
        )
    )

    with pytest.raises(ProviderBadRequest) as caught:
        book(client)

    assert not isinstance(caught.value, SlotTaken)
    assert "A required question is missing" in caught.value.safe_message


def test_404_is_a_bad_request(api, client):
    api.get(f"/scheduled_events/{EVENT_UUID}").mock(
        return_value=error(404, "Resource Not Found", "The server could not find it.")
    )

    with pytest.raises(ProviderBadRequest) as caught:
        client.scheduled_event(EVENT)

    assert caught.value.status == 404


def test_429_waits_for_the_reset_then_succeeds(api, client, sleeps):
    route = api.get("/users/me").mock(
        side_effect=[
            error(429, "Too Many Requests", "Slow down", **{"X-RateLimit-Reset": "3"}),
            httpx.Response(200, json={"resource": {"uri": USER, "name": "Casey"}}),
        ]
    )

    assert client.me().name == "Casey"
    assert route.call_count == 2
    assert len(sleeps) == 1 and 3 <= sleeps[0] < 3.5


def test_429_with_a_long_reset_is_handed_to_the_caller(api, client, sleeps):
    api.get("/users/me").mock(
        return_value=error(429, "Too Many Requests", "Slow down", **{"X-RateLimit-Reset": "45"})
    )

    with pytest.raises(ProviderRateLimited) as caught:
        client.me()

    assert caught.value.retry_after == 45
    assert sleeps == []


def test_429_that_keeps_coming_ends_rate_limited(api, client, sleeps):
    route = api.get("/users/me").mock(
        return_value=error(429, "Too Many Requests", "Slow down", **{"X-RateLimit-Reset": "1"})
    )

    with pytest.raises(ProviderRateLimited):
        client.me()

    assert route.call_count == 3 and len(sleeps) == 2


def test_429_on_booking_raises_at_once_so_the_caller_sends_a_link(api, client, sleeps):
    route = api.post("/invitees").mock(
        return_value=error(429, "Too Many Requests", "Limit", **{"X-RateLimit-Reset": "2"})
    )

    with pytest.raises(ProviderRateLimited) as caught:
        book(client)

    assert caught.value.retry_after == 2
    assert route.call_count == 1 and sleeps == []


def test_5xx_is_retried_with_backoff_then_succeeds(api, client, sleeps):
    route = api.get("/users/me").mock(
        side_effect=[
            httpx.Response(502),
            httpx.Response(503),
            httpx.Response(200, json={"resource": {"uri": USER, "name": "Casey"}}),
        ]
    )

    assert client.me().name == "Casey"
    assert route.call_count == 3
    assert len(sleeps) == 2 and 0.5 <= sleeps[0] <= 1.0 <= sleeps[1] <= 1.5


def test_5xx_exhausted_is_unavailable(api, client, sleeps):
    route = api.get("/users/me").mock(return_value=httpx.Response(500))

    with pytest.raises(ProviderUnavailable) as caught:
        client.me()

    assert route.call_count == 3
    assert not caught.value.outcome_unknown
    assert caught.value.status == 500


def test_5xx_on_a_safe_post_is_retried_once(api, client):
    route = api.post("/scheduling_links").mock(return_value=httpx.Response(503))

    with pytest.raises(ProviderUnavailable):
        client.create_scheduling_link(EVENT_TYPE)

    assert route.call_count == 2


def test_5xx_on_booking_is_not_retried_and_the_outcome_is_unknown(api, client, sleeps):
    route = api.post("/invitees").mock(return_value=httpx.Response(500))

    with pytest.raises(ProviderUnavailable) as caught:
        book(client)

    assert caught.value.outcome_unknown
    assert route.call_count == 1 and sleeps == []


def test_a_timeout_on_a_read_is_retried_then_unavailable(api, client, sleeps):
    route = api.get("/users/me").mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(ProviderUnavailable) as caught:
        client.me()

    assert route.call_count == 3 and len(sleeps) == 2
    assert not caught.value.outcome_unknown


def test_a_timeout_then_success_on_a_read(api, client):
    api.get("/users/me").mock(
        side_effect=[
            httpx.ReadTimeout("slow"),
            httpx.Response(200, json={"resource": {"uri": USER, "name": "Casey"}}),
        ]
    )

    assert client.me().name == "Casey"


def test_a_timeout_on_booking_leaves_the_outcome_unknown(api, client, sleeps):
    route = api.post("/invitees").mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(ProviderUnavailable) as caught:
        book(client)

    assert caught.value.outcome_unknown
    assert "Check before trying again" in caught.value.safe_message
    assert route.call_count == 1 and sleeps == []


def test_a_booking_that_never_connected_is_known_not_to_have_happened(api, client):
    api.post("/invitees").mock(side_effect=httpx.ConnectError("refused"))

    with pytest.raises(ProviderUnavailable) as caught:
        book(client)

    assert not caught.value.outcome_unknown


def test_an_unreadable_booking_answer_leaves_the_outcome_unknown(api, client):
    api.post("/invitees").respond(201, json={"resource": {"name": "no uri"}})

    with pytest.raises(ProviderUnavailable) as caught:
        book(client)

    assert caught.value.outcome_unknown


def test_the_token_is_never_logged(api, client, caplog):
    api.get("/users/me").mock(return_value=error(500, "Oops", f"token {TOKEN} broke"))

    with pytest.raises(ProviderUnavailable):
        client.me()

    assert caplog.records and TOKEN not in caplog.text
    assert TOKEN not in repr(client)


# OAuth


@pytest.fixture
def oauth_settings(settings):
    settings.CALENDLY_AUTH_BASE = AUTH
    settings.CALENDLY_OAUTH_CLIENT_ID = "client-id"
    settings.CALENDLY_OAUTH_CLIENT_SECRET = "client-secret"


def token_answer(access="acc-1", refresh="ref-1"):
    return {
        "token_type": "Bearer",
        "access_token": access,
        "refresh_token": refresh,
        "scope": "default",
        "created_at": 1_795_000_000,
        "expires_in": 7200,
        "owner": USER,
        "organization": ORG,
    }


@respx.mock
def test_exchange_code_posts_a_form_with_our_client_credentials(oauth_settings):
    route = respx.post(f"{AUTH}/oauth/token").respond(json=token_answer())
    before = dt.datetime.now(dt.UTC)

    tokens = exchange_code("the-code", "https://app.example/oauth/calendly/")

    form = parse_qs(route.calls.last.request.content.decode())
    assert route.calls.last.request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert form == {
        "grant_type": ["authorization_code"],
        "code": ["the-code"],
        "redirect_uri": ["https://app.example/oauth/calendly/"],
        "client_id": ["client-id"],
        "client_secret": ["client-secret"],
    }
    assert (tokens.access_token, tokens.refresh_token, tokens.owner, tokens.organization) == (
        "acc-1",
        "ref-1",
        USER,
        ORG,
    )
    assert dt.timedelta(minutes=119) < tokens.expires_at - before <= dt.timedelta(minutes=121)
    assert "acc-1" not in repr(tokens) and "ref-1" not in repr(tokens)


@respx.mock
def test_refresh_token_trades_the_old_refresh_token_for_new_ones(oauth_settings):
    route = respx.post(f"{AUTH}/oauth/token").respond(json=token_answer("acc-2", "ref-2"))

    tokens = refresh_token("ref-1")

    form = parse_qs(route.calls.last.request.content.decode())
    assert (form["grant_type"], form["refresh_token"]) == (["refresh_token"], ["ref-1"])
    assert (tokens.access_token, tokens.refresh_token) == ("acc-2", "ref-2")


@respx.mock
def test_a_refused_refresh_asks_to_connect_again_without_echoing_secrets(oauth_settings):
    respx.post(f"{AUTH}/oauth/token").respond(
        400, json={"error": "invalid_grant", "error_description": "ref-1 was revoked"}
    )

    with pytest.raises(ProviderAuthError) as caught:
        refresh_token("ref-1")

    assert "connect Calendly again" in caught.value.safe_message
    assert "ref-1" not in caught.value.safe_message + caught.value.detail


@respx.mock
def test_a_refresh_that_times_out_is_not_retried(oauth_settings):
    route = respx.post(f"{AUTH}/oauth/token").mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(ProviderUnavailable) as caught:
        refresh_token("ref-1")

    assert caught.value.outcome_unknown and route.call_count == 1


# Every call, every failure: one table, so a new call can't slip past the error handling.

HOOK_RESOURCE = {"resource": load_fixture("webhook_subscription_create_response.json")["resource"]}
ANSWER_OF = {
    "me": {"resource": {"uri": USER, "name": "Casey"}},
    "event_types": page([]),
    "available_times": {"collection": []},
    "create_invitee": {"resource": invitee_resource()},
    "create_scheduling_link": {"resource": {"booking_url": "https://calendly.com/d/x"}},
    "scheduled_events": page([]),
    "scheduled_event": {"resource": scheduled_event()},
    "event_invitees": page([]),
    "cancel_event": {"resource": {}},
    "create_webhook_subscription": HOOK_RESOURCE,
    "list_webhook_subscriptions": page([]),
    "get_webhook_subscription": HOOK_RESOURCE,
    "may_write": {"resource": {"booking_url": "https://calendly.com/d/x"}},
}
SOON = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
CALLS = {
    "me": ("GET", "/users/me", lambda c: c.me()),
    "event_types": ("GET", "/event_types", lambda c: c.event_types(user=USER)),
    "available_times": (
        "GET",
        "/event_type_available_times",
        lambda c: c.available_times(EVENT_TYPE, SOON, SOON + dt.timedelta(days=1)),
    ),
    "create_invitee": ("POST", "/invitees", lambda c: book(c)),
    "create_scheduling_link": (
        "POST",
        "/scheduling_links",
        lambda c: c.create_scheduling_link(EVENT_TYPE),
    ),
    "scheduled_events": ("GET", "/scheduled_events", lambda c: c.scheduled_events(user=USER)),
    "scheduled_event": (
        "GET",
        f"/scheduled_events/{EVENT_UUID}",
        lambda c: c.scheduled_event(EVENT),
    ),
    "event_invitees": (
        "GET",
        f"/scheduled_events/{EVENT_UUID}/invitees",
        lambda c: c.event_invitees(EVENT),
    ),
    "cancel_event": (
        "POST",
        f"/scheduled_events/{EVENT_UUID}/cancellation",
        lambda c: c.cancel_event(EVENT, "no longer needed"),
    ),
    "create_webhook_subscription": (
        "POST",
        "/webhook_subscriptions",
        lambda c: c.create_webhook_subscription(
            "https://desk.example/webhooks/calendly/x/", ["invitee.created"], ORG, "user", USER
        ),
    ),
    "list_webhook_subscriptions": (
        "GET",
        "/webhook_subscriptions",
        lambda c: c.list_webhook_subscriptions(ORG, "user", user=USER),
    ),
    "get_webhook_subscription": (
        "GET",
        f"/webhook_subscriptions/{HOOK_UUID}",
        lambda c: c.get_webhook_subscription(HOOK),
    ),
    "delete_webhook_subscription": (
        "DELETE",
        f"/webhook_subscriptions/{HOOK_UUID}",
        lambda c: c.delete_webhook_subscription(HOOK),
    ),
    "may_write": ("POST", "/scheduling_links", lambda c: c.may_write("scheduling_links:write")),
}
BOOKING_CALLS = {"create_invitee"}
every_call = pytest.mark.parametrize("name", sorted(CALLS))


def route_for(api, name):
    method, path, _ = CALLS[name]
    return api.route(method=method, path=path)


def call(client, name):
    return CALLS[name][2](client)


@every_call
def test_every_call_answers_when_calendly_does(api, client, name):
    status = 204 if name == "delete_webhook_subscription" else 200
    route_for(api, name).respond(status, json=ANSWER_OF.get(name))

    call(client, name)

    assert route_for(api, name).call_count == 1


@every_call
def test_every_call_asks_to_reconnect_on_401_without_the_token(api, client, sleeps, name):
    route = route_for(api, name).mock(
        return_value=error(401, "Unauthenticated", f"The access token {TOKEN} is invalid")
    )

    with pytest.raises(ProviderAuthError) as caught:
        call(client, name)

    assert "reconnect Calendly" in caught.value.safe_message
    assert TOKEN not in caught.value.safe_message and TOKEN not in caught.value.detail
    assert route.call_count == 1 and sleeps == []


@every_call
def test_every_call_ends_rate_limited_on_a_429_that_keeps_coming(api, client, sleeps, name):
    route = route_for(api, name).mock(
        return_value=error(429, "Too Many Requests", "Slow down", **{"X-RateLimit-Reset": "1"})
    )

    with pytest.raises(ProviderRateLimited) as caught:
        call(client, name)

    assert caught.value.retry_after == 1
    if name in BOOKING_CALLS:
        assert route.call_count == 1 and sleeps == []  # never waits: the caller sends a link
    else:
        assert route.call_count >= 2 and sum(sleeps) < 20


@every_call
def test_every_call_ends_unavailable_on_5xx(api, client, sleeps, name):
    route = route_for(api, name).mock(return_value=httpx.Response(503))

    with pytest.raises(ProviderUnavailable) as caught:
        call(client, name)

    assert caught.value.outcome_unknown == (name in BOOKING_CALLS)
    if name in BOOKING_CALLS:
        assert route.call_count == 1 and sleeps == []  # a booking is never retried blindly
    else:
        assert route.call_count >= 2 and sum(sleeps) < 20


@every_call
def test_every_call_ends_unavailable_on_a_timeout(api, client, sleeps, name):
    route = route_for(api, name).mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(ProviderUnavailable) as caught:
        call(client, name)

    assert caught.value.outcome_unknown == (name in BOOKING_CALLS)
    if name in BOOKING_CALLS:
        assert route.call_count == 1
    else:
        assert route.call_count >= 2  # retried before giving up


@pytest.mark.parametrize(
    ("name", "parse"),
    [
        ("event_types", lambda uuid: event_type(uuid, f"Call {uuid}")),
        ("scheduled_events", lambda uuid: scheduled_event(f"{API}/scheduled_events/{uuid}")),
        (
            "event_invitees",
            lambda uuid: {**invitee_resource(), "uri": f"{EVENT}/invitees/{uuid}"},
        ),
        (
            "list_webhook_subscriptions",
            lambda uuid: {
                **load_fixture("webhook_subscription_create_response.json")["resource"],
                "uri": f"{API}/webhook_subscriptions/{uuid}",
            },
        ),
    ],
)
def test_every_list_is_walked_to_its_last_page(api, client, name, parse):
    route = route_for(api, name).mock(
        side_effect=[
            httpx.Response(200, json=page([parse("a1"), parse("a2")], next_token="p2")),
            httpx.Response(200, json=page([parse("b1")], next_token="p3")),
            httpx.Response(200, json=page([parse("c1")])),
        ]
    )

    found = call(client, name)

    assert [item.uri.rsplit("/", 1)[-1] for item in found] == ["a1", "a2", "b1", "c1"]
    tokens = [call_.request.url.params.get("page_token") for call_ in route.calls]
    assert tokens == [None, "p2", "p3"]
    assert {call_.request.url.params["count"] for call_ in route.calls} == {"100"}


def test_a_write_scope_is_missing_when_calendly_names_it(api, client):
    api.post("/invitees").mock(
        return_value=error(
            403,
            "Permission Denied",
            "The access token is missing the required scope: scheduled_events:write",
        )
    )
    api.post("/scheduling_links").mock(
        return_value=error(400, "Invalid Argument", "owner is required")
    )

    assert client.may_write("scheduled_events:write") is False
    assert client.may_write("scheduling_links:write") is True
