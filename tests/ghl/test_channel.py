import json

import pytest

from booking.matching import remember_identity
from followups.errors import ProviderBadRequest, ProviderUnavailable
from ghl.channel import GhlChannel, is_available
from integrations import connections
from tests.factories import LeadFactory
from tests.ghl.conftest import CONTACT
from tests.ghl.helpers import load_fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(workspace):
    lead = LeadFactory(workspace=workspace, email="jordan.lee@example.com", phone="+13125550142")
    remember_identity(lead=lead, provider="ghl", external_id=CONTACT)
    return lead


@pytest.fixture(autouse=True)
def _connected(stored_connection):
    """The workspace's GHL connection, stored encrypted as connect() leaves it."""


def test_an_sms_goes_through_the_conversations_api(api, workspace, lead):
    route = api.post("/conversations/messages").respond(
        json=load_fixture("send_message_response.json")
    )
    sent = GhlChannel(workspace).send(lead=lead, kind="sms", body="Still keen on a call?")
    assert json.loads(route.calls[0].request.content) == {
        "type": "SMS",
        "contactId": CONTACT,
        "message": "Still keen on a call?",
    }
    assert sent.provider_message_id


def test_an_email_carries_its_subject(api, workspace, lead):
    route = api.post("/conversations/messages").respond(
        json=load_fixture("send_message_response.json")
    )
    GhlChannel(workspace).send(lead=lead, kind="email", body="Hi", subject="Your call")
    sent = json.loads(route.calls[0].request.content)
    assert sent["type"] == "Email" and sent["subject"] == "Your call"


def test_a_send_that_may_have_landed_is_not_repeated(api, workspace, lead):
    route = api.post("/conversations/messages").respond(status_code=502)
    with pytest.raises(ProviderUnavailable) as caught:
        GhlChannel(workspace).send(lead=lead, kind="sms", body="Hi")
    assert caught.value.outcome_unknown and route.call_count == 1


def test_an_sms_to_a_lead_without_a_phone_is_refused_before_calling(api, workspace):
    lead = LeadFactory(workspace=workspace, phone="")
    with pytest.raises(ProviderBadRequest):
        GhlChannel(workspace).send(lead=lead, kind="sms", body="Hi")
    assert not api.calls


def test_the_channel_is_available_only_when_ghl_is_connected(workspace):
    assert is_available(workspace)
    connections.disconnect(workspace=workspace, provider="ghl")
    assert not is_available(workspace)
