"""Connecting GHL: checked at GHL before anything is stored; secrets never shown back."""

import json

import pytest
from django.db import connection as db
from django.urls import reverse

from followups.errors import InvalidSetting
from ghl import connection
from integrations.models import Connection
from tests.factories import MembershipFactory
from tests.ghl.conftest import CALENDAR, LOCATION, TOKEN, ghl_error
from tests.ghl.helpers import load_fixture
from workspaces.models import Membership

pytestmark = pytest.mark.django_db

DATA = {"access_token": TOKEN, "location_id": LOCATION, "calendar_id": CALENDAR}


@pytest.fixture
def ghl_api(api):
    api.get(f"/locations/{LOCATION}").respond(
        json={"location": {"id": LOCATION, "name": "Acme", "timezone": "America/New_York"}}
    )
    api.get("/calendars/").respond(json=load_fixture("calendars_response.json"))
    return api


def stored(workspace):
    return Connection.objects.get(workspace=workspace, provider="ghl")


def test_connecting_stores_the_token_encrypted_and_the_choice_in_config(ghl_api, workspace):
    connection.api_connect(workspace=workspace, data=DATA)

    account = connection.account_for(workspace)
    assert (account.token, account.calendar_id) == (TOKEN, CALENDAR)
    assert account.timezone == "America/New_York" and account.slot_minutes == 30
    with db.cursor() as cursor:
        cursor.execute("SELECT secrets::text FROM integrations_connection")
        (raw,) = cursor.fetchone()
    assert TOKEN not in raw
    assert stored(workspace).token_hint == TOKEN[-4:]


def test_without_a_calendar_the_card_asks_for_one_from_ghls_list(ghl_api, workspace):
    connection.connect(workspace=workspace, data={**DATA, "calendar_id": ""})

    assert connection.find_account(workspace) is None
    assert stored(workspace).status == "error"
    # Inactive calendars are not offered.
    assert stored(workspace).config["calendars"] == [{"id": CALENDAR, "name": "Discovery Call"}]

    connection.connect(workspace=workspace, data={**DATA, "access_token": ""})
    assert connection.account_for(workspace).token == TOKEN  # a blank token keeps the stored one


def test_a_calendar_of_another_location_is_refused(ghl_api, workspace):
    with pytest.raises(InvalidSetting) as caught:
        connection.api_connect(workspace=workspace, data={**DATA, "calendar_id": "nope"})
    assert caught.value.field == "calendar_id"
    assert not Connection.objects.exists()


def test_a_token_ghl_refuses_is_a_field_error_and_nothing_is_stored(api, workspace):
    api.get(f"/locations/{LOCATION}").mock(return_value=ghl_error(401, "Invalid JWT"))
    with pytest.raises(InvalidSetting) as caught:
        connection.api_connect(workspace=workspace, data=DATA)
    assert caught.value.field == "access_token"
    assert TOKEN not in caught.value.safe_message
    assert not Connection.objects.exists()


def test_the_admin_api_needs_all_three_fields(workspace):
    with pytest.raises(InvalidSetting) as caught:
        connection.api_connect(workspace=workspace, data={**DATA, "calendar_id": ""})
    assert caught.value.field == "calendar_id"


def test_status_never_carries_the_token(ghl_api, workspace):
    connection.api_connect(workspace=workspace, data=DATA)
    connection.new_workflow_secret(workspace=workspace)
    status = connection.status(workspace)
    text = json.dumps(status)
    assert TOKEN not in text and connection.workflow_secret(workspace) not in text
    assert status["token_hint"] == TOKEN[-4:] and status["connected"]
    assert status["webhook_url"] == (f"https://desk.example/webhooks/ghl/{workspace.public_id}/")


def test_reconnecting_keeps_the_workflow_secret(ghl_api, workspace):
    connection.api_connect(workspace=workspace, data=DATA)
    secret = connection.new_workflow_secret(workspace=workspace)
    connection.api_connect(workspace=workspace, data=DATA)
    assert connection.workflow_secret(workspace) == secret


