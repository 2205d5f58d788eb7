"""Messaging test set-up: a real SMTP server (aiosmtpd) started by the test, whose answer each
test chooses, and a workspace whose e-mail channel is connected to it the way the admin API
connects it."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from integrations.email import connection as email_connection

USERNAME, PASSWORD = "mailer@client.example", "correct horse"


@dataclass
class SmtpServer:
    """What the server answers to DATA: "accept", "550", "451" or "drop" (the connection is
    closed once the message was sent, before any answer)."""

    host: str
    port: int
    mode: str = "accept"
    received: list = field(default_factory=list)  # (envelope sender, recipients, parsed message)

    def messages(self):
        return [message for _, _, message in self.received]


class _Handler:
    def __init__(self, server: SmtpServer):
        self.server = server

    async def handle_DATA(self, smtp, session, envelope):
        mode = self.server.mode
        if mode == "drop":
            self._keep(envelope)
            smtp.transport.close()
            return None
        if mode == "550":
            return "550 5.1.1 <nobody@lead.example>: Recipient address rejected: User unknown"
        if mode == "451":
            return "451 4.7.1 Greylisted, please try again later"
        self._keep(envelope)
        return "250 2.0.0 Ok: queued as 4F2A1"

    def _keep(self, envelope):
        parsed = BytesParser(policy=policy.default).parsebytes(envelope.original_content)
        self.server.received.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))


def _authenticate(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (
        auth_data.login.decode(),
        auth_data.password.decode(),
    ) == (USERNAME, PASSWORD)
    return AuthResult(success=ok, handled=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    server = SmtpServer(host="127.0.0.1", port=_free_port())
    controller = Controller(
        _Handler(server),
        hostname=server.host,
        port=server.port,
        authenticator=_authenticate,
        auth_require_tls=False,
        decode_data=False,
    )
    controller.start()
    yield server
    controller.stop()


def email_settings(smtp_server, **overrides) -> dict:
    return {
        "host": smtp_server.host,
        "port": smtp_server.port,
        "security": "none",
        "username": USERNAME,
        "password": PASSWORD,
        "from_email": "casey@client.example",
        "from_name": "Casey Closer",
        **overrides,
    }


@pytest.fixture
def email_workspace(workspace, smtp_server, settings):
    """The workspace sends by e-mail through ``smtp_server``; ``.inbound_secret`` signs replies."""
    settings.ALLOW_PRIVATE_NETWORK_TARGETS = True
    revealed = email_connection.connect(
        workspace=workspace, data=email_settings(smtp_server), actor_label="test"
    )
    workspace.messaging_channel = "email"
    workspace.save(update_fields=["messaging_channel"])
    workspace.inbound_secret = revealed["inbound_secret"]
    return workspace


@pytest.fixture
def api_key_headers(db) -> dict:
    """Django test client headers carrying a provisioning API key."""
    from rest_framework_api_key.models import APIKey

    _, key = APIKey.objects.create_key(name="onboarding")
    return {"HTTP_AUTHORIZATION": f"Api-Key {key}"}
