"""The sandbox driven by the real client, its deliveries caught by a tiny local receiver."""

import datetime as dt
import queue
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import httpx
import pytest

from calendly.client import WRITE_PROBES, CalendlyClient
from calendly.dialect import CalendlyConflict
from calendly.payloads import parse_event
from calendly.sandbox.records import ALL_SCOPES
from calendly.sandbox.server import start_sandbox
from calendly.signatures import SIGNATURE_HEADER, verify
from followups.errors import (
    ProviderAuthError,
    ProviderBadRequest,
    ProviderError,
    ProviderPermissionError,
    ProviderRateLimited,
    SlotTaken,
)

TOKEN = "sandbox-token"
HOOK_KEY = "whsec-our-own-key"
APP_KEY = "whsec-oauth-app-key"
EVENTS = ["invitee.created", "invitee.canceled", "invitee_no_show.created"]
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def sandbox():
    server, base_url = start_sandbox(token=TOKEN, signing_key=APP_KEY)
    yield server, base_url
    server.stop()


@pytest.fixture
def base_url(sandbox):
    return sandbox[1]


@pytest.fixture
def client(base_url):
    with CalendlyClient(TOKEN, base_url=base_url, sleep=lambda seconds: None) as calendly:
        yield calendly


@pytest.fixture
def me(client):
    return client.me()


