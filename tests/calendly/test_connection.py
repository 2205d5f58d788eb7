"""Connecting Calendly, against the sandbox: checked at Calendly before anything is stored,
the event type resolved from the list or a pasted link, missing scopes named, OAuth tokens
renewed before they expire, once, under a lock."""

import json
import threading
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.db import close_old_connections
from django.db import connection as db
from django.urls import reverse
from django.utils import timezone

from calendly import connection, event_types
from calendly.account import account_for, is_connected
from calendly.sandbox.records import ALL_SCOPES
from followups.errors import InvalidSetting, ProviderAuthError
from integrations.models import Connection
from tests.calendly.helpers import OLD_INTRO, STRATEGY
from workspaces.models import AuditEvent

pytestmark = pytest.mark.django_db


def stored(workspace):
    return Connection.objects.get(workspace=workspace, provider="calendly")


def raw_secrets(workspace) -> str:
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT secrets::text FROM integrations_connection WHERE workspace_id = %s",
            [workspace.pk],
        )
        return cursor.fetchone()[0]


def connect(workspace, sandbox, **data):
    return connection.connect(workspace=workspace, data={"access_token": sandbox.token, **data})


def test_a_token_connects_and_is_stored_only_encrypted(workspace, calendly_sandbox):
    connect(workspace, calendly_sandbox, event_type=calendly_sandbox.event_type_uri())

    account = account_for(workspace)
    status = connection.status(workspace)
    assert (account.token, account.duration) == (calendly_sandbox.token, timedelta(minutes=30))
    assert status["connected"] and status["user_name"] == "Casey Closer"
    assert status["organization_uri"].endswith(
        "/organizations/0a9b8c7d-1111-4222-8333-444455556666"
    )
    assert status["scheduling_url"] == f"{calendly_sandbox.base_url}/casey-closer"
    assert status["event_type"]["name"] == "Discovery Call"
    assert status["token_hint"] == calendly_sandbox.token[-4:]
    assert calendly_sandbox.token not in raw_secrets(workspace)
    assert calendly_sandbox.token not in json.dumps(status)


def test_a_refused_token_is_a_field_error_and_nothing_is_stored(workspace, calendly_sandbox):
    with pytest.raises(InvalidSetting) as caught:
        connection.connect(workspace=workspace, data={"access_token": "pat-not-the-right-one"})

    assert caught.value.field == "access_token"
    assert "refused this token" in caught.value.safe_message
    assert "pat-not-the-right-one" not in caught.value.safe_message
    assert not Connection.objects.exists()


def test_missing_scopes_are_named_on_the_token_and_nothing_is_stored(workspace, calendly_sandbox):
    granted = [s for s in ALL_SCOPES if s not in ("webhooks:write", "scheduling_links:write")]
    calendly_sandbox.config(scopes=granted)

    with pytest.raises(InvalidSetting) as caught:
        connect(workspace, calendly_sandbox, event_type=calendly_sandbox.event_type_uri())

    assert caught.value.field == "access_token"
    assert "lacks the scheduling_links:write, webhooks:write scopes" in caught.value.safe_message
    assert "users:read, event_types:read" in caught.value.safe_message  # what to grant
    assert not Connection.objects.exists()


def test_without_an_event_type_the_token_is_kept_and_the_list_offered(workspace, calendly_sandbox):
    connect(workspace, calendly_sandbox)

    assert not is_connected(workspace)
    assert stored(workspace).status == "error"
    assert stored(workspace).last_error == connection.CHOOSE_EVENT_TYPE
    offered = [t["name"] for t in stored(workspace).config["event_types"]]
    # The inactive one is not offered; the organization's team event types are.
    assert offered == [
        "Discovery Call",
        "Strategy Session",
        "Group Q&A",
        "Sales Intro",
        "Team Demo",
    ]

    uri = stored(workspace).config["event_types"][0]["uri"]
    connection.connect(workspace=workspace, data={"access_token": "", "event_type": uri})

    assert is_connected(workspace)
    assert account_for(workspace).token == calendly_sandbox.token


@pytest.mark.parametrize(
    "pasted",
    [
        "{base}/casey-closer/discovery-call",
        "{base}/Casey-Closer/Discovery-Call/",
        "{base}/casey-closer/discovery-call?month=2026-12&utm_source=x",
    ],
)
def test_a_pasted_booking_link_resolves_the_event_type(workspace, calendly_sandbox, pasted):
    link = pasted.format(base=calendly_sandbox.base_url)

    connect(workspace, calendly_sandbox, event_type_link=link)

    assert account_for(workspace).event_type_uri == calendly_sandbox.event_type_uri()


