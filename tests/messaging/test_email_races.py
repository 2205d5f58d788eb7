"""Races with real concurrency: the same reply forwarded twice at once is read once, and two
workers sending the same e-mail at once hand it to the SMTP server once."""

from __future__ import annotations

import pytest
from django.test import Client

from booking.models import InboundMessage
from followups import services
from followups.models import OutboundMessage
from followups.tasks import send_message
from integrations.models import WebhookDelivery
from tests.factories import LeadFactory
from tests.support.concurrency import run_at_once

from .helpers import fixture, post_mail

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def lead(email_workspace):
    return LeadFactory(workspace=email_workspace, email="jordan@lead.example", phone="")


def test_the_same_reply_forwarded_twice_at_once_is_read_once(lead, smtp_server):
    sent = services.queue_message(lead=lead, channel="email", body="Here are a few times.")
    send_message(sent.pk)
    sent.refresh_from_db()
    raw = fixture("gmail_reply.eml", answering=sent.provider_message_id)
    answers = run_at_once([lambda: post_mail(Client(), lead.workspace, raw) for _ in range(4)])
    assert sorted(a.json()["detail"] for a in answers) == ["duplicate"] * 3 + ["stored"]
    assert WebhookDelivery.objects.filter(provider="email").count() == 1
    assert InboundMessage.objects.filter(lead=lead).count() == 1


def test_two_workers_sending_one_email_at_once_send_it_once(lead, smtp_server):
    # Stored queued as the engine stores it, without its after-commit send: the six runs race.
    message = OutboundMessage.objects.create(
        workspace=lead.workspace, lead=lead, channel="email", body="Does Tuesday work?"
    )
    results = run_at_once([lambda: send_message(message.pk) for _ in range(6)])
    message.refresh_from_db()
    assert message.state == "sent" and len(smtp_server.received) == 1
    assert sorted(results, key=str) == [None] * 5 + ["sent"]