@pytest.fixture
def receiver():
    """A local HTTP endpoint that answers 200 and keeps what it got."""
    received = queue.Queue()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.put((self.headers.get(SIGNATURE_HEADER), body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}/webhooks/calendly/"
    server.received = received
    yield server
    server.shutdown()
    server.server_close()


def next_delivery(receiver, key=HOOK_KEY):
    header, body = receiver.received.get(timeout=5)
    verify(header, body, key)
    return parse_event(body)


def subscribe(client, me, url, **kwargs):
    return client.create_webhook_subscription(
        url, EVENTS, me.current_organization, "organization", **kwargs
    )


def discovery(client, me):
    return next(t for t in client.event_types(user=me.uri) if t.slug == "discovery-call")


def first_free(client, event_type):
    now = dt.datetime.now(dt.UTC)
    return client.available_times(event_type.uri, now, now + dt.timedelta(days=14))[0].start


def book(client, event_type, start, email="jordan@example.com", **kwargs):
    return client.create_invitee(
        event_type.uri, start, email=email, name="Jordan Lee", timezone="America/Chicago", **kwargs
    )


def test_the_sandbox_user_has_active_and_inactive_event_types(client, me):
    types = {t.slug: t for t in client.event_types(user=me.uri)}

    assert me.timezone == "America/New_York"
    assert {slug: t.active for slug, t in types.items()} == {
        "discovery-call": True,
        "strategy-session": True,
        "old-intro-call": False,
    }
    assert types["strategy-session"].required_questions == ("What is your company's website?",)
    assert [
        t.slug for t in client.event_types(organization=me.current_organization, active=True)
    ] == [
        "discovery-call",
        "strategy-session",
        "sales-intro",  # the organization's list has the team's event types too
        "team-demo",
        "group-qa",
    ]


def test_lists_are_paged_by_count_and_the_client_reads_every_page(base_url, client, me):
    answer = httpx.get(
        f"{base_url}/event_types",
        params={"user": me.uri, "count": 2},
        headers={"Authorization": f"Bearer {TOKEN}"},
    ).json()

    assert len(answer["collection"]) == 2
    assert answer["pagination"]["next_page_token"]
    assert len(client.event_types(user=me.uri)) == 3


def test_available_times_are_weekday_office_hours_in_the_users_zone(client, me):
    now = dt.datetime.now(dt.UTC)

    slots = client.available_times(discovery(client, me).uri, now, now + dt.timedelta(days=16))

    local = [slot.start.astimezone(NEW_YORK) for slot in slots]
    assert local and local == sorted(local)
    assert all(moment.weekday() < 5 for moment in local)
    assert all(dt.time(9) <= moment.time() <= dt.time(16, 30) for moment in local)
    assert all(moment.minute in (0, 30) for moment in local)
    assert local[-1] - local[0] > dt.timedelta(days=7)  # more than one 7-day window


def test_the_sandbox_refuses_a_window_over_its_limit(base_url, me):
    start = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    answer = httpx.get(
        f"{base_url}/event_type_available_times",
        params={
            "event_type": f"{base_url}/event_types/5a2b1c3d-0000-4e8f-9a10-1b2c3d4e5f60",
            "start_time": start.isoformat(),
            "end_time": (start + dt.timedelta(days=8)).isoformat(),
        },
        headers={"Authorization": f"Bearer {TOKEN}"},
    )

    assert answer.status_code == 400
    assert set(answer.json()) >= {"title", "message", "details"}


def test_booking_sends_a_signed_invitee_created_and_takes_the_slot(client, me, receiver):
    subscribe(client, me, receiver.url, signing_key=HOOK_KEY)
    event_type = discovery(client, me)
    start = first_free(client, event_type)

    invitee = book(client, event_type, start, utm_content="lead-42")
    delivery = next_delivery(receiver)

    assert delivery.event == "invitee.created"
    assert delivery.invitee.uri == invitee.uri
    assert delivery.invitee.utm_content == "lead-42"
    assert delivery.invitee.scheduled_event.start == start
    assert delivery.invitee.scheduling_method == "api"
    assert start not in [
        s.start
        for s in client.available_times(event_type.uri, start, start + dt.timedelta(hours=2))
    ]
    with pytest.raises(SlotTaken):
        book(client, event_type, start, email="someone.else@example.com")


def test_a_booking_is_found_again_by_the_invitees_email(client, me):
    event_type = discovery(client, me)
    start = first_free(client, event_type)
    invitee = book(client, event_type, start, email="Jordan@Example.com")

    found = client.scheduled_events(
        user=me.uri,
        invitee_email="jordan@example.com",
        min_start_time=start - dt.timedelta(minutes=1),
        max_start_time=start + dt.timedelta(minutes=1),
    )

    assert [event.uri for event in found] == [invitee.event]
    assert [i.uri for i in client.event_invitees(invitee.event)] == [invitee.uri]


def test_a_required_question_must_be_answered(client, me):
    strategy = next(t for t in client.event_types(user=me.uri) if t.slug == "strategy-session")
    start = first_free(client, strategy)

    with pytest.raises(ProviderBadRequest) as caught:
        book(client, strategy, start)
    invitee = book(
        client,
        strategy,
        start,
        questions_and_answers=[("What is your company's website?", "https://acme.example")],
    )

    assert not isinstance(caught.value, SlotTaken)
    assert "required question" in caught.value.safe_message
    assert invitee.questions_and_answers == (
        ("What is your company's website?", "https://acme.example"),
    )


def test_a_duplicate_subscription_is_409_and_listing_finds_the_first(client, me, receiver):
    first = subscribe(client, me, receiver.url, signing_key=HOOK_KEY)

    with pytest.raises(CalendlyConflict) as caught:
        subscribe(client, me, receiver.url, signing_key=HOOK_KEY)

    assert "Hook with this url already exists" in caught.value.safe_message
    listed = client.list_webhook_subscriptions(me.current_organization, "organization")
    assert [hook.uri for hook in listed] == [first.uri]
    assert client.delete_webhook_subscription(first.uri)
    assert subscribe(client, me, receiver.url).is_active


def test_host_cancel_sends_invitee_canceled(client, me, receiver):
    subscribe(client, me, receiver.url, signing_key=HOOK_KEY)
    event_type = discovery(client, me)
    invitee = book(client, event_type, first_free(client, event_type))
    next_delivery(receiver)

    client.cancel_event(invitee.event, "Lead asked to cancel")
    delivery = next_delivery(receiver)

    assert delivery.event == "invitee.canceled"
    assert delivery.invitee.uri == invitee.uri
    assert (delivery.invitee.cancellation.canceler_type, delivery.invitee.cancellation.reason) == (
        "host",
        "Lead asked to cancel",
    )
    assert client.scheduled_event(invitee.event).is_canceled


def test_a_lead_booking_through_the_page_is_signed_with_the_app_key(base_url, client, me, receiver):
    subscribe(client, me, receiver.url)  # no signing key of ours: the app's key signs

    answer = httpx.post(
        f"{base_url}/_sandbox/book",
        json={
            "email": "lead@example.com",
            "first_name": "Lee",
            "last_name": "Ad",
            "utm_content": "lead-9",
        },
    )
    delivery = next_delivery(receiver, key=APP_KEY)

    assert answer.status_code == 201
    assert delivery.invitee.uri == answer.json()["resource"]["uri"]
    assert (delivery.invitee.name, delivery.invitee.utm_content) == ("Lee Ad", "lead-9")


def test_a_reschedule_links_the_old_and_new_invitees(base_url, client, me, receiver):
    subscribe(client, me, receiver.url, signing_key=HOOK_KEY)
    event_type = discovery(client, me)
    now = dt.datetime.now(dt.UTC)
    first, second = client.available_times(event_type.uri, now, now + dt.timedelta(days=14))[:2]
    invitee = book(client, event_type, first.start)
    next_delivery(receiver)

    httpx.post(
        f"{base_url}/_sandbox/reschedule",
        json={"invitee": invitee.uri, "start_time": second.start.isoformat()},
    ).raise_for_status()
    canceled, created = next_delivery(receiver), next_delivery(receiver)

    assert (canceled.event, canceled.invitee.rescheduled) == ("invitee.canceled", True)
    assert canceled.invitee.new_invitee == created.invitee.uri
    assert (created.event, created.invitee.old_invitee) == ("invitee.created", invitee.uri)
    assert created.invitee.scheduled_event.start == second.start


def test_a_disabled_subscription_gets_nothing(base_url, client, me, receiver, sandbox):
    hook = subscribe(client, me, receiver.url, signing_key=HOOK_KEY)
    uuid = hook.uri.rsplit("/", 1)[-1]

    httpx.post(f"{base_url}/_sandbox/subscriptions/{uuid}/disable").raise_for_status()
    booked = httpx.post(f"{base_url}/_sandbox/book", json={"email": "x@example.com", "name": "X"})
    sandbox[0].wait_for_deliveries()

    assert booked.status_code == 201
    assert not client.get_webhook_subscription(hook.uri).is_active
    assert receiver.received.empty()


def test_a_no_show_mark_is_delivered(base_url, client, me, receiver):
    subscribe(client, me, receiver.url, signing_key=HOOK_KEY)
    booked = httpx.post(f"{base_url}/_sandbox/book", json={"email": "x@example.com", "name": "X"})
    next_delivery(receiver)

    httpx.post(f"{base_url}/_sandbox/no_show", json={"invitee": booked.json()["resource"]["uri"]})
    delivery = next_delivery(receiver)

    assert delivery.event == "invitee_no_show.created"
    assert delivery.invitee.no_show.uri


def test_a_wrong_token_is_refused(base_url):
    stranger = CalendlyClient("not-the-token", base_url=base_url)

    with pytest.raises(ProviderAuthError):
        stranger.me()


def test_a_missing_scope_is_named(base_url, client, me):
    httpx.post(f"{base_url}/_sandbox/config", json={"scopes": ["users:read"]}).raise_for_status()

    with pytest.raises(ProviderPermissionError) as caught:
        client.event_types(user=me.uri)

    assert caught.value.missing_scopes == ("event_types:read",)


def test_a_plan_without_the_scheduling_api_refuses_booking(base_url, client, me):
    event_type = discovery(client, me)
    start = first_free(client, event_type)
    httpx.post(f"{base_url}/_sandbox/config", json={"scheduling_api": False}).raise_for_status()

    with pytest.raises(ProviderPermissionError):
        book(client, event_type, start)


def test_an_injected_429_on_booking_reaches_the_caller_at_once(base_url, client, me):
    event_type = discovery(client, me)
    start = first_free(client, event_type)
    httpx.post(
        f"{base_url}/_sandbox/fail",
        json={
            "method": "POST",
            "path": "/invitees",
            "status": 429,
            "headers": {"X-RateLimit-Reset": "60"},
        },
    ).raise_for_status()

    with pytest.raises(ProviderRateLimited) as caught:
        book(client, event_type, start)

    assert caught.value.retry_after == 60
    assert book(client, event_type, start).uri  # the next call goes through


def test_state_shows_deliveries_without_signing_keys(base_url, client, me, receiver, sandbox):
    subscribe(client, me, receiver.url, signing_key=HOOK_KEY)
    httpx.post(f"{base_url}/_sandbox/book", json={"email": "x@example.com", "name": "X"})
    sandbox[0].wait_for_deliveries()

    state = httpx.get(f"{base_url}/_sandbox/state")

    assert [(d["event"], d["status"]) for d in state.json()["deliveries"]] == [
        ("invitee.created", 200)
    ]
    assert HOOK_KEY not in state.text


def test_oauth_code_and_refresh_against_the_sandbox(base_url, settings):
    from urllib.parse import parse_qs, urlsplit

    from calendly.oauth import exchange_code, refresh_token

    settings.CALENDLY_OAUTH_CLIENT_ID, settings.CALENDLY_OAUTH_CLIENT_SECRET = "id", "secret"
    httpx.post(
        f"{base_url}/_sandbox/config",
        json={"oauth_client_id": "id", "oauth_client_secret": "secret"},
    ).raise_for_status()
    redirect = httpx.get(
        f"{base_url}/oauth/authorize",
        params={"client_id": "id", "redirect_uri": "https://app.example/cb", "state": "s1"},
    )
    query = parse_qs(urlsplit(redirect.headers["Location"]).query)

    tokens = exchange_code(query["code"][0], "https://app.example/cb", auth_base=base_url)
    renewed = refresh_token(tokens.refresh_token, auth_base=base_url)

    assert query["state"] == ["s1"]
    assert CalendlyClient(renewed.access_token, base_url=base_url).me().uri == tokens.owner
    with pytest.raises(ProviderAuthError):
        refresh_token(tokens.refresh_token, auth_base=base_url)  # replaced on use


def config(base_url, **values):
    httpx.post(f"{base_url}/_sandbox/config", json=values).raise_for_status()


def test_explicit_availability_frees_exactly_those_times_on_any_day(base_url, client, me):
    event_type = discovery(client, me)
    saturday_night = dt.datetime.now(NEW_YORK).replace(hour=22, minute=0, second=0, microsecond=0)
    while saturday_night.weekday() != 5 or saturday_night < dt.datetime.now(NEW_YORK):
        saturday_night += dt.timedelta(days=1)
    times = [saturday_night, saturday_night + dt.timedelta(hours=1)]
    config(base_url, availability=[t.isoformat() for t in times])
    window = (saturday_night - dt.timedelta(days=1), saturday_night + dt.timedelta(days=1))

    free = [slot.start for slot in client.available_times(event_type.uri, *window)]
    book(client, event_type, times[0])
    after = [slot.start for slot in client.available_times(event_type.uri, *window)]
    config(base_url, availability=None)

    assert free == [t.astimezone(dt.UTC) for t in times]
    assert after == [times[1].astimezone(dt.UTC)]
    assert client.available_times(event_type.uri, *window) == []  # office hours again


def test_a_failure_that_performs_books_and_still_answers_the_error(base_url, client, me, receiver):
    from followups.errors import ProviderUnavailable

    subscribe(client, me, receiver.url, signing_key=HOOK_KEY)
    event_type = discovery(client, me)
    start = first_free(client, event_type)
    httpx.post(
        f"{base_url}/_sandbox/fail",
        json={"method": "POST", "path": "/invitees", "status": 504, "perform": True},
    ).raise_for_status()

    with pytest.raises(ProviderUnavailable) as caught:
        book(client, event_type, start)

    assert caught.value.outcome_unknown
    assert next_delivery(receiver).invitee.scheduled_event.start == start
    assert client.scheduled_events(user=me.uri, invitee_email="jordan@example.com")


def test_sync_deliveries_reach_the_receiver_before_the_answer(base_url, client, me, receiver):
    subscribe(client, me, receiver.url, signing_key=HOOK_KEY)
    config(base_url, sync_deliveries=True)
    event_type = discovery(client, me)

    invitee = book(client, event_type, first_free(client, event_type))

    header, body = receiver.received.get_nowait()  # already there: no waiting
    verify(header, body, HOOK_KEY)
    assert parse_event(body).invitee.uri == invitee.uri


def test_the_request_log_shows_api_calls_but_not_controls(base_url, client, me):
    event_type = discovery(client, me)
    httpx.post(
        f"{base_url}/_sandbox/fail", json={"method": "POST", "path": "/invitees", "status": 503}
    )
    with pytest.raises(ProviderError):
        book(client, event_type, first_free(client, event_type))

    log = httpx.get(f"{base_url}/_sandbox/state").json()["requests"]

    assert {"method": "POST", "path": "/invitees", "status": 503} in log
    assert {"method": "GET", "path": "/users/me", "status": 200} in log
    assert not [entry for entry in log if entry["path"].startswith("/_sandbox")]


def test_reset_forgets_bookings_subscriptions_and_config(base_url, client, me, receiver):
    subscribe(client, me, receiver.url, signing_key=HOOK_KEY)
    config(base_url, scheduling_api=False, availability=[])
    httpx.post(f"{base_url}/_sandbox/book", json={"email": "x@example.com", "name": "X"})

    httpx.post(f"{base_url}/_sandbox/reset").raise_for_status()
    state = httpx.get(f"{base_url}/_sandbox/state").json()

    assert state["invitees"] == [] and state["webhook_subscriptions"] == []
    assert state["scheduling_api"] is True and state["availability"] is None
    assert client.me().uri == me.uri  # same address, same token


def test_write_scopes_are_checked_without_writing_anything(base_url, client, me):
    granted = {scope: client.may_write(scope) for scope in WRITE_PROBES}
    config(base_url, scopes=[s for s in ALL_SCOPES if s != "scheduling_links:write"])
    narrowed = {scope: client.may_write(scope) for scope in WRITE_PROBES}
    config(base_url, scopes=None, scheduling_api=False)
    planless = client.may_write("scheduled_events:write")

    state = httpx.get(f"{base_url}/_sandbox/state").json()
    assert granted == {"scheduled_events:write": True, "scheduling_links:write": True}
    assert narrowed == {"scheduled_events:write": True, "scheduling_links:write": False}
    assert planless  # the plan refuses booking, which is not a missing scope
    assert state["invitees"] == [] and state["scheduling_links"] == []
