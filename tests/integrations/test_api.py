import pytest
from rest_framework.test import APIClient
from rest_framework_api_key.models import APIKey

from integrations.models import Connection
from tests.factories import WorkspaceFactory
from tests.integrations import fake
from workspaces.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    _, key = APIKey.objects.create_key(name="onboarding")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def path(workspace, provider=fake.NAME):
    return f"/api/admin/workspaces/{workspace.public_id}/integrations/{provider}"


def test_get_answers_the_safe_status(api, workspace, connected):
    response = api.get(path(workspace))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "connected"
    assert body["token_hint"] == "WXYZ"
    assert body["display_name"] == "casey@agency.example"
    assert fake.TOKEN not in response.content.decode()


def test_put_connects_and_never_echoes_the_token(api, workspace, fake_provider):
    response = api.put(
        path(workspace), {"account": "casey@agency.example", "api_token": fake.TOKEN}, "json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["connected"] is True
    assert fake.TOKEN not in response.content.decode()
    event = AuditEvent.objects.get(action="integration.connected")
    assert event.actor_label == "api key: onboarding"


def test_put_twice_is_one_connection(api, workspace, fake_provider):
    payload = {"account": "casey@agency.example", "api_token": fake.TOKEN}
    api.put(path(workspace), payload, "json")
    api.put(path(workspace), payload, "json")
    assert Connection.objects.filter(workspace=workspace).count() == 1


def test_put_with_missing_fields_is_400_with_field_errors(api, workspace, fake_provider):
    response = api.put(path(workspace), {"account": "x"}, "json")
    assert response.status_code == 400
    assert response.json() == {"api_token": ["This field is required."]}


def test_put_with_a_refused_token_is_400_on_that_field(api, workspace, fake_provider):
    response = api.put(path(workspace), {"account": "x", "api_token": "bad-token"}, "json")
    assert response.status_code == 400
    assert response.json() == {"api_token": ["Fake refused this token: paste a live one."]}


def test_put_while_the_provider_is_down_is_503(api, workspace, fake_provider):
    response = api.put(path(workspace), {"account": "x", "api_token": "down"}, "json")
    assert response.status_code == 503
    assert response.json() == {
        "non_field_errors": ["Fake is not answering; try again in a minute."]
    }


def test_put_needs_a_json_object(api, workspace, fake_provider):
    response = api.put(path(workspace), ["x"], "json")
    assert response.status_code == 400


def test_delete_disconnects_and_wipes(api, workspace, connected):
    response = api.delete(path(workspace))
    assert response.status_code == 200
    assert response.json()["status"] == "disconnected"
    assert Connection.objects.get(pk=connected.pk).secrets == {}


def test_unknown_provider_or_workspace_is_404(api, workspace, fake_provider):
    assert api.get(path(workspace, "nope")).status_code == 404
    assert api.get(path(WorkspaceFactory.build())).status_code == 404
    assert api.put(path(workspace, "nope"), {}, "json").status_code == 404


def test_no_key_or_a_wrong_key_is_401_with_a_challenge_as_in_the_provisioning_api(
    workspace, fake_provider
):
    client = APIClient()
    response = client.get(path(workspace))
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Api-Key")
    client.credentials(HTTP_AUTHORIZATION="Api-Key nope.nope")
    assert client.get(path(workspace)).status_code == 401
    assert client.delete(path(workspace)).status_code == 401
