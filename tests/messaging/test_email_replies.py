"""Replies by e-mail: real MIME from the major clients, forwarded to the signed endpoint, read
like any reply; bounces and auto-replies recognised as such."""

from __future__ import annotations

import time

import pytest

from booking.models import InboundMessage
from followups import services
from followups.models import OutboundMessage
from followups.tasks import send_message
from integrations.models import Connection, WebhookDelivery
from tests.factories import LeadFactory
from workspaces.models import Lead

from .helpers import fixture, post_mail


@pytest.fixture
def lead(email_workspace):
    return LeadFactory(
        workspace=email_workspace, email="jordan@lead.example", phone="", status="contacted"
    )


@pytest.fixture
def sent(lead):
    """The e-mail we sent the lead (its Message-ID is what replies answer)."""
    message = services.queue_message(
        lead=lead, channel="email", subject="Times for our call", body="Here are a few times."
    )
    send_message(message.pk)
    message.refresh_from_db()
    assert message.state == "sent"
    return message


def deliver(client, workspace, raw, capture):
    with capture(execute=True):
        response = post_mail(client, workspace, raw)
    assert response.status_code == 200, response.content
    return WebhookDelivery.objects.filter(workspace=workspace, provider="email").latest("id")


@pytest.mark.parametrize(
    "name, words",
    [
        ("gmail_reply.eml", "Option 2 works for me — see you then!"),
        ("outlook_reply.eml", "Thanks Casey – Tuesday at 10 suits me."),
        ("apple_mail_reply.eml", "Tuesday at 10 is perfect. I’ve attached our brochure."),
        ("html_only_reply.eml", "Tuesday at 10 works, merci!\n\nJordan Lée"),
    ],
)
def test_a_reply_from_each_client_is_matched_decoded_and_read_like_any_reply(
    client, lead, sent, django_capture_on_commit_callbacks, name, words
):
    raw = fixture(name, answering=sent.provider_message_id)
    delivery = deliver(client, lead.workspace, raw, django_capture_on_commit_callbacks)
    assert delivery.state == "processed"
    reply = InboundMessage.objects.get(lead=lead)
    assert reply.body.startswith(words)
    assert (reply.channel, reply.provider) == ("email", "email")
    assert reply.provider_message_id.startswith("<") and reply.provider_message_id.endswith(">")
    assert reply.autobook_done_at is not None  # handed to auto-booking like any reply
    lead.refresh_from_db()
    assert lead.status == Lead.Status.REPLIED


def test_attachments_are_dropped_before_the_message_is_stored(
    client, lead, sent, django_capture_on_commit_callbacks
):
    raw = fixture("apple_mail_reply.eml", answering=sent.provider_message_id)
    delivery = deliver(client, lead.workspace, raw, django_capture_on_commit_callbacks)
    assert b"application/pdf" in raw and b"application/pdf" not in delivery.raw_body
    assert len(delivery.raw_body) < len(raw) / 2


def test_a_reply_answering_nothing_we_know_is_matched_by_its_from_address(
    client, lead, django_capture_on_commit_callbacks
):
    raw = fixture("gmail_reply.eml", answering="<someone-else@example.org>")
    deliver(client, lead.workspace, raw, django_capture_on_commit_callbacks)
    assert InboundMessage.objects.filter(lead=lead).count() == 1


def test_the_in_reply_to_wins_over_the_from_address(
    client, lead, sent, django_capture_on_commit_callbacks
):
    LeadFactory(workspace=lead.workspace, email="jordan.lee@home.example", phone="")
    raw = fixture("gmail_reply.eml", answering=sent.provider_message_id).replace(
        b"Jordan Lee <jordan@lead.example>", b"Jordan Lee <jordan.lee@home.example>"
    )
    deliver(client, lead.workspace, raw, django_capture_on_commit_callbacks)
    assert InboundMessage.objects.get().lead_id == lead.pk