def test_disconnecting_wipes_the_secrets(ghl_api, workspace):
    connection.api_connect(workspace=workspace, data=DATA)
    connection.disconnect(workspace=workspace)
    assert connection.find_account(workspace) is None
    assert stored(workspace).secrets == {}


def test_a_401_later_marks_the_connection_needs_reauth(ghl_api, workspace):
    connection.api_connect(workspace=workspace, data=DATA)
    connection.mark_needs_reauth(workspace=workspace)
    assert stored(workspace).status == "needs_reauth"
    assert not connection.is_connected(workspace)


@pytest.fixture
def admin_client(workspace, client):
    admin = MembershipFactory(workspace=workspace, role=Membership.Role.ADMIN).user
    client.force_login(admin)
    return client


@pytest.fixture
def api_headers(db):
    from rest_framework_api_key.models import APIKey

    _, key = APIKey.objects.create_key(name="onboarding")
    return {"Authorization": f"Api-Key {key}"}


def api_url(workspace):
    return f"/api/admin/workspaces/{workspace.public_id}/integrations/ghl"


def test_the_card_shows_only_the_tokens_last_four(ghl_api, workspace, admin_client):
    connection.api_connect(workspace=workspace, data=DATA)
    connection.new_workflow_secret(workspace=workspace)

    html = admin_client.get(f"/w/{workspace.public_id}/integrations/").content.decode()

    assert TOKEN not in html and connection.workflow_secret(workspace) not in html
    assert f"••••{TOKEN[-4:]}" in html
    assert "Discovery Call" in html and "message_id" in html
    assert f"/webhooks/ghl/{workspace.public_id}/" in html


def test_connecting_from_the_card_lists_the_calendars_to_choose_from(
    ghl_api, workspace, admin_client
):
    url = reverse("integrations_connect", args=[workspace.public_id, "ghl"])
    admin_client.post(url, {"access_token": TOKEN, "location_id": LOCATION, "calendar_id": ""})

    html = admin_client.get(f"/w/{workspace.public_id}/integrations/").content.decode()
    assert f'<option value="{CALENDAR}"' in html and TOKEN not in html

    admin_client.post(url, {"access_token": "", "location_id": LOCATION, "calendar_id": CALENDAR})
    assert connection.account_for(workspace).calendar_id == CALENDAR


def test_the_admin_api_connects_and_never_answers_the_token(
    ghl_api, workspace, client, api_headers
):
    response = client.put(
        api_url(workspace), data=DATA, content_type="application/json", headers=api_headers
    )
    assert response.status_code == 200, response.content
    assert TOKEN not in response.content.decode()
    assert connection.account_for(workspace).token == TOKEN

    status = client.get(api_url(workspace), headers=api_headers)
    body = status.json()
    assert TOKEN not in status.content.decode()
    assert body["connected"] and body["calendar_id"] == CALENDAR
    assert body["token_hint"] == TOKEN[-4:]


def test_the_admin_api_reports_a_refused_token_on_its_field(api, workspace, client, api_headers):
    api.get(f"/locations/{LOCATION}").mock(return_value=ghl_error(401, "Invalid JWT"))
    response = client.put(
        api_url(workspace), data=DATA, content_type="application/json", headers=api_headers
    )
    assert response.status_code == 400
    assert "access_token" in response.json()
    assert TOKEN not in response.content.decode()


def test_the_workflow_secret_is_shown_once_to_an_admin(ghl_api, workspace, admin_client):
    client = admin_client
    connection.api_connect(workspace=workspace, data=DATA)
    url = reverse("ghl_workflow_secret", kwargs={"workspace_id": workspace.public_id})

    response = client.post(url)

    secret = connection.workflow_secret(workspace)
    assert response.status_code == 200 and secret in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert "message_id" in response.content.decode()


def test_a_setter_cannot_generate_the_workflow_secret(workspace, client):
    setter = MembershipFactory(workspace=workspace, role=Membership.Role.SETTER).user
    client.force_login(setter)
    url = reverse("ghl_workflow_secret", kwargs={"workspace_id": workspace.public_id})
    assert client.post(url).status_code == 403
    assert connection.workflow_secret(workspace) == ""
