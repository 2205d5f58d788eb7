import pytest
from rest_framework.test import APIClient
from rest_framework_api_key.models import APIKey

WORKSPACES_URL = "/api/admin/workspaces"


def workspace_url(public_id) -> str:
    return f"{WORKSPACES_URL}/{public_id}"


class AdminApi:
    """The admin API as the onboarding system calls it; after-commit work (invitations) runs."""

    def __init__(self, client, capture_on_commit):
        self.client = client
        self._capture = capture_on_commit

    def _call(self, method, url, payload=None):
        with self._capture(execute=True):
            return getattr(self.client, method)(url, payload, format="json")

    def post(self, payload):
        return self._call("post", WORKSPACES_URL, payload)

    def list(self, **params):
        return self.client.get(WORKSPACES_URL, params)

    def get(self, public_id):
        return self.client.get(workspace_url(public_id))

    def patch(self, public_id, payload):
        return self._call("patch", workspace_url(public_id), payload)

    def delete(self, public_id):
        return self._call("delete", workspace_url(public_id))


@pytest.fixture
def api_key(db) -> str:
    _, key = APIKey.objects.create_key(name="onboarding")
    return key


@pytest.fixture
def api(api_key, django_capture_on_commit_callbacks) -> AdminApi:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key}")
    return AdminApi(client, django_capture_on_commit_callbacks)
