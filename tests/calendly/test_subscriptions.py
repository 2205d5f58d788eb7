"""The webhook subscription, against the sandbox: exactly one, for our URL, signed with a key we
hold (stored encrypted before Calendly ever signs with it), repaired when Calendly disabled it or
it went missing, never duplicated by a second click."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import DatabaseError, close_old_connections
from django.db import connection as db
from django.utils import timezone

from booking.models import Appointment
from calendly import account as calendly_account
from calendly import connection, subscriptions, tasks
from calendly.client import CalendlyClient
from calendly.models import Subscription
from integrations.models import Connection
from tests.calendly.helpers import feed
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

EVENTS = [
    "invitee.created",
    "invitee.canceled",
    "invitee_no_show.created",
    "invitee_no_show.deleted",
]


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=True) as traveller:
        yield traveller


def next_check(clock) -> int:
    """The beat's next health check, ten minutes on (it skips a workspace checked less than five
    minutes ago: connecting checked it)."""
    clock.shift(timedelta(minutes=10))
    return tasks.check_all_subscriptions()


def ours(sandbox, workspace):
    url = calendly_account.webhook_url(workspace)
    return [s for s in sandbox.subscriptions() if s["callback_url"] == url]


def record(workspace):
    return Subscription.objects.get(workspace=workspace)


def signing_key(workspace):
    return Connection.objects.get(workspace=workspace, provider="calendly").secret(
        "webhook_signing_key"
    )


def test_connecting_makes_one_subscription_signed_with_a_key_we_stored(
    client, workspace, calendly_connected, calendly_receiver, on_commit
):
    lead = LeadFactory(workspace=workspace, email="jordan@example.com")
    [hook] = ours(calendly_connected, workspace)

    calendly_connected.book(email="jordan@example.com", name="Jordan Lee")
    delivery = calendly_receiver.next()
    with on_commit():
        response = feed(client, delivery)

    assert (hook["state"], hook["scope"]) == ("active", "organization")  # the user is the owner
    assert sorted(hook["events"]) == sorted(EVENTS)
    assert hook["has_signing_key"] and signing_key(workspace)
    assert (record(workspace).state, record(workspace).uri) == ("active", hook["uri"])
    assert response.status_code == 200  # verified with the key we stored
    assert Appointment.objects.get().lead == lead


def test_the_signing_key_is_stored_encrypted(workspace, calendly_connected):
    with db.cursor() as cursor:
        cursor.execute("SELECT secrets::text FROM integrations_connection")
        (raw,) = cursor.fetchone()
    assert signing_key(workspace) not in raw


def test_a_second_check_changes_nothing(workspace, calendly_connected):
    [before] = ours(calendly_connected, workspace)

    outcome = subscriptions.ensure(workspace=workspace)

    assert outcome.state == "active" and ours(calendly_connected, workspace) == [before]
    assert calendly_connected.calls("POST", "/webhook_subscriptions") == 1


def test_a_leftover_for_our_url_whose_key_we_dont_hold_is_replaced(
    workspace, calendly_sandbox, calendly_receiver, on_commit
):
    stray = CalendlyClient(calendly_sandbox.token).create_webhook_subscription(
        calendly_account.webhook_url(workspace),
        EVENTS,
        calendly_sandbox.state()["organization"],
        "user",
        user=calendly_sandbox.state()["user"]["uri"],
        signing_key="a-key-nobody-stored",
    )

    with on_commit():
        connection.api_connect(
            workspace=workspace,
            data={
                "access_token": calendly_sandbox.token,
                "event_type": calendly_sandbox.event_type_uri(),
            },
        )

    [hook] = ours(calendly_sandbox, workspace)
    assert hook["uri"] != stray.uri and hook["has_signing_key"]
    assert record(workspace).uri == hook["uri"]


def test_a_409_on_create_is_sorted_out_and_ends_with_one(workspace, calendly_connected):
    sandbox = calendly_connected
    for hook in ours(sandbox, workspace):
        CalendlyClient(sandbox.token).delete_webhook_subscription(hook["uri"])
    sandbox.fail(
        "POST",
        "/webhook_subscriptions",
        409,
        body={"title": "Already Exists", "message": "Hook with this url already exists"},
    )

    outcome = subscriptions.ensure(workspace=workspace)

    assert outcome.state == "active"
    assert len(ours(sandbox, workspace)) == 1
    assert record(workspace).uri == ours(sandbox, workspace)[0]["uri"]


@pytest.fixture
def oauth_connected(settings, workspace, calendly_sandbox, calendly_receiver):
    """An OAuth-connected workspace (the tokens as the callback stores them)."""
    from calendly.oauth import exchange_code

    settings.CALENDLY_OAUTH_CLIENT_ID, settings.CALENDLY_OAUTH_CLIENT_SECRET = "id", "secret"
    settings.CALENDLY_WEBHOOK_SIGNING_KEY = "whsec-sandbox-oauth-app-key"
    import httpx

    approved = httpx.get(
        f"{calendly_sandbox.base_url}/oauth/authorize",
        params={"client_id": "id", "redirect_uri": "https://desk.example/cb"},
    )
    code = approved.headers["Location"].split("code=")[1].split("&")[0]
    tokens = exchange_code(code, "https://desk.example/cb")
    connection.connect_oauth(workspace=workspace, tokens=tokens)
    return calendly_sandbox


def test_with_oauth_an_app_signed_subscription_for_our_url_is_reused(workspace, oauth_connected):
    sandbox = oauth_connected
    existing = CalendlyClient(sandbox.token).create_webhook_subscription(
        calendly_account.webhook_url(workspace),
        EVENTS,
        sandbox.state()["organization"],
        "organization",  # the sandbox's user is the organization's owner
    )

    outcome = subscriptions.ensure(workspace=workspace)

    assert outcome.state == "active"
    assert [hook["uri"] for hook in ours(sandbox, workspace)] == [existing.uri]
    assert not ours(sandbox, workspace)[0]["has_signing_key"]  # the app's key signs it
    assert signing_key(workspace) == ""  # no key of ours with OAuth


def test_with_oauth_and_no_app_key_setting_nothing_is_subscribed(
    settings, workspace, oauth_connected
):
    settings.CALENDLY_WEBHOOK_SIGNING_KEY = ""

    outcome = subscriptions.ensure(workspace=workspace)

    assert outcome.state == "error" and "CALENDLY_WEBHOOK_SIGNING_KEY" in outcome.detail
    assert ours(oauth_connected, workspace) == []


def test_the_health_check_repairs_a_subscription_calendly_disabled(
    workspace, calendly_connected, clock
):
    sandbox = calendly_connected
    [before] = ours(sandbox, workspace)
    sandbox.disable_subscription(before["uri"])

    assert next_check(clock) == 1

    [after] = ours(sandbox, workspace)
    assert after["uri"] != before["uri"] and after["state"] == "active"
    assert record(workspace).state == "active"
    assert record(workspace).repair_reason == "Calendly had disabled it"


def test_a_disabled_subscription_that_cannot_be_recreated_shows_as_missing_with_why(
    workspace, calendly_connected, clock
):
    sandbox = calendly_connected
    [before] = ours(sandbox, workspace)
    sandbox.disable_subscription(before["uri"])
    sandbox.fail("POST", "/webhook_subscriptions", 503, times=2)

    next_check(clock)

    assert record(workspace).state == "missing"
    assert "Calendly had disabled it" in record(workspace).last_error
    assert ours(sandbox, workspace) == []
    next_check(clock)  # Calendly answers again: the next check repairs it
    assert record(workspace).state == "active" and len(ours(sandbox, workspace)) == 1


def test_the_health_check_recreates_a_missing_subscription(workspace, calendly_connected, clock):
    sandbox = calendly_connected
    [before] = ours(sandbox, workspace)
    CalendlyClient(sandbox.token).delete_webhook_subscription(before["uri"])

    next_check(clock)

    [after] = ours(sandbox, workspace)
    assert after["uri"] != before["uri"]
    assert record(workspace).repair_reason == "it was gone at Calendly"


def test_a_refused_token_is_shown_and_marks_the_connection(workspace, calendly_connected):
    calendly_connected.fail("GET", "/webhook_subscriptions", 401, times=3)

    outcome = subscriptions.ensure(workspace=workspace)

    assert outcome.state == "error" and "reconnect Calendly" in record(workspace).last_error
    assert Connection.objects.get(workspace=workspace).status == "needs_reauth"


def test_no_subscription_is_made_when_its_key_could_not_be_stored(
    workspace, calendly_sandbox, calendly_receiver
):
    connection.connect(
        workspace=workspace,
        data={
            "access_token": calendly_sandbox.token,
            "event_type": calendly_sandbox.event_type_uri(),
        },
    )
    with db.cursor() as cursor:  # the connection row can't be written (a real database error)
        cursor.execute(
            "CREATE FUNCTION refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'could not write' USING ERRCODE = '53100'; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER refuse_update BEFORE UPDATE ON integrations_connection "
            "FOR EACH ROW EXECUTE FUNCTION refuse_update()"
        )

    with pytest.raises(DatabaseError):
        subscriptions.ensure(workspace=workspace)

    assert ours(calendly_sandbox, workspace) == []


@pytest.mark.django_db(transaction=True)
def test_two_repairs_at_once_make_one_subscription(workspace, calendly_sandbox, calendly_receiver):
    connection.connect(
        workspace=workspace,
        data={
            "access_token": calendly_sandbox.token,
            "event_type": calendly_sandbox.event_type_uri(),
        },
    )
    barrier = threading.Barrier(2)
    outcomes = []

    def repair():
        try:
            barrier.wait()
            outcomes.append(subscriptions.ensure(workspace=workspace))
        finally:
            close_old_connections()
            db.close()

    threads = [threading.Thread(target=repair) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(o.state for o in outcomes) in (["active", "busy"], ["active", "active"])
    assert len(ours(calendly_sandbox, workspace)) == 1
    assert calendly_sandbox.calls("POST", "/webhook_subscriptions") == 1


EMPTY_PAGE = {
    "collection": [],
    "pagination": {"count": 0, "next_page": None, "next_page_token": None},
}


def test_with_oauth_a_409_for_our_url_reuses_the_one_calendly_has(workspace, oauth_connected):
    sandbox = oauth_connected
    existing = CalendlyClient(sandbox.token).create_webhook_subscription(
        calendly_account.webhook_url(workspace),
        EVENTS,
        sandbox.state()["organization"],
        "organization",  # the sandbox's user is the organization's owner
    )
    # The first listings (the user's, the organization's) miss it (as lists taken just before
    # another worker created it).
    sandbox.fail("GET", "/webhook_subscriptions", 200, body=EMPTY_PAGE, times=2)

    outcome = subscriptions.ensure(workspace=workspace)

    assert outcome.state == "active"
    assert [hook["uri"] for hook in ours(sandbox, workspace)] == [existing.uri]  # reused
    assert record(workspace).uri == existing.uri


def test_with_our_own_key_a_409_for_our_url_replaces_what_calendly_has(
    workspace, calendly_connected
):
    sandbox = calendly_connected
    [ours_before] = ours(sandbox, workspace)
    Subscription.objects.filter(workspace=workspace).update(uri="")  # as if we never heard back
    sandbox.fail("GET", "/webhook_subscriptions", 200, body=EMPTY_PAGE)

    outcome = subscriptions.ensure(workspace=workspace)

    [now] = ours(sandbox, workspace)
    assert outcome.state == "active" and now["has_signing_key"]
    assert now["uri"] != ours_before["uri"]  # we can't prove its key: made again with ours
