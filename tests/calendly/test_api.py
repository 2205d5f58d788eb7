"""PUT/GET/DELETE /api/admin/workspaces/<id>/integrations/calendly: the onboarding system's way
to connect Calendly with ``access_token`` and ``event_type``; answers never hold a secret."""

import pytest
from rest_framework.test import APIClient
from rest_framework_api_key.models import APIKey

from calendly.sandbox.records import ALL_SCOPES
from integrations.models import Connection
from tests.calendly.helpers import OLD_INTRO

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    _, key = APIKey.objects.create_key(name="onboarding")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def path(workspace):
    return f"/api/admin/workspaces/{workspace.public_id}/integrations/calendly"


def put(api, workspace, **body):
    return api.put(path(workspace), body, "json")


def test_put_with_a_token_and_a_booking_link_connects(api, workspace, calendly_sandbox, on_commit):
    with on_commit():
        response = put(
            api,
            workspace,
            access_token=calendly_sandbox.token,
            event_type=calendly_sandbox.booking_link().upper() + "/",
        )

    body = response.json()
    assert response.status_code == 200, body
    assert body["connected"] and body["status"] == "connected"
    assert body["event_type"]["uri"] == calendly_sandbox.event_type_uri()
    assert body["user_name"] == "Casey Closer" and body["token_hint"] == calendly_sandbox.token[-4:]
    assert api.get(path(workspace)).json()["subscription"]["state"] == "active"  # made after commit
    assert body["webhook_url"].endswith(f"/webhooks/calendly/{workspace.public_id}/")
    assert calendly_sandbox.token not in response.content.decode()
    after = api.get(path(workspace)).json()
    assert after["secrets_stored"] == ["access_token", "webhook_signing_key"]  # names only


def test_before_a_worker_has_made_the_subscription_it_reads_as_being_set_up(
    api, workspace, calendly_sandbox, admin_client
):
    # No on_commit(): the subscription task has not run yet, as when the PUT is answered
    # before a worker picks the task up.
    response = put(
        api,
        workspace,
        access_token=calendly_sandbox.token,
        event_type=calendly_sandbox.booking_link(),
    )

    assert response.json()["subscription"]["state"] == "pending"
    card = admin_client.get(f"/w/{workspace.public_id}/integrations/").content.decode()
    assert "being set up" in card
    assert calendly_sandbox.subscriptions() == []


def test_put_twice_is_one_connection_and_one_subscription(
    api, workspace, calendly_sandbox, on_commit
):
    for _ in range(2):
        with on_commit():
            put(
                api,
                workspace,
                access_token=calendly_sandbox.token,
                event_type=calendly_sandbox.event_type_uri(),
            )

    assert Connection.objects.filter(workspace=workspace).count() == 1
    assert len(calendly_sandbox.subscriptions()) == 1


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        (
            {"access_token": "pat-wrong", "event_type": "{link}"},
            "access_token",
            "refused this token",
        ),
        ({"access_token": "{token}"}, "event_type", "event_type is required"),
        ({"event_type": "{link}"}, "access_token", "access_token is required"),
        (
            {"access_token": "{token}", "event_type": f"{{base}}/event_types/{OLD_INTRO}"},
            "event_type",
            "is turned off in Calendly",
        ),
        (
            {"access_token": "{token}", "event_type": "{base}/casey-closer/nope"},
            "event_type",
            "No event type of Casey Closer",
        ),
    ],
)
def test_put_answers_400_on_the_field_to_fix(api, workspace, calendly_sandbox, body, field, says):
    values = {
        "token": calendly_sandbox.token,
        "link": calendly_sandbox.booking_link(),
        "base": calendly_sandbox.base_url,
    }
    response = put(api, workspace, **{k: v.format(**values) for k, v in body.items()})

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert says in response.json()[field][0]
    assert not Connection.objects.filter(workspace=workspace, status="connected").exists()


def test_put_names_the_missing_scope(api, workspace, calendly_sandbox):
    calendly_sandbox.config(scopes=[s for s in ALL_SCOPES if s != "availability:read"])

    response = put(
        api,
        workspace,
        access_token=calendly_sandbox.token,
        event_type=calendly_sandbox.booking_link(),
    )

    assert response.status_code == 400
    assert "lacks the availability:read scope" in response.json()["access_token"][0]


def test_put_while_calendly_is_down_is_503(api, workspace, calendly_sandbox):
    calendly_sandbox.fail("GET", "/users/me", 503, times=5)

    response = put(
        api,
        workspace,
        access_token=calendly_sandbox.token,
        event_type=calendly_sandbox.booking_link(),
    )

    assert response.status_code == 503
    assert "not answering" in response.json()["non_field_errors"][0]


def test_get_and_delete(api, workspace, calendly_connected):
    got = api.get(path(workspace))
    deleted = api.delete(path(workspace))

    assert got.status_code == 200 and got.json()["connected"]
    assert calendly_connected.token not in got.content.decode()
    assert deleted.status_code == 200
    assert deleted.json()["status"] == "disconnected" and not deleted.json()["connected"]
    assert deleted.json()["subscription"]["state"] == "removed"
    assert calendly_connected.subscriptions() == []
    assert Connection.objects.get(workspace=workspace).secrets == {}


def test_get_of_a_workspace_never_connected(api, workspace):
    response = api.get(path(workspace))

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["subscription"]["state"]) == (
        "disconnected",
        "never",
    )


def test_the_provisioning_api_gives_the_calendly_webhook_url(api, workspace, settings):
    settings.PUBLIC_BASE_URL = "https://desk.example"
    from calendly import account as calendly_account

    response = api.get(f"/api/admin/workspaces/{workspace.public_id}")

    assert response.json()["webhook_urls"]["calendly"] == calendly_account.webhook_url(workspace)