def test_a_mail_from_nobody_we_know_is_kept_unmatched(
    client, email_workspace, django_capture_on_commit_callbacks
):
    delivery = deliver(
        client, email_workspace, fixture("gmail_reply.eml"), django_capture_on_commit_callbacks
    )
    assert delivery.state == "unmatched" and not InboundMessage.objects.exists()


def test_an_out_of_office_is_never_read_as_an_answer(
    client, lead, sent, django_capture_on_commit_callbacks
):
    raw = fixture("out_of_office.eml", answering=sent.provider_message_id)
    delivery = deliver(client, lead.workspace, raw, django_capture_on_commit_callbacks)
    assert delivery.state == "ignored" and not InboundMessage.objects.exists()
    lead.refresh_from_db()
    assert lead.status != Lead.Status.REPLIED


def test_a_hard_bounce_marks_the_address_undeliverable_and_the_message_failed(
    client, lead, sent, django_capture_on_commit_callbacks
):
    raw = fixture("bounce.eml", answering=sent.provider_message_id)
    delivery = deliver(client, lead.workspace, raw, django_capture_on_commit_callbacks)
    assert delivery.state == "processed" and not InboundMessage.objects.exists()
    lead.refresh_from_db()
    sent.refresh_from_db()
    assert lead.email_undeliverable_at is not None
    assert sent.state == "failed" and "bounce" in sent.error
    again = services.queue_message(lead=lead, channel="email", body="Still there?")
    assert send_message(again.pk) == OutboundMessage.State.FAILED


def test_stop_by_email_opts_the_lead_out(client, lead, sent, django_capture_on_commit_callbacks):
    raw = fixture("gmail_reply.eml", answering=sent.provider_message_id).replace(
        b"Option 2 works for me =E2=80=94 see you then!\r\n\r\nJordan", b"STOP"
    )
    deliver(client, lead.workspace, raw, django_capture_on_commit_callbacks)
    lead.refresh_from_db()
    assert lead.status == Lead.Status.OPTED_OUT


def test_the_same_mail_forwarded_twice_is_stored_once(
    client, lead, sent, django_capture_on_commit_callbacks
):
    raw = fixture("gmail_reply.eml", answering=sent.provider_message_id)
    deliver(client, lead.workspace, raw, django_capture_on_commit_callbacks)
    response = post_mail(client, lead.workspace, raw)
    assert response.json()["detail"] == "duplicate"
    assert InboundMessage.objects.count() == 1


# The endpoint's refusals


def test_a_bad_signature_is_refused_and_counted_on_the_card(client, email_workspace):
    response = post_mail(client, email_workspace, fixture("gmail_reply.eml"), secret="wrong")
    assert response.status_code == 401
    assert response.json()["detail"] == "signature missing or invalid"
    conn = Connection.objects.get(workspace=email_workspace, provider="email")
    assert conn.rejected_count == 1 and not WebhookDelivery.objects.exists()
    assert "does not match" in conn.last_rejected_reason  # the detail is for the card only


def test_a_signature_older_than_three_minutes_is_refused(client, email_workspace):
    old = int(time.time()) - 181
    response = post_mail(client, email_workspace, fixture("gmail_reply.eml"), t=old)
    assert response.status_code == 401
    assert response.json()["detail"] == "signature missing or invalid"
    conn = Connection.objects.get(workspace=email_workspace, provider="email")
    assert conn.last_rejected_reason == "signature is too old"


def test_a_signature_within_three_minutes_is_accepted(client, email_workspace):
    recent = int(time.time()) - 170
    assert (
        post_mail(client, email_workspace, fixture("gmail_reply.eml"), t=recent).status_code == 200
    )


def test_a_missing_signature_is_refused(client, email_workspace):
    from django.urls import reverse

    url = reverse("email_inbound", kwargs={"workspace_id": email_workspace.public_id})
    response = client.post(url, data=fixture("gmail_reply.eml"), content_type="message/rfc822")
    assert response.status_code == 401 and "missing" in response.json()["detail"]


