"""The outbound-webhook channel against a real HTTP receiver that checks every request with the
``standardwebhooks`` library (an implementation independent of ours)."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import respx
import time_machine
from django.urls import reverse
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from followups import services
from followups.models import OutboundMessage
from followups.sending import sweep
from followups.tasks import send_message
from integrations.webhook_out import connection as webhook_connection
from integrations.webhook_out.channel import RETRY_SCHEDULE
from tests.factories import LeadFactory

State = OutboundMessage.State


class Receiver:
    """Answers each POST with the next scripted status (200 once the script is spent), after
    verifying its Standard Webhooks signature; keeps what it was sent."""

    def __init__(self):
        self.secret = ""
        self.script: list[int] = []
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {k: v for k, v in self.headers.items()}
                try:
                    Webhook(receiver.secret).verify(body, headers)
                    verified = True
                except WebhookVerificationError:
                    verified = False
                receiver.requests.append(
                    {"headers": headers, "body": json.loads(body), "verified": verified}
                )
                status = receiver.script.pop(0) if receiver.script else 200
                answer = b'{"error": "lead.email is required"}' if status == 422 else b"{}"
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/setterdesk"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.server.shutdown()


@pytest.fixture
def lead(workspace, receiver, settings):
    settings.ALLOW_PRIVATE_NETWORK_TARGETS = True
    revealed = webhook_connection.connect(
        workspace=workspace, data={"url": receiver.url}, actor_label="test"
    )
    receiver.secret = revealed["signing_secret"]
    workspace.messaging_channel = "webhook_out"
    workspace.save()
    return LeadFactory(
        workspace=workspace,
        email="jordan@lead.example",
        phone="+13125550142",
        first_name="Jordan",
        last_name="Lee",
        timezone="America/Chicago",
    )


def queued(lead, channel="sms"):
    return services.queue_message(lead=lead, channel=channel, body="Does Tuesday at 10 work?")


def test_a_message_is_posted_as_signed_message_send_json(lead, receiver):
    message = queued(lead)
    assert send_message(message.pk) == State.SENT
    [request] = receiver.requests
    assert request["verified"] is True
    assert receiver.secret.startswith("whsec_")
    assert request["headers"]["webhook-id"] == f"msg_{message.pk}"
    body = request["body"]
    assert body["type"] == "message.send"
    assert dt.datetime.fromisoformat(body["timestamp"].replace("Z", "+00:00"))
    assert body["data"] == {
        "message_id": message.pk,
        "workspace_id": str(lead.workspace.public_id),
        "channel": "sms",
        "subject": "",
        "body": "Does Tuesday at 10 work?",
        "lead": {
            "id": lead.pk,
            "email": "jordan@lead.example",
            "phone": "+13125550142",
            "first_name": "Jordan",
            "last_name": "Lee",
            "timezone": "America/Chicago",
        },
        "in_reply_to": None,
    }
    message.refresh_from_db()
    assert (message.sent_via, message.provider_message_id) == ("webhook_out", f"msg_{message.pk}")


def test_in_reply_to_names_the_reply_being_answered(lead, receiver, client):
    from django.utils import timezone

    from booking.inbound import receive_message

    receive_message(
        lead=lead,
        channel="sms",
        body="What times?",
        received_at=timezone.now(),
        provider="api",
        provider_message_id="sl-7781",
    )
    send_message(queued(lead).pk)
    assert receiver.requests[-1]["body"]["data"]["in_reply_to"] == "sl-7781"


def test_a_4xx_fails_for_good_with_the_answer_shown(lead, receiver):
    receiver.script = [422]
    message = queued(lead)
    assert send_message(message.pk) == State.FAILED
    message.refresh_from_db()
    assert message.error == 'The webhook answered 422: {"error": "lead.email is required"}'
    assert send_message(message.pk) is None and len(receiver.requests) == 1


@pytest.mark.parametrize("status", [500, 503, 408, 429])
def test_5xx_408_and_429_are_retried_with_the_same_webhook_id(lead, receiver, status):
    receiver.script = [status]
    message = queued(lead)
    assert send_message(message.pk) == State.QUEUED
    message.refresh_from_db()
    assert message.next_attempt_at is not None
    assert (message.next_attempt_at - message.created_at).total_seconds() <= 11
    assert send_message(message.pk) == State.SENT
    first, second = receiver.requests
    assert first["headers"]["webhook-id"] == second["headers"]["webhook-id"] == f"msg_{message.pk}"
    assert first["verified"] and second["verified"]


def test_retries_back_off_over_about_a_day_then_fail(lead, receiver):
    receiver.script = [503] * 10
    start = dt.datetime.now(dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        message = queued(lead)
        assert send_message(message.pk) == State.QUEUED
        waits = []
        for _ in RETRY_SCHEDULE[1:]:
            message.refresh_from_db()
            due = message.next_attempt_at
            clock.move_to(due - dt.timedelta(seconds=1))
            sweep()  # not due yet: the sweep leaves it alone
            assert len(receiver.requests) == len(waits) + 1
            clock.move_to(due)
            assert send_message(message.pk) == State.QUEUED
            message.refresh_from_db()
            waits.append((message.next_attempt_at - due).total_seconds())
        clock.move_to(message.next_attempt_at)
        assert send_message(message.pk) == State.FAILED
    assert waits == list(RETRY_SCHEDULE[1:])
    assert [r["headers"]["webhook-id"] for r in receiver.requests] == [f"msg_{message.pk}"] * 7
    message.refresh_from_db()
    assert "gave up after 7 tries" in message.error


def test_an_unreachable_receiver_is_retried(lead, receiver):
    receiver.server.shutdown()
    receiver.server.server_close()
    message = queued(lead)
    assert send_message(message.pk) == State.QUEUED
    message.refresh_from_db()
    assert "did not answer" in message.error


def test_the_admin_api_connects_it_and_answers_the_signing_secret_once(
    client, workspace, receiver, settings, api_key_headers
):
    settings.ALLOW_PRIVATE_NETWORK_TARGETS = True
    url = reverse(
        "api_workspace_integration",
        kwargs={"workspace_id": workspace.public_id, "provider": "webhook_out"},
    )
    first = client.put(
        url, {"url": receiver.url}, content_type="application/json", **api_key_headers
    )
    assert first.status_code == 200, first.content
    assert first.json()["signing_secret"].startswith("whsec_")
    assert first.json()["connected"] is True and first.json()["config"] == {"url": receiver.url}
    again = client.put(
        url, {"url": receiver.url}, content_type="application/json", **api_key_headers
    )
    assert "signing_secret" not in again.json()
    shown = client.get(url, **api_key_headers).json()
    assert first.json()["signing_secret"] not in json.dumps(shown)
    assert client.delete(url, **api_key_headers).json()["connected"] is False


def _resolving_to(address):
    def getaddrinfo(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    return getaddrinfo


def test_the_post_goes_to_the_address_checked_at_send_time(lead, settings, monkeypatch):
    from integrations.models import Connection

    Connection.objects.filter(workspace=lead.workspace, provider="webhook_out").update(
        config={"url": "https://hooks.client.example/setterdesk"}
    )
    settings.ALLOW_PRIVATE_NETWORK_TARGETS = False
    monkeypatch.setattr(socket, "getaddrinfo", _resolving_to("93.184.216.34"))
    with respx.mock(assert_all_called=True) as http:
        route = http.post("https://93.184.216.34/setterdesk").respond(202)
        message = queued(lead)
        assert send_message(message.pk) == State.SENT
    request = route.calls.last.request
    assert request.headers["Host"] == "hooks.client.example"
    assert request.extensions["sni_hostname"] == "hooks.client.example"


def test_a_url_whose_name_turns_private_is_refused_at_send_time(lead, settings, monkeypatch):
    from integrations.models import Connection

    Connection.objects.filter(workspace=lead.workspace, provider="webhook_out").update(
        config={"url": "https://hooks.client.example/setterdesk"}
    )
    settings.ALLOW_PRIVATE_NETWORK_TARGETS = False
    monkeypatch.setattr(socket, "getaddrinfo", _resolving_to("169.254.169.254"))
    message = queued(lead)
    with respx.mock(assert_all_mocked=True, assert_all_called=False):
        assert send_message(message.pk) == State.FAILED
    message.refresh_from_db()
    assert "private, loopback or link-local" in message.error
