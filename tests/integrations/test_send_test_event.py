"""“Send a test event”: a delivery signed with the workspace's own key goes through our real
webhook endpoint, arrives in the deliveries table and ends ignored, touching no lead or
appointment."""

import pytest
from django.urls import reverse

from booking.models import Appointment
from integrations.models import Connection, WebhookDelivery
from workspaces.models import Lead

pytestmark = pytest.mark.django_db


def connect_calendly(client, workspace, sandbox, on_commit):
    with on_commit():
        client.post(
            reverse("integrations_connect", args=[workspace.public_id, "calendly"]),
            {"access_token": sandbox.token, "event_type_link": sandbox.booking_link()},
        )


def send(client, workspace, on_commit):
    """Press the button, let the workers run what it queued, and open the page it leads to."""
    with on_commit():
        response = client.post(
            reverse("integrations_test_event", args=[workspace.public_id, "calendly"])
        )
    assert response.status_code == 302 and response["Location"].endswith("#deliveries")
    return client.get(response["Location"])


def test_a_signed_test_event_arrives_and_ends_ignored(
    admin_client, workspace, calendly_sandbox, calendly_receiver, on_commit
):
    connect_calendly(admin_client, workspace, calendly_sandbox, on_commit)

    page = send(admin_client, workspace, on_commit).content.decode()

    assert "Calendly: a signed test event went through the webhook endpoint (stored)" in page
    delivery = WebhookDelivery.objects.get(workspace=workspace, event="setterdesk.test_event")
    assert delivery.state == WebhookDelivery.State.IGNORED
    assert delivery.headers  # kept as the endpoint keeps a provider's
    table = page.split('id="deliveries"')[1]
    row = table.split(f'id="delivery-{delivery.pk}"')[1].split("</tr>")[0]
    assert "setterdesk.test_event" in row and "Ignored" in row
    assert not Lead.objects.filter(workspace=workspace).exists()
    assert not Appointment.objects.filter(workspace=workspace).exists()


def test_each_test_is_its_own_delivery(
    admin_client, workspace, calendly_sandbox, calendly_receiver, on_commit
):
    connect_calendly(admin_client, workspace, calendly_sandbox, on_commit)

    send(admin_client, workspace, on_commit)
    send(admin_client, workspace, on_commit)

    assert WebhookDelivery.objects.filter(workspace=workspace).count() == 2


def test_a_test_event_the_endpoint_refuses_says_why_and_is_counted(
    admin_client, workspace, calendly_sandbox, calendly_receiver, on_commit, monkeypatch
):
    connect_calendly(admin_client, workspace, calendly_sandbox, on_commit)
    # The stored key no longer matches what the endpoint checks with: a real refusal.
    monkeypatch.setattr("calendly.sample_event.signing_key", lambda workspace: "not-the-key")

    page = send(admin_client, workspace, on_commit).content.decode()

    assert "Calendly: the webhook endpoint refused the test event" in page
    assert not WebhookDelivery.objects.filter(workspace=workspace).exists()
    assert Connection.objects.get(workspace=workspace, provider="calendly").rejected_count == 1


def test_no_test_event_without_a_connection(admin_client, workspace):
    response = admin_client.post(
        reverse("integrations_test_event", args=[workspace.public_id, "calendly"]), follow=True
    )

    assert "Calendly is not connected: connect it, then send a test." in response.content.decode()
    assert not WebhookDelivery.objects.exists()


@pytest.fixture
def ghl_connected(workspace):
    """GoHighLevel connected as its card leaves it, with a workflow secret made on the card."""
    from ghl import connection
    from integrations import connections

    connections.connect(
        workspace=workspace,
        provider="ghl",
        secrets={"access_token": "pit-7f3c9a1e-secret-token-value-abcd"},
        config={"location_id": "loc-1", "calendar_id": "cal-1", "timezone": "America/New_York"},
        display_name="Acme",
        token_hint="abcd",
    )
    return connection.new_workflow_secret(workspace=workspace)


def send_ghl(client, workspace, on_commit):
    with on_commit():
        response = client.post(
            reverse("integrations_test_event", args=[workspace.public_id, "ghl"])
        )
    assert response.status_code == 302
    return client.get(response["Location"]).content.decode()


def test_a_ghl_test_event_comes_through_the_workflow_door_and_ends_ignored(
    admin_client, workspace, ghl_connected, on_commit
):
    page = send_ghl(admin_client, workspace, on_commit)

    assert "GoHighLevel: a signed test event went through the webhook endpoint (stored)" in page
    delivery = WebhookDelivery.objects.get(workspace=workspace, event="workflow.test_event")
    assert delivery.state == WebhookDelivery.State.IGNORED
    assert not Lead.objects.filter(workspace=workspace).exists()


def test_a_ghl_test_event_without_a_workflow_secret_says_why_and_stores_nothing(
    admin_client, workspace, ghl_connected, on_commit
):
    from integrations import connections

    connections.update_connection(
        workspace=workspace, provider="ghl", secrets={"workflow_secret": ""}
    )

    page = send_ghl(admin_client, workspace, on_commit)

    assert "no workflow secret is set" in page
    assert not WebhookDelivery.objects.filter(workspace=workspace).exists()