def test_another_content_type_is_refused(client, email_workspace):
    from django.urls import reverse

    url = reverse("email_inbound", kwargs={"workspace_id": email_workspace.public_id})
    response = client.post(url, data={"a": 1}, content_type="application/json")
    assert response.status_code == 415


def test_a_message_over_10_mib_is_refused(client, email_workspace):
    raw = fixture("gmail_reply.eml") + b"x" * (10 * 1024 * 1024)
    response = post_mail(client, email_workspace, raw)
    assert response.status_code == 413


def test_a_message_just_under_10_mib_is_taken(client, email_workspace):
    raw = fixture("gmail_reply.eml")
    padding = 10 * 1024 * 1024 - len(raw) - 100
    raw = raw.replace(
        b"Jordan\r\n\r\nOn Fri", b"Jordan\r\n" + b"=\r\n" * (padding // 3) + b"On Fri"
    )
    assert 9 * 1024 * 1024 < len(raw) <= 10 * 1024 * 1024
    assert post_mail(client, email_workspace, raw).status_code == 200


def test_a_workspace_without_the_email_channel_answers_404(client, workspace):
    workspace.inbound_secret = "anything"
    response = post_mail(client, workspace, fixture("gmail_reply.eml"))
    assert response.status_code == 404


def test_the_readme_postfix_recipe_signs_what_the_endpoint_accepts(
    client, email_workspace, tmp_path
):
    """The README's pipe signs with openssl; the same command's signature is accepted."""
    import subprocess

    from django.urls import reverse

    raw = fixture("gmail_reply.eml")
    (tmp_path / "mail").write_bytes(raw)
    (tmp_path / "secret").write_text(email_workspace.inbound_secret)
    t = str(int(time.time()))
    command = (
        f"(printf '%s.' \"{t}\"; cat mail) | "
        'openssl dgst -sha256 -hmac "$(cat secret)" -r | cut -d" " -f1'
    )
    v1 = subprocess.run(
        ["sh", "-c", command], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout.strip()
    url = reverse("email_inbound", kwargs={"workspace_id": email_workspace.public_id})
    response = client.post(
        url,
        data=raw,
        content_type="message/rfc822",
        headers={"Webhook-Signature": f"t={t},v1={v1}"},
    )
    assert response.status_code == 200, response.content


def test_a_soft_bounce_is_recognised_but_leaves_the_address_deliverable(
    client, lead, sent, django_capture_on_commit_callbacks
):
    raw = (
        fixture("bounce.eml", answering=sent.provider_message_id)
        .replace(b"Action: failed", b"Action: delayed")
        .replace(b"Status: 5.1.1", b"Status: 4.2.2")
    )
    delivery = deliver(client, lead.workspace, raw, django_capture_on_commit_callbacks)
    assert delivery.state == "ignored" and not InboundMessage.objects.exists()
    lead.refresh_from_db()
    sent.refresh_from_db()
    assert lead.email_undeliverable_at is None and sent.state == "sent"


def test_a_new_address_for_a_bounced_lead_can_be_mailed_again(
    client, lead, sent, smtp_server, django_capture_on_commit_callbacks
):
    from rest_framework.test import APIClient
    from rest_framework_api_key.models import APIKey

    raw = fixture("bounce.eml", answering=sent.provider_message_id)
    deliver(client, lead.workspace, raw, django_capture_on_commit_callbacks)
    _, key = APIKey.objects.create_key(name="crm")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    lead.refresh_from_db()
    lead.phone = "+13125550142"
    lead.save(update_fields=["phone"])
    answer = api.post(
        f"/api/workspaces/{lead.workspace.public_id}/leads",
        {"phone": "+13125550142", "email": "Jordan.Lee@New.example"},
        format="json",
    )
    assert answer.status_code == 200, answer.content
    lead.refresh_from_db()
    assert (lead.email, lead.email_undeliverable_at) == ("jordan.lee@new.example", None)
    again = services.queue_message(lead=lead, channel="email", body="Still there?")
    assert send_message(again.pk) == OutboundMessage.State.SENT
    assert smtp_server.received[-1][1] == ["jordan.lee@new.example"]
