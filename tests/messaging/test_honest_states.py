"""Honest states: with no channel a message is ``not_sent`` with the reason, and every place a
person looks says so (the lead page, the messages API, the offers API, the Integrations tab)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_api_key.models import APIKey

from booking.inbound import receive_message
from booking.models import Offer
from followups import services
from followups.tasks import send_message
from tests.factories import LeadFactory, MembershipFactory

REASON = "no messaging channel is connected"


@pytest.fixture
def api(db):
    _, key = APIKey.objects.create_key(name="agency backend")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


@pytest.fixture
def lead(workspace):
    return LeadFactory(workspace=workspace, email="jordan@lead.example", phone="+13125550142")


def not_sent_message(lead):
    message = services.queue_message(lead=lead, channel="sms", body="Does Tuesday work?")
    send_message(message.pk)
    message.refresh_from_db()
    return message


def test_without_a_channel_a_message_is_not_sent_never_sent(lead):
    message = not_sent_message(lead)
    assert (message.state, message.error, message.sent_at) == ("not_sent", REASON, None)


def test_the_lead_page_shows_it_was_not_sent_and_why(client, lead):
    not_sent_message(lead)
    member = MembershipFactory(workspace=lead.workspace, role="setter")
    client.force_login(member.user)
    page = client.get(reverse("lead_detail", args=[lead.workspace.public_id, lead.pk]))
    assert f"Not sent: {REASON}" in page.content.decode()


def test_the_messages_api_lists_both_directions_with_state_and_reason(api, lead):
    message = not_sent_message(lead)
    receive_message(
        lead=lead,
        channel="sms",
        body="Which times?",
        received_at=timezone.now(),
        provider="api",
        provider_message_id="sms-1",
    )
    url = f"/api/workspaces/{lead.workspace.public_id}/leads/{lead.pk}/messages"
    response = api.get(url)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [r["direction"] for r in rows] == ["in", "out"]
    inbound, outbound = rows
    assert (inbound["channel"], inbound["state"], inbound["body"]) == (
        "sms",
        "received",
        "Which times?",
    )
    assert inbound["received_at"] and inbound["sent_at"] is None
    assert outbound == {
        **outbound,
        "channel": "sms",
        "state": "not_sent",
        "state_reason": REASON,
        "subject": "",
        "body": message.body,
        "sent_at": None,
        "received_at": None,
    }
    assert outbound["created_at"]


def test_the_messages_of_a_lead_of_another_workspace_are_a_404(api, lead):
    other = LeadFactory(email="someone@else.example")
    url = f"/api/workspaces/{lead.workspace.public_id}/leads/{other.pk}/messages"
    assert api.get(url).status_code == 404


def test_an_offer_to_send_with_no_channel_is_a_409_with_the_reason(api, lead):
    url = f"/api/workspaces/{lead.workspace.public_id}/leads/{lead.pk}/offers"
    response = api.post(url, {"send": True}, format="json")
    assert response.status_code == 409
    assert response.json()["detail"] == REASON
    assert not Offer.objects.filter(lead=lead).exists()


def test_the_tab_warns_while_auto_book_is_on_and_nothing_reaches_leads(client, workspace):
    admin = MembershipFactory(workspace=workspace, role="admin")
    client.force_login(admin.user)
    tab = reverse("integrations_tab", args=[workspace.public_id])
    assert "no messaging channel can reach leads" not in client.get(tab).content.decode()
    workspace.auto_book_enabled = True
    workspace.save()
    assert "no messaging channel can reach leads" in client.get(tab).content.decode()
