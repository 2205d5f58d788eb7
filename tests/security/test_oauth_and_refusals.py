"""A stranger can neither cancel an admin's Calendly sign-in nor learn anything from a webhook
refusal, and their requests create no rows."""

from urllib.parse import urlsplit

import httpx
import pytest
from django.test import Client
from django.urls import reverse

from integrations.models import Connection, WebhookDelivery
from tests.calendly.fixtures import calendly_sandbox  # noqa: F401 - a fixture
from tests.factories import MembershipFactory, WorkspaceFactory
from tests.support.webhooks import ENDPOINTS
from workspaces.models import Membership

pytestmark = pytest.mark.django_db
SAY_LITTLE = {"ok": False, "detail": "signature missing or invalid"}


@pytest.fixture
def oauth(settings, calendly_sandbox):  # noqa: F811
    settings.CALENDLY_OAUTH_CLIENT_ID = "setterdesk-client"
    settings.CALENDLY_OAUTH_CLIENT_SECRET = "setterdesk-client-secret"
    settings.CALENDLY_WEBHOOK_SIGNING_KEY = "whsec-sandbox-oauth-app-key"
    calendly_sandbox.config(
        oauth_client_id="setterdesk-client", oauth_client_secret="setterdesk-client-secret"
    )
    return calendly_sandbox


def test_a_wrong_state_leaves_the_admins_sign_in_to_finish(client, workspace, oauth):
    admin = MembershipFactory(workspace=workspace, role=Membership.Role.ADMIN).user
    client.force_login(admin)
    start = client.post(reverse("calendly_oauth_start", args=[workspace.public_id]))
    back = urlsplit(httpx.get(start["Location"]).headers["Location"])
    callback = reverse("calendly_oauth_callback")

    # The admin is lured to our callback with a stranger's state (or none), twice.
    forged = [
        client.get(f"{callback}?code=stolen&state=not-ours").status_code,
        client.get(f"{callback}?code=stolen").status_code,
    ]
    real = client.get(f"{back.path}?{back.query}")

    assert forged == [400, 400]
    assert real.status_code == 302
    assert real["Location"] == reverse("integrations_tab", args=[workspace.public_id])
    assert Connection.objects.get(workspace=workspace, provider="calendly").secret("access_token")


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_a_refusal_says_only_signature_missing_or_invalid(endpoint, workspace, settings):
    door = endpoint.open(workspace=workspace, settings=settings)
    body = door.body(1)

    response = Client().post(door.url, data=body, content_type="application/json")

    assert response.status_code == 401
    assert response.json() == SAY_LITTLE
    assert not WebhookDelivery.objects.exists()
    # The detail is for the workspace's admins, on the provider's card.
    connection = Connection.objects.get(workspace=workspace, provider=endpoint.provider)
    assert connection.rejected_count == 1 and connection.last_rejected_reason


@pytest.mark.parametrize("name", ["ghl_webhook", "calendly_webhook"])
def test_a_workspace_without_the_provider_creates_nothing(name, settings):
    settings.CALENDLY_WEBHOOK_SIGNING_KEY = ""
    workspace = WorkspaceFactory()
    url = reverse(name, kwargs={"workspace_id": workspace.public_id})

    answers = [
        Client().post(url, data=b'{"event": "x"}', content_type="application/json", headers=h)
        for h in ({}, {"X-Webhook-Secret": "guess"}, {"Calendly-Webhook-Signature": "t=1,v1=ab"})
    ]

    assert {r.status_code for r in answers} == {401}
    assert all(r.json() == SAY_LITTLE for r in answers)
    assert not Connection.objects.exists() and not WebhookDelivery.objects.exists()
