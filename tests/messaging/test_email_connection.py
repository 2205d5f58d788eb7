"""Connecting the e-mail channel (the admin API and the card), "Test connection" in words, the
secrets kept encrypted and shown once, and no path into private networks."""

from __future__ import annotations

import json
import socket
from types import SimpleNamespace

import pytest
from django.db import connection as db
from django.urls import reverse

from integrations.models import Connection
from tests.factories import MembershipFactory

from .conftest import PASSWORD, email_settings


def api_url(workspace, provider="email"):
    return reverse(
        "api_workspace_integration",
        kwargs={"workspace_id": workspace.public_id, "provider": provider},
    )


def put(client, workspace, data, headers, provider="email"):
    return client.put(
        api_url(workspace, provider), data, content_type="application/json", **headers
    )


@pytest.fixture(autouse=True)
def _local_targets(settings):
    settings.ALLOW_PRIVATE_NETWORK_TARGETS = True


def test_put_logs_in_stores_and_answers_the_inbound_secret_once(
    client, workspace, smtp_server, api_key_headers
):
    first = put(client, workspace, email_settings(smtp_server), api_key_headers)
    assert first.status_code == 200, first.content
    body = first.json()
    assert body["connected"] is True and body["inbound_secret"]
    assert body["inbound_url"].endswith(f"/webhooks/email/{workspace.public_id}/")
    assert body["config"] == {
        "host": "127.0.0.1",
        "port": smtp_server.port,
        "security": "none",
        "username": "mailer@client.example",
        "from_email": "casey@client.example",
        "from_name": "Casey Closer",
    }
    again = put(client, workspace, email_settings(smtp_server, password=""), api_key_headers)
    assert again.status_code == 200 and "inbound_secret" not in again.json()
    shown = client.get(api_url(workspace), **api_key_headers).json()
    assert body["inbound_secret"] not in json.dumps(shown) and PASSWORD not in json.dumps(shown)
    with db.cursor() as cursor:  # encrypted at rest
        cursor.execute("SELECT secrets::text FROM integrations_connection")
        stored = cursor.fetchone()[0]
    assert PASSWORD not in stored and body["inbound_secret"] not in stored
    gone = client.delete(api_url(workspace), **api_key_headers).json()
    assert gone["connected"] is False and gone["secrets_stored"] == []


def test_a_wrong_password_is_refused_in_words(client, workspace, smtp_server, api_key_headers):
    response = put(client, workspace, email_settings(smtp_server, password="nope"), api_key_headers)
    assert response.status_code == 400
    assert response.json()["password"][0].startswith("Authentication failed")
    assert not Connection.objects.filter(workspace=workspace, status="connected").exists()


def test_a_name_that_does_not_resolve_is_refused_in_words(client, workspace, api_key_headers):
    data = email_settings(SimpleNamespace(host="smtp.nowhere.invalid", port=587))
    response = put(client, workspace, data, api_key_headers)
    assert response.status_code == 400
    assert "does not resolve (DNS)" in response.json()["host"][0]


def test_tls_against_a_server_without_tls_is_refused_in_words(
    client, workspace, smtp_server, api_key_headers
):
    response = put(client, workspace, email_settings(smtp_server, security="ssl"), api_key_headers)
    assert response.status_code == 400
    assert "TLS with 127.0.0.1 failed" in response.json()["host"][0]
    response = put(
        client, workspace, email_settings(smtp_server, security="starttls"), api_key_headers
    )
    assert response.status_code == 400 and "STARTTLS" in response.json()["host"][0]


@pytest.mark.parametrize(
    "field, value",
    [("security", "tls1.0"), ("port", 70000), ("from_email", "not an address"), ("host", "")],
)
def test_bad_settings_are_a_400_per_field(
    client, workspace, smtp_server, api_key_headers, field, value
):
    response = put(
        client, workspace, email_settings(smtp_server, **{field: value}), api_key_headers
    )
    assert response.status_code == 400 and field in response.json()


def test_private_addresses_are_refused_unless_allowed(
    client, workspace, smtp_server, api_key_headers, settings
):
    settings.ALLOW_PRIVATE_NETWORK_TARGETS = False
    for host in ("127.0.0.1", "localhost", "10.1.2.3", "169.254.169.254", "192.168.0.5"):
        response = put(client, workspace, email_settings(smtp_server, host=host), api_key_headers)
        assert response.status_code == 400, host
        assert "private, loopback or link-local" in response.json()["host"][0]
    response = put(
        client, workspace, {"url": "https://169.254.169.254/latest"}, api_key_headers, "webhook_out"
    )
    assert response.status_code == 400 and "link-local" in response.json()["url"][0]


def test_a_host_that_turns_private_after_connecting_is_refused_at_send_time(
    email_workspace, settings, monkeypatch
):
    from followups import services
    from followups.tasks import send_message
    from tests.factories import LeadFactory

    lead = LeadFactory(workspace=email_workspace, email="jordan@lead.example")
    conn = Connection.objects.get(workspace=email_workspace, provider="email")
    conn.config = {**conn.config, "host": "smtp.client.example"}
    conn.save()
    settings.ALLOW_PRIVATE_NETWORK_TARGETS = False
    # The name now answers a private address (DNS rebinding).
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", 25))],
    )
    message = services.queue_message(lead=lead, channel="email", body="Hello")
    assert send_message(message.pk) == "failed"
    message.refresh_from_db()
    assert "private, loopback or link-local" in message.error


def test_the_card_shows_the_secret_once_and_test_connection_says_what_failed(
    client, workspace, smtp_server
):
    admin = MembershipFactory(workspace=workspace, role="admin")
    client.force_login(admin.user)
    connect = reverse("integrations_connect", args=[workspace.public_id, "email"])
    page = client.post(connect, email_settings(smtp_server)).content.decode()
    secret = Connection.objects.get(workspace=workspace, provider="email").secret("inbound_secret")
    assert "shown only this once" in page and secret in page
    tab = reverse("integrations_tab", args=[workspace.public_id])
    later = client.get(tab).content.decode()
    assert secret not in later and PASSWORD not in later
    assert f"/webhooks/email/{workspace.public_id}/" in later
    check = reverse("integrations_check", args=[workspace.public_id, "email"])
    ok = client.post(check, follow=True).content.decode()
    assert f"Logged in to 127.0.0.1:{smtp_server.port}" in ok
    conn = Connection.objects.get(workspace=workspace, provider="email")
    conn.secrets = {**conn.secrets, "password": "changed-elsewhere"}
    conn.save()
    failed = client.post(check, follow=True).content.decode()
    assert "Authentication failed" in failed
    rotate = reverse("integrations_rotate_secret", args=[workspace.public_id, "email"])
    rotated = client.post(rotate).content.decode()
    new = Connection.objects.get(workspace=workspace, provider="email").secret("inbound_secret")
    assert new != secret and new in rotated
