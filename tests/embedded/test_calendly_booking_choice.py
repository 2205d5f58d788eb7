"""Connecting Calendly on a workspace whose booking provider is not connected offers to make
Calendly the booking provider in the same step; the card says which provider books now."""

import pytest
from django.urls import reverse

from workspaces.models import AuditEvent, Workspace

pytestmark = pytest.mark.django_db


def tab(client, workspace) -> str:
    response = client.get(reverse("integrations_tab", args=[workspace.public_id]))
    assert response.status_code == 200
    return response.content.decode()


def connect(client, workspace, data):
    url = reverse("integrations_connect", args=[workspace.public_id, "calendly"])
    return client.post(url, data)


def test_the_card_says_who_books_now_and_offers_calendly_ticked(admin_client, workspace):
    html = tab(admin_client, workspace)  # a new workspace books with GHL, which isn't connected
    assert "Booking provider now: <strong>GoHighLevel</strong> (not connected" in html
    assert 'id="calendly-make-booking-provider" value="on" checked' in html


def test_connecting_with_the_box_ticked_makes_calendly_the_booking_provider(
    admin_client, workspace, calendly_sandbox, calendly_receiver, on_commit
):
    with on_commit():
        response = connect(
            admin_client,
            workspace,
            {
                "access_token": calendly_sandbox.token,
                "event_type_link": calendly_sandbox.booking_link(),
                "make_booking_provider": "on",
            },
        )
    assert response.status_code == 302
    assert Workspace.objects.get(pk=workspace.pk).booking_provider == "calendly"
    choice = AuditEvent.objects.get(
        workspace=workspace, action="workspace.booking_provider_changed"
    )
    assert choice.actor == admin_client.user
    html = tab(admin_client, workspace)
    assert "Calendly is this workspace's booking provider." in html
    assert 'id="calendly-make-booking-provider"' not in html


def test_without_the_box_the_booking_provider_stays(
    admin_client, workspace, calendly_sandbox, calendly_receiver, on_commit
):
    with on_commit():
        connect(
            admin_client,
            workspace,
            {
                "access_token": calendly_sandbox.token,
                "event_type_link": calendly_sandbox.booking_link(),
            },
        )
    assert Workspace.objects.get(pk=workspace.pk).booking_provider == "ghl"
    assert "Booking provider now: <strong>GoHighLevel</strong>" in tab(admin_client, workspace)


def test_ticked_without_an_event_type_it_waits_for_the_event_type_step(
    admin_client, workspace, calendly_sandbox, calendly_receiver, on_commit
):
    with on_commit():
        connect(
            admin_client,
            workspace,
            {"access_token": calendly_sandbox.token, "make_booking_provider": "on"},
        )
    assert Workspace.objects.get(pk=workspace.pk).booking_provider == "ghl"  # not bookable yet
    html = tab(admin_client, workspace)
    assert 'id="calendly-event-type-form"' in html
    assert 'id="calendly-make-booking-provider" value="on" checked' in html
