"""The Integrations tab opens with one line: who books, whether auto-booking is on, and the
channel messages go through."""

import re

import pytest
from django.urls import reverse

from integrations import connections
from tests.integrations import fake

pytestmark = pytest.mark.django_db


def summary_text(client, workspace) -> str:
    html = client.get(reverse("integrations_tab", args=[workspace.public_id])).content.decode()
    line = html.split('id="integrations-summary">')[1].split("</p>")[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", line)).strip()


def connect_email(workspace):
    connections.connect(
        workspace=workspace,
        provider="email",
        secrets={"password": "smtp-pass"},
        config={"host": "smtp.agency.example", "from_address": "desk@agency.example"},
        display_name="desk@agency.example",
    )


def test_the_line_names_the_booking_provider_auto_booking_and_the_email_channel(
    admin_client, workspace, connected, settings
):
    settings.MESSAGING_RECORD_ONLY = False
    connect_email(workspace)
    workspace.booking_provider = fake.NAME
    workspace.auto_book_enabled = True
    workspace.save()

    assert summary_text(admin_client, workspace) == (
        "Fake Calendar books for this workspace; auto-booking is on; messages go by e-mail. Change"
    )


def test_the_chosen_channel_is_named_over_the_first_connected(
    admin_client, workspace, connected, settings
):
    settings.MESSAGING_RECORD_ONLY = False
    connect_email(workspace)
    connections.connect(
        workspace=workspace,
        provider="webhook_out",
        secrets={"signing_secret": "s" * 32},
        config={"url": "https://hooks.agency.example/in"},
    )
    workspace.messaging_channel = "webhook_out"
    workspace.save()

    assert "messages go through the outbound webhook." in summary_text(admin_client, workspace)


def test_with_no_channel_connected_the_line_says_none_can_reach_leads(
    admin_client, workspace, settings
):
    settings.MESSAGING_RECORD_ONLY = False

    assert summary_text(admin_client, workspace) == (
        "GoHighLevel books for this workspace, but it is not connected; auto-booking is off; "
        "no channel can reach leads. Change"
    )