def test_a_link_without_its_scheme_is_understood():
    found = event_types.resolve_event_type(
        [_event_type("https://calendly.com/casey-closer/intro")],
        "www.calendly.com/casey-closer/intro",
    )
    assert found.name == "Intro"


@pytest.mark.parametrize(
    ("field", "wanted", "says"),
    [
        ("event_type_link", "{base}/casey-closer/no-such-call", "No event type of Casey Closer"),
        ("event_type", "{base}/event_types/00000000-0000-4000-8000-000000000000", "not one of"),
        ("event_type", f"{{base}}/event_types/{OLD_INTRO}", "“Old Intro Call” is turned off"),
        ("event_type_link", "call me maybe", "Paste the event type's booking link"),
    ],
)
def test_an_event_type_that_cant_be_booked_is_refused_on_its_field(
    workspace, calendly_sandbox, field, wanted, says
):
    with pytest.raises(InvalidSetting) as caught:
        connect(
            workspace, calendly_sandbox, **{field: wanted.format(base=calendly_sandbox.base_url)}
        )

    assert caught.value.field == field
    assert says in caught.value.safe_message
    assert not Connection.objects.exists()


def test_a_deleted_event_type_is_refused():
    deleted = _event_type("https://calendly.com/x/y", deleted_at="2026-11-01T00:00:00Z")
    with pytest.raises(InvalidSetting) as caught:
        event_types.resolve_event_type([deleted], deleted.uri)
    assert "was deleted in Calendly" in caught.value.safe_message


def test_the_event_types_required_questions_are_kept(workspace, calendly_sandbox):
    connect(workspace, calendly_sandbox, event_type=calendly_sandbox.event_type_uri(STRATEGY))

    account = account_for(workspace)
    assert account.required_questions == ("What is your company's website?",)
    assert account.duration == timedelta(minutes=60)


def test_the_admin_api_needs_an_event_type(workspace):
    with pytest.raises(InvalidSetting) as caught:
        connection.api_connect(workspace=workspace, data={"access_token": "x" * 20})
    assert caught.value.field == "event_type"


def test_reconnecting_with_a_new_token_keeps_our_signing_key(workspace, calendly_connected):
    key = stored(workspace).secret("webhook_signing_key")

    connect(workspace, calendly_connected, event_type=calendly_connected.event_type_uri())

    assert key and stored(workspace).secret("webhook_signing_key") == key


# OAuth


@pytest.fixture
def oauth(settings, calendly_sandbox):
    settings.CALENDLY_OAUTH_CLIENT_ID = "setterdesk-client"
    settings.CALENDLY_OAUTH_CLIENT_SECRET = "setterdesk-client-secret"
    settings.CALENDLY_WEBHOOK_SIGNING_KEY = "whsec-sandbox-oauth-app-key"
    calendly_sandbox.config(
        oauth_client_id="setterdesk-client", oauth_client_secret="setterdesk-client-secret"
    )
    return calendly_sandbox


def sign_in(admin_client, workspace, sandbox):
    """Start at our button, approve at the sandbox, come back to our callback."""
    start = admin_client.post(reverse("calendly_oauth_start", args=[workspace.public_id]))
    authorize = urlsplit(start["Location"])
    approved = httpx.get(start["Location"], follow_redirects=False)
    back = urlsplit(approved.headers["Location"])
    return parse_qs(authorize.query), admin_client.get(f"{back.path}?{back.query}")


def test_the_oauth_round_trip_stores_both_tokens_encrypted(
    admin_client, workspace, oauth, settings
):
    asked, response = sign_in(admin_client, workspace, oauth)

    assert asked["code_challenge_method"] == ["S256"] and asked["code_challenge"][0]
    assert asked["redirect_uri"] == [
        f"{settings.PUBLIC_BASE_URL}/integrations/calendly/oauth/callback/"
    ]
    assert asked["client_id"] == ["setterdesk-client"] and asked["state"][0]
    assert response.status_code == 302
    assert response["Location"] == reverse("integrations_tab", args=[workspace.public_id])
    conn = stored(workspace)
    assert conn.config["auth"] == "oauth" and conn.display_name.startswith("Casey Closer")
    assert conn.secret("access_token") and conn.secret("refresh_token")
    assert conn.secret("access_token") not in raw_secrets(workspace)
    assert conn.last_error == connection.CHOOSE_EVENT_TYPE  # next: pick the event type


