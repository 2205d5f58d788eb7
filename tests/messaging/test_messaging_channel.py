"""Choosing the workspace's messaging channel: on the Integrations tab and in the provisioning
API, only connected channels, each choice audited."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework_api_key.models import APIKey

from tests.factories import MembershipFactory
from workspaces.models import AuditEvent

API = "/api/admin/workspaces"


@pytest.fixture
def api(db):
    _, key = APIKey.objects.create_key(name="onboarding")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def test_the_api_refuses_a_channel_that_is_not_connected(api, workspace):
    response = api.patch(
        f"{API}/{workspace.public_id}", {"messaging_channel": "email"}, format="json"
    )
    assert response.status_code == 400
    assert "not connected" in response.json()["messaging_channel"][0]
    workspace.refresh_from_db()
    assert workspace.messaging_channel is None


def test_the_api_refuses_an_unknown_channel(api, workspace):
    response = api.patch(
        f"{API}/{workspace.public_id}", {"messaging_channel": "fax"}, format="json"
    )
    assert response.status_code == 400 and "messaging_channel" in response.json()


def test_a_new_workspace_cannot_start_with_a_channel(api):
    response = api.post(
        API, {"name": "Acme", "timezone": "UTC", "messaging_channel": "email"}, format="json"
    )
    assert response.status_code == 400 and "messaging_channel" in response.json()


def test_the_api_chooses_a_connected_channel_audited_and_clears_it(api, email_workspace):
    ws = email_workspace
    ws.messaging_channel = None
    ws.save()
    response = api.patch(f"{API}/{ws.public_id}", {"messaging_channel": "email"}, format="json")
    assert response.status_code == 200 and response.json()["messaging_channel"] == "email"
    event = AuditEvent.objects.filter(workspace=ws, changes__has_key="messaging_channel").get()
    assert event.changes["messaging_channel"] == [None, "email"]
    response = api.patch(f"{API}/{ws.public_id}", {"messaging_channel": None}, format="json")
    assert response.status_code == 200 and response.json()["messaging_channel"] is None


def test_the_tab_offers_only_connected_channels_and_audits_the_choice(client, email_workspace):
    ws = email_workspace
    ws.messaging_channel = None
    ws.save()
    admin = MembershipFactory(workspace=ws, role="admin")
    client.force_login(admin.user)
    url = reverse("integrations_messaging_channel", args=[ws.public_id])
    refused = client.post(url, {"messaging_channel": "webhook_out"})
    assert refused.status_code == 200 and "Select a valid choice" in refused.content.decode()
    assert client.post(url, {"messaging_channel": "email"}).status_code == 302
    ws.refresh_from_db()
    assert ws.messaging_channel == "email"
    event = AuditEvent.objects.get(workspace=ws, action="messaging_channel.chosen")
    assert event.changes == {"messaging_channel": [None, "email"]} and event.actor == admin.user
    tab = client.get(reverse("integrations_tab", args=[ws.public_id])).content.decode()
    assert '<option value="email" selected>' in tab
    assert '<option value="webhook_out"' not in tab
