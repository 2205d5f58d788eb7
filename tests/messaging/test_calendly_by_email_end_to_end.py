"""End to end on a Calendly-only workspace (no GHL): the offer goes out by e-mail through a real
SMTP server, the lead's Gmail reply comes back through the signed inbound endpoint, auto-booking
books it at the Calendly sandbox, and the confirmation e-mail is threaded under the reply."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from rest_framework.test import APIClient
from rest_framework_api_key.models import APIKey

from booking.models import Appointment, InboundMessage
from followups.models import OutboundMessage
from integrations.email import connection as email_connection
from tests.booking.envs.calendly import (
    CalendlyEnv,
    calendly_session_sandbox,  # noqa: F401  (its fixture)
)
from tests.factories import LeadFactory

from .conftest import email_settings
from .helpers import fixture, post_mail

# Friday 29 Nov 2030, 07:00 in New York; the three free times are 9 AM, 10 AM, 1 PM in Chicago.
NOW = dt.datetime(2030, 11, 29, 12, 0, tzinfo=dt.UTC)
FREE = (
    dt.datetime(2030, 12, 2, 15, 0, tzinfo=dt.UTC),
    dt.datetime(2030, 12, 3, 16, 0, tzinfo=dt.UTC),
    dt.datetime(2030, 12, 4, 19, 0, tzinfo=dt.UTC),
)


@pytest.fixture
def calendly_only(request, workspace, smtp_server, settings):
    settings.ALLOW_PRIVATE_NETWORK_TARGETS = True
    with time_machine.travel(NOW, tick=False):
        env = CalendlyEnv.open(request, workspace)
        revealed = email_connection.connect(
            workspace=workspace, data=email_settings(smtp_server), actor_label="test"
        )
        workspace.booking_provider = "calendly"
        workspace.messaging_channel = "email"
        workspace.auto_book_enabled = True
        workspace.save()
        workspace.inbound_secret = revealed["inbound_secret"]
        for start in FREE:
            env.make_free(start)
        yield env
        env.close()


def test_offer_by_email_reply_by_email_booked_at_calendly_confirmed_in_the_thread(
    calendly_only, workspace, smtp_server, client, django_capture_on_commit_callbacks
):
    assert not workspace.connections.filter(provider="ghl").exists()
    lead = LeadFactory(
        workspace=workspace, email="jordan@lead.example", phone="", timezone="America/Chicago"
    )
    _, key = APIKey.objects.create_key(name="agency backend")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")

    # The offer, sent by e-mail.
    url = f"/api/workspaces/{workspace.public_id}/leads/{lead.pk}/offers"
    with django_capture_on_commit_callbacks(execute=True):
        offered = api.post(url, {"send": True, "channel": "email"}, format="json")
    assert offered.status_code == 201, offered.content
    [offer_mail] = smtp_server.messages()
    assert "2) Tue Dec 3, 10:00 AM CST" in offer_mail.get_body(("plain",)).get_content()
    offer_message = OutboundMessage.objects.get(lead=lead)
    assert (offer_message.state, offer_message.sent_via) == ("sent", "email")
    assert offer_message.provider_message_id == offer_mail["Message-ID"]

    # The lead answers from Gmail; the MTA forwards the raw message, signed.
    reply = fixture("gmail_reply.eml", answering=offer_mail["Message-ID"])
    with django_capture_on_commit_callbacks(execute=True):
        assert post_mail(client, workspace, reply).status_code == 200
    calendly_only.deliver_webhooks()

    # Booked at Calendly, through auto-booking.
    appointment = Appointment.objects.get(lead=lead)
    assert (appointment.provider, appointment.source, appointment.start_at) == (
        "calendly",
        "auto_book",
        FREE[1],
    )
    assert calendly_only.booked_count() == 1
    inbound = InboundMessage.objects.get(lead=lead)
    assert inbound.autobook_outcome == "booked"

    # The confirmation goes out by e-mail, threaded under the lead's reply.
    confirmation_mail = smtp_server.messages()[-1]
    gmail_id = "<CAF4b9Zq3kP1=xR8yq7Tz2nN0VvWm5uLxJ+e0Q@mail.gmail.com>"
    assert len(smtp_server.messages()) == 2
    assert confirmation_mail["In-Reply-To"] == gmail_id
    references = confirmation_mail["References"].split()
    assert references[-1] == gmail_id and offer_mail["Message-ID"] in references
    assert confirmation_mail["Subject"].startswith("Re: ")
    assert "You're booked for" in confirmation_mail.get_body(("plain",)).get_content()
    confirmation = OutboundMessage.objects.filter(lead=lead).exclude(pk=offer_message.pk).get()
    assert (confirmation.state, confirmation.channel) == ("sent", "email")
