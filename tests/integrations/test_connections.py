import pytest
from django.db import connection

from followups.errors import InvalidSetting, ProviderNotConnected
from integrations import booking_settings, connections, selectors
from integrations.models import Connection
from integrations.providers import get_provider
from tests.integrations import fake
from workspaces.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_connect_records_who_and_what_but_never_the_secret(connected, workspace):
    event = AuditEvent.objects.get(workspace=workspace, action="integration.connected")
    assert event.changes["secrets_changed"] == ["api_token"]
    assert event.changes["status"] == ["disconnected", "connected"]
    assert fake.TOKEN not in str(event.changes)


def test_disconnect_wipes_the_secrets_once(connected, workspace):
    connections.disconnect(workspace=workspace, provider=fake.NAME)
    connections.disconnect(workspace=workspace, provider=fake.NAME)

    conn = Connection.objects.get(pk=connected.pk)
    assert conn.status == "disconnected"
    assert conn.secrets == {}
    assert conn.token_hint == ""
    with connection.cursor() as cursor:
        cursor.execute("SELECT secrets FROM integrations_connection WHERE id = %s", [conn.pk])
        assert cursor.fetchone() == ("",)
    assert AuditEvent.objects.filter(action="integration.disconnected").count() == 1


def test_chosen_connected_provider_is_what_get_provider_returns(connected, workspace):
    booking_settings.choose_booking_provider(workspace=workspace, provider=fake.NAME)

    workspace.refresh_from_db()
    assert workspace.booking_provider == fake.NAME
    assert isinstance(get_provider(workspace), fake.FakeProvider)


def test_an_unconnected_provider_cannot_be_chosen(workspace, fake_provider):
    with pytest.raises(InvalidSetting, match="not connected"):
        booking_settings.choose_booking_provider(workspace=workspace, provider=fake.NAME)


def test_needs_reauth_stops_booking_with_a_reason(connected, workspace):
    booking_settings.choose_booking_provider(workspace=workspace, provider=fake.NAME)
    connections.mark_needs_reauth(workspace=workspace, provider=fake.NAME, error="Token revoked.")

    with pytest.raises(ProviderNotConnected, match="Integrations tab"):
        get_provider(workspace)
    assert selectors.get_connection(workspace=workspace, provider=fake.NAME).last_error == (
        "Token revoked."
    )


def test_auto_book_needs_a_connected_booking_provider(workspace, fake_provider):
    with pytest.raises(InvalidSetting, match="before turning auto-booking on"):
        booking_settings.set_auto_book(workspace=workspace, enabled=True)


def test_switching_auto_book_twice_records_one_change(connected, workspace):
    booking_settings.choose_booking_provider(workspace=workspace, provider=fake.NAME)
    assert booking_settings.set_auto_book(workspace=workspace, enabled=True) is True
    assert booking_settings.set_auto_book(workspace=workspace, enabled=True) is False
    assert AuditEvent.objects.filter(action="workspace.auto_book_changed").count() == 1


def test_refused_webhooks_are_counted(connected, workspace):
    connections.record_rejected_delivery(workspace=workspace, provider=fake.NAME, reason="bad sig")
    connections.record_rejected_delivery(workspace=workspace, provider=fake.NAME, reason="stale")

    conn = Connection.objects.get(pk=connected.pk)
    assert (conn.rejected_count, conn.last_rejected_reason) == (2, "stale")
    assert conn.last_rejected_at is not None


def test_update_merges_secrets_and_audits_only_names(connected, workspace):
    connections.update_connection(
        workspace=workspace, provider=fake.NAME, secrets={"signing_key": "sk-very-secret"}
    )
    conn = Connection.objects.get(pk=connected.pk)
    assert conn.secrets == {"api_token": fake.TOKEN, "signing_key": "sk-very-secret"}
    event = AuditEvent.objects.get(action="integration.updated")
    assert event.changes["secrets_changed"] == ["signing_key"]
    assert "sk-very-secret" not in str(event.changes)


def test_status_never_holds_a_secret(connected, workspace):
    status = selectors.connection_status(workspace=workspace, provider=fake.NAME)
    assert status["connected"] is True
    assert status["secrets_stored"] == ["api_token"]
    assert fake.TOKEN not in str(status)


def test_a_short_secret_gets_no_hint(workspace, fake_provider):
    conn = connections.connect(
        workspace=workspace, provider=fake.NAME, secrets={"api_token": "abc12"}, token_hint="abc12"
    )
    assert conn.token_hint == ""
