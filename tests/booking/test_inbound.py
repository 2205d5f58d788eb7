import datetime as dt

import pytest

from booking.inbound import receive_message
from booking.lifecycle import record_booked
from booking.models import InboundMessage, Offer
from integrations.providers import BookingRef
from workspaces.models import Lead

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2030, 11, 30, 15, 0, tzinfo=dt.UTC)


def test_reply_is_stored_once_per_provider_id(lead):
    first, created = receive_message(
        lead=lead,
        channel="sms",
        body="Tuesday works",
        received_at=NOW,
        provider="ghl",
        provider_message_id="m-1",
    )
    again, created_again = receive_message(
        lead=lead,
        channel="sms",
        body="Tuesday works",
        received_at=NOW,
        provider="ghl",
        provider_message_id="m-1",
    )
    assert created and not created_again
    assert again.pk == first.pk
    assert InboundMessage.objects.count() == 1


def test_reply_moves_new_lead_to_replied_but_never_overrides_booked(lead):
    lead.status = Lead.Status.CONTACTED
    lead.save()
    receive_message(lead=lead, channel="sms", body="hi", received_at=NOW)
    lead.refresh_from_db()
    assert lead.status == Lead.Status.REPLIED
    record_booked(
        workspace=lead.workspace,
        lead=lead,
        ref=BookingRef("ghl", "a-1"),
        start=NOW,
        source="webhook",
    )
    receive_message(lead=lead, channel="sms", body="thanks!", received_at=NOW)
    lead.refresh_from_db()
    assert lead.status == Lead.Status.MEETING_BOOKED


def test_booking_closes_open_offers(lead):
    offer = Offer.objects.create(workspace=lead.workspace, lead=lead, timezone="UTC")
    record_booked(
        workspace=lead.workspace,
        lead=lead,
        ref=BookingRef("ghl", "a-2"),
        start=NOW,
        source="webhook",
    )
    offer.refresh_from_db()
    assert offer.state == Offer.State.CLOSED


@pytest.mark.parametrize("body", ["STOP", "stop.", "Unsubscribe", "Please stop texting me"])
def test_a_stop_reply_opts_the_lead_out_for_good(lead, body):
    from followups.models import OutboundMessage
    from followups.services import queue_message

    receive_message(lead=lead, channel="sms", body=body, received_at=NOW)

    lead.refresh_from_db()
    assert lead.status == Lead.Status.OPTED_OUT
    queued = queue_message(lead=lead, channel="sms", body="Still keen?")
    assert queued.state == OutboundMessage.State.FAILED  # never sent


@pytest.mark.parametrize(
    "body",
    ["I'll stop by on Tuesday", "Can we end the call by 11?", "STOP\n\nOn Mon, Casey wrote:\n> hi"],
)
def test_stop_inside_a_longer_reply_is_not_an_opt_out(lead, body):
    receive_message(lead=lead, channel="sms", body=body, received_at=NOW)
    lead.refresh_from_db()
    expected = Lead.Status.OPTED_OUT if body.startswith("STOP\n") else Lead.Status.QUALIFIED
    assert lead.status == expected