def test_a_callback_with_a_foreign_state_is_refused(admin_client, workspace, oauth):
    admin_client.post(reverse("calendly_oauth_start", args=[workspace.public_id]))
    callback = reverse("calendly_oauth_callback")

    forged = admin_client.get(f"{callback}?code=abc&state=not-ours")
    replayed = admin_client.get(f"{callback}?code=abc&state=not-ours")

    assert (forged.status_code, replayed.status_code) == (400, 400)
    assert not Connection.objects.exists()


def test_a_callback_is_used_once(admin_client, workspace, oauth):
    start = admin_client.post(reverse("calendly_oauth_start", args=[workspace.public_id]))
    back = urlsplit(httpx.get(start["Location"]).headers["Location"])
    path = f"{back.path}?{back.query}"

    first = admin_client.get(path)
    second = admin_client.get(path)

    assert (first.status_code, second.status_code) == (302, 400)


def test_oauth_is_not_offered_without_the_apps_credentials(admin_client, workspace, settings):
    settings.CALENDLY_OAUTH_CLIENT_ID = ""
    response = admin_client.post(reverse("calendly_oauth_start", args=[workspace.public_id]))
    assert response.status_code == 404


def expire_soon(workspace):
    from integrations import connections

    soon = (timezone.now() + timedelta(minutes=1)).isoformat()
    connections.update_connection(
        workspace=workspace, provider="calendly", config={"token_expires_at": soon}
    )


def test_an_oauth_token_is_renewed_before_it_expires(admin_client, workspace, oauth):
    sign_in(admin_client, workspace, oauth)
    old = stored(workspace)
    expire_soon(workspace)
    audited = AuditEvent.objects.count()

    account = account_for(workspace, usable_only=False, need_event_type=False)

    new = stored(workspace)
    assert account.token == new.secret("access_token") != old.secret("access_token")
    assert new.secret("refresh_token") != old.secret("refresh_token")  # replaced on use
    assert AuditEvent.objects.count() == audited  # a routine renewal doesn't bury real changes
    assert oauth.calls("POST", "/oauth/token") == 2  # the code, then one refresh
    assert account_for(workspace, usable_only=False, need_event_type=False)
    assert oauth.calls("POST", "/oauth/token") == 2  # fresh now: not renewed again


def test_a_refused_refresh_marks_the_connection_needs_reauth(admin_client, workspace, oauth):
    sign_in(admin_client, workspace, oauth)
    expire_soon(workspace)
    oauth.config(oauth_client_secret="rotated")  # our client secret no longer works

    with pytest.raises(ProviderAuthError) as caught:
        account_for(workspace, usable_only=False, need_event_type=False)

    assert "connect Calendly again" in caught.value.safe_message
    assert stored(workspace).status == "needs_reauth"


@pytest.mark.django_db(transaction=True)
def test_two_workers_renew_the_token_once(client, workspace, oauth):
    from tests.factories import MembershipFactory

    admin = MembershipFactory(workspace=workspace, role="admin").user
    client.force_login(admin)
    sign_in(client, workspace, oauth)
    expire_soon(workspace)
    tokens, errors = [], []
    barrier = threading.Barrier(2)

    def worker():
        try:
            barrier.wait()
            tokens.append(account_for(workspace, usable_only=False, need_event_type=False).token)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            close_old_connections()
            db.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert len(set(tokens)) == 1 and tokens[0] == stored(workspace).secret("access_token")
    assert oauth.calls("POST", "/oauth/token") == 2  # the code, then one refresh: not two


def _event_type(scheduling_url, **extra):
    from calendly.types import EventType

    return EventType.from_api(
        {
            "uri": "https://api.calendly.com/event_types/abc",
            "name": "Intro",
            "slug": "intro",
            "active": True,
            "scheduling_url": scheduling_url,
            "duration": 30,
            **extra,
        }
    )


def test_a_token_calendly_refuses_right_after_sign_in_asks_to_sign_in_again(
    admin_client, workspace, oauth
):
    oauth.fail("GET", "/users/me", 401)

    _, response = sign_in(admin_client, workspace, oauth)

    page = admin_client.get(response["Location"]).content.decode()
    assert "Calendly was not connected" in page
    assert "use “Connect with Calendly” again" in page
    assert "refused this token (revoked, expired or mistyped): create" not in page
