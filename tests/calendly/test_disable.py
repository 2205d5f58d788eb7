"""Disabling Calendly: the subscription deleted at Calendly, every secret wiped, auto-book off
when Calendly was booking, the appointments kept; and all of it even when Calendly can't be
reached or the token is already revoked."""

import pytest
from django.db import connection as db
from django.urls import reverse
from django.utils import timezone

from booking.lifecycle import record_booked
from booking.models import Appointment
from calendly import account as calendly_account
from calendly import connection
from calendly.models import Subscription
from integrations import provider_actions
from integrations.models import Connection
from integrations.providers import BookingRef, get_spec
from tests.factories import LeadFactory
from workspaces.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking_with_calendly(workspace, calendly_connected):
    workspace.booking_provider = "calendly"
    workspace.auto_book_enabled = True
    workspace.save()
    lead = LeadFactory(workspace=workspace)
    record_booked(
        workspace=workspace,
        lead=lead,
        ref=BookingRef("calendly", "https://calendly.test/scheduled_events/e/invitees/i"),
        start=timezone.now(),
        source="webhook",
    )
    return calendly_connected


def raw_row(workspace) -> tuple[str, str]:
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT secrets::text, token_hint FROM integrations_connection "
            "WHERE workspace_id = %s AND provider = 'calendly'",
            [workspace.pk],
        )
        return cursor.fetchone()


def test_disable_deletes_the_subscription_wipes_secrets_and_keeps_appointments(
    workspace, booking_with_calendly
):
    sandbox = booking_with_calendly
    token = sandbox.token
    key = Connection.objects.get(workspace=workspace).secret("webhook_signing_key")

    done = provider_actions.disconnect_provider(spec=get_spec("calendly"), workspace=workspace)

    conn = Connection.objects.get(workspace=workspace)
    raw_secrets, hint = raw_row(workspace)
    workspace.refresh_from_db()
    assert done.answer.subscription_removed and done.auto_book_turned_off
    assert sandbox.subscriptions() == []
    assert conn.status == "disconnected" and conn.secrets == {} and hint == ""
    assert token not in raw_secrets and key not in raw_secrets
    assert workspace.auto_book_enabled is False
    assert Appointment.objects.count() == 1  # kept
    assert Subscription.objects.get(workspace=workspace).state == "removed"
    assert not calendly_account.is_connected(workspace)
    assert AuditEvent.objects.filter(action="workspace.auto_book_changed").exists()


def test_disable_works_when_calendly_is_unreachable(workspace, booking_with_calendly):
    sandbox = booking_with_calendly
    sandbox.stop()

    outcome = connection.disconnect(workspace=workspace)

    assert not outcome.subscription_removed and outcome.subscription_detail
    assert Connection.objects.get(workspace=workspace).secrets == {}
    assert Subscription.objects.get(workspace=workspace).state == "orphaned"


def test_disable_works_when_the_token_is_already_revoked(workspace, booking_with_calendly):
    booking_with_calendly.fail("GET", "/webhook_subscriptions", 401, times=3)
    booking_with_calendly.fail("DELETE", "/webhook_subscriptions/.*", 401, times=3)

    outcome = connection.disconnect(workspace=workspace)

    assert not outcome.subscription_removed
    assert "rejected the token" in outcome.subscription_detail
    assert Connection.objects.get(workspace=workspace).status == "disconnected"


def test_a_leftover_subscription_is_never_reused_after_reconnecting(
    workspace, booking_with_calendly, on_commit
):
    sandbox = booking_with_calendly
    [left] = sandbox.subscriptions()
    sandbox.fail("GET", "/webhook_subscriptions", 503, times=3)
    removed = connection.disconnect(workspace=workspace).subscription_removed

    with on_commit():
        connection.api_connect(
            workspace=workspace,
            data={"access_token": sandbox.token, "event_type": sandbox.event_type_uri()},
        )

    [now] = sandbox.subscriptions()
    assert removed is False  # it stayed at Calendly, while its key was wiped here
    assert now["uri"] != left["uri"]  # so it was replaced, not reused


def test_the_disable_button_says_what_happened_and_a_second_click_is_harmless(
    admin_client, workspace, booking_with_calendly
):
    url = reverse("calendly_disable", args=[workspace.public_id])

    first = admin_client.post(url, follow=True)
    second = admin_client.post(url, follow=True)

    said = [str(m) for m in first.context["messages"]]
    assert any("webhook subscription was deleted" in m for m in said)
    assert any("Auto-booking was turned off" in m for m in said)
    assert "already disabled" in " ".join(str(m) for m in second.context["messages"])
    assert 'id="calendly-empty"' in second.content.decode()  # the card's empty state again


def test_the_generic_disconnect_button_disables_calendly_too(
    admin_client, workspace, booking_with_calendly
):
    admin_client.post(reverse("integrations_disconnect", args=[workspace.public_id, "calendly"]))

    assert booking_with_calendly.subscriptions() == []
    assert Connection.objects.get(workspace=workspace).secrets == {}
