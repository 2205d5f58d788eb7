"""The e-mail channel against a real SMTP server: what the lead receives, and how each answer
of the server settles the message."""

from __future__ import annotations

import pytest
from django.conf import settings

from followups import services
from followups.models import OutboundMessage
from followups.tasks import send_message
from integrations.email import unsubscribe
from tests.factories import LeadFactory

State = OutboundMessage.State


@pytest.fixture
def lead(email_workspace):
    return LeadFactory(workspace=email_workspace, email="jordan@lead.example", phone="")


def queued(
    lead, body="Hi Jordan,\n\nDoes Tuesday at 10 work?", subject="Our call", channel="email"
):
    return services.queue_message(lead=lead, channel=channel, body=body, subject=subject)


def test_a_message_reaches_the_lead_with_its_own_message_id_text_html_and_unsubscribe(
    lead, smtp_server
):
    message = queued(lead)
    assert send_message(message.pk) == State.SENT
    message.refresh_from_db()
    [(sender, recipients, mail)] = smtp_server.received
    assert (sender, recipients) == ("casey@client.example", ["jordan@lead.example"])
    assert mail["From"].addresses[0].display_name == "Casey Closer"
    assert mail["Subject"] == "Our call"
    assert (message.state, message.sent_via) == ("sent", "email")
    assert message.provider_message_id == mail["Message-ID"]
    assert mail["Message-ID"].endswith("@client.example>")
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "Does Tuesday at 10 work?" in text and "Does Tuesday at 10 work?" in html
    # The signed token carries its own time, so it is read back rather than built again.
    link, mailto = mail["List-Unsubscribe"].split(", ")
    url = link.strip("<>")
    assert mailto == "<mailto:casey@client.example?subject=unsubscribe>"
    assert url.startswith(f"{settings.PUBLIC_BASE_URL}/u/")
    assert unsubscribe.lead_of(url.rstrip("/").rsplit("/", 1)[-1]) == lead
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert url in text and url in html
    assert "In-Reply-To" not in mail


def test_an_sms_step_goes_by_email_through_the_email_channel(lead, smtp_server):
    message = queued(lead, channel="sms", subject="")
    assert send_message(message.pk) == State.SENT
    message.refresh_from_db()
    assert message.channel == "email" and len(smtp_server.received) == 1


def test_a_550_fails_for_good_with_the_servers_words(lead, smtp_server):
    smtp_server.mode = "550"
    message = queued(lead)
    assert send_message(message.pk) == State.FAILED
    message.refresh_from_db()
    assert "550" in message.error and "User unknown" in message.error
    assert send_message(message.pk) is None  # never tried again


def test_a_451_is_retried_and_sent_once_the_server_takes_it(lead, smtp_server):
    smtp_server.mode = "451"
    message = queued(lead)
    assert send_message(message.pk) == State.QUEUED
    message.refresh_from_db()
    assert "451" in message.error and "Greylisted" in message.error
    smtp_server.mode = "accept"
    assert send_message(message.pk) == State.SENT
    assert len(smtp_server.received) == 1


def test_a_server_that_cannot_be_reached_is_retried(lead, smtp_server):
    from integrations.models import Connection

    conn = Connection.objects.get(workspace=lead.workspace, provider="email")
    conn.config = {**conn.config, "port": 1}  # nothing listens there
    conn.save()
    message = queued(lead)
    assert send_message(message.pk) == State.QUEUED
    message.refresh_from_db()
    assert "Could not connect" in message.error


def test_a_connection_lost_after_data_is_an_unknown_outcome_never_resent(lead, smtp_server):
    smtp_server.mode = "drop"
    message = queued(lead)
    assert send_message(message.pk) == State.FAILED
    message.refresh_from_db()
    assert "may have reached the lead" in message.error
    assert send_message(message.pk) is None
    assert len(smtp_server.received) == 1  # the server had it: it went once, and only once


def test_a_lead_whose_address_bounced_gets_no_more_email(lead, smtp_server):
    from django.utils import timezone

    lead.email_undeliverable_at = timezone.now()
    lead.save()
    message = queued(lead)
    assert send_message(message.pk) == State.FAILED
    message.refresh_from_db()
    assert "bounced" in message.error and smtp_server.received == []
