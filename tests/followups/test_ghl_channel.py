"""A workspace connected to GoHighLevel: the engine's messages go out through GHL's channel
(registered by ghl's AppConfig), faked at the HTTP layer; the rest use the record-only one."""

import json

import pytest
import respx

from booking.matching import remember_identity
from followups import channels
from followups.models import OutboundMessage
from followups.services import queue_message
from followups.tasks import send_due_steps, send_message
from integrations import connections
from tests.ghl.helpers import load_fixture

from .conftest import DAY, MEETING, book

pytestmark = pytest.mark.django_db

BASE = "https://ghl.test"
CONTACT = "9NkT25Vor1v4aQatFsv2"


@pytest.fixture
def ghl(settings, workspace, lead):
    settings.GHL_API_BASE = BASE
    connections.connect(
        workspace=workspace,
        provider="ghl",
        secrets={"access_token": "pit-7f3c9a1e-secret-token-value-abcd"},
        config={
            "location_id": "ve9EPM428h8vShlRW1KT",
            "calendar_id": "sV3BiXrjzbfo1tSUdyHO",
            "timezone": "America/New_York",
            "slot_minutes": 30,
        },
        display_name="Acme",
        token_hint="abcd",
    )
    remember_identity(lead=lead, provider="ghl", external_id=CONTACT)
    with respx.mock(base_url=BASE, assert_all_called=False) as api:
        yield api


def test_the_ghl_channel_is_registered_by_its_app():
    assert "ghl" in channels.registered()


def test_a_reminder_goes_out_as_an_sms_through_ghl(ghl, lead, clock):
    route = ghl.post("/conversations/messages").respond(
        json=load_fixture("send_message_response.json")
    )
    book(lead)
    clock.move_to(MEETING - DAY)

    send_due_steps()
    reminder = OutboundMessage.objects.get(lead=lead)
    send_message(reminder.pk)  # what the after-commit task does

    reminder.refresh_from_db()
    assert (reminder.state, reminder.sent_via) == ("sent", "ghl")
    assert reminder.provider_message_id
    sent = json.loads(route.calls[0].request.content)
    assert sent["type"] == "SMS" and sent["contactId"] == CONTACT
    assert "Thu Nov 28, 9:00 AM CST" in sent["message"]


def test_a_ghl_answer_that_leaves_the_outcome_unknown_is_not_resent(ghl, lead, clock):
    route = ghl.post("/conversations/messages").respond(status_code=502)
    message = queue_message(lead=lead, channel="sms", body="Still keen on a call?")

    send_message(message.pk)
    clock.shift(DAY)
    send_due_steps()

    message.refresh_from_db()
    assert message.state == "failed" and "may have reached the lead" in message.error
    assert route.call_count == 1
