"""One-click unsubscribe (RFC 8058): the link in every e-mail opts the lead out exactly as a
STOP reply does; a GET (a mail scanner following links) changes nothing."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from followups import services
from followups.models import Enrollment, OutboundMessage
from integrations.email import unsubscribe
from tests.factories import LeadFactory
from workspaces.models import Lead

from .helpers import post_mail


@pytest.fixture
def lead(email_workspace):
    return LeadFactory(workspace=email_workspace, email="jordan@lead.example", status="contacted")


def path_of(lead) -> str:
    return urlsplit(unsubscribe.url_for(lead)).path


def test_the_url_is_on_public_base_url_and_signed(lead, settings):
    settings.PUBLIC_BASE_URL = "https://app.setterdesk.example"
    url = unsubscribe.url_for(lead)
    assert url.startswith("https://app.setterdesk.example/u/")
    assert unsubscribe.lead_of(url.rsplit("/", 2)[-2]) == lead
    assert unsubscribe.lead_of(url.rsplit("/", 2)[-2][:-2] + "xx") is None


def test_a_get_only_asks(client, lead):
    page = client.get(path_of(lead))
    assert page.status_code == 200 and "Stop all messages" in page.content.decode()
    lead.refresh_from_db()
    assert lead.status == "contacted"


def test_the_one_click_post_opts_the_lead_out_like_stop(client, lead):
    services.start_no_response(lead=lead)
    waiting = services.queue_message(lead=lead, channel="email", body="Still keen?")
    response = client.post(
        path_of(lead),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200 and "unsubscribed" in response.content.decode()
    lead.refresh_from_db()
    waiting.refresh_from_db()
    assert lead.status == Lead.Status.OPTED_OUT
    assert waiting.state == OutboundMessage.State.FAILED
    assert not Enrollment.objects.filter(lead=lead, state__in=Enrollment.LIVE).exists()
    assert client.post(path_of(lead)).status_code == 200  # twice is harmless


def test_a_forged_token_is_a_404(client, lead):
    assert client.post("/u/not-a-token/").status_code == 404


def test_the_mailto_unsubscribe_opts_the_lead_out(client, lead, django_capture_on_commit_callbacks):
    raw = (
        b"From: Jordan Lee <jordan@lead.example>\r\nTo: casey@client.example\r\n"
        b"Subject: unsubscribe\r\nMessage-ID: <unsub-1@lead.example>\r\n"
        b"Date: Fri, 29 Nov 2030 07:30:00 -0500\r\nContent-Type: text/plain\r\n\r\n\r\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert post_mail(client, lead.workspace, raw).status_code == 200
    lead.refresh_from_db()
    assert lead.status == Lead.Status.OPTED_OUT
