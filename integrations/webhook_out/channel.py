"""The outbound-webhook channel: each message to a lead is POSTed as ``message.send`` JSON,
signed per Standard Webhooks, to the workspace's own sending tool (Smartlead, n8n, Zapier...).

A 2xx is sent; a 4xx other than 408/429 fails for good with the answer shown; 5xx, 408, 429,
timeouts and connection errors are retried with the same ``webhook-id`` (receivers dedupe on
it): the first retry within 10 seconds, then after about 5 min, 30 min, 2 h, 5 h and 10 h.
Redirects are not followed (they could lead anywhere, a private network included).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import httpx
from django.utils import timezone

from followups import channels
from followups.errors import ProviderBadRequest, ProviderNotConnected, ProviderUnavailable
from integrations import selectors
from integrations.netguard import check_target

from . import signing
from .connection import NAME, host_and_port

TIMEOUT = httpx.Timeout(15.0, connect=5.0)
RETRY_SCHEDULE = (10, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600)
RETRYABLE = {408, 429}
ANSWER_MAX = 300


@dataclass(frozen=True)
class Sent:
    provider_message_id: str


class WebhookOutChannel:
    name = NAME
    kinds = ("sms", "email")
    retry_schedule = RETRY_SCHEDULE

    def __init__(self, workspace):
        self.workspace = workspace

    def send(self, *, lead, kind: str, body: str, subject: str = "", message=None) -> Sent:
        conn = selectors.get_connection(workspace=self.workspace, provider=NAME)
        if conn is None or not conn.is_usable:
            raise ProviderNotConnected("The outbound webhook is not connected.")
        url = conn.config.get("url", "")
        # Again at send time, and the request goes to the address just checked: a name can be
        # pointed somewhere else between two look-ups (DNS rebinding).
        addresses = check_target(*host_and_port(url), field="url")
        msg_id = webhook_id(message, lead)
        raw = json.dumps(payload(self.workspace, lead, kind, body, subject, message)).encode()
        headers = {
            "Content-Type": "application/json",
            **signing.headers(
                conn.secret("signing_secret"), msg_id=msg_id, timestamp=int(time.time()), body=raw
            ),
        }
        target, extensions = url, {}
        if addresses:
            target, headers, extensions = pinned(url, addresses[0], headers)
        try:
            with httpx.Client(timeout=TIMEOUT, follow_redirects=False) as client:
                response = client.post(target, content=raw, headers=headers, extensions=extensions)
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(
                f"The webhook did not answer ({type(exc).__name__}).", detail=str(exc)
            ) from None
        _settle(response)
        return Sent(provider_message_id=msg_id)


def pinned(url: str, address: str, headers: dict) -> tuple[httpx.URL, dict, dict]:
    """``url`` aimed at ``address``, still naming its host in ``Host`` and in TLS (SNI and the
    certificate check), so the checked address is the one connected to."""
    original = httpx.URL(url)
    host = original.host
    netloc = host if original.port is None else f"{host}:{original.port}"
    target = original.copy_with(host=address)
    return target, {**headers, "Host": netloc}, {"sni_hostname": host}


def webhook_id(message, lead) -> str:
    """The same for every try of one message, so the receiver can drop repeats."""
    if message is not None:
        return f"msg_{message.pk}"
    return f"msg_lead{lead.pk}_{int(time.time() * 1000)}"


def payload(workspace, lead, kind, body, subject, message) -> dict:
    last = channels.last_reply(lead)
    return {
        "type": "message.send",
        "timestamp": timezone.now().isoformat().replace("+00:00", "Z"),
        "data": {
            "message_id": message.pk if message is not None else None,
            "workspace_id": str(workspace.public_id),
            "channel": kind,
            "subject": subject,
            "body": body,
            "lead": {
                "id": lead.pk,
                "email": lead.email,
                "phone": lead.phone,
                "first_name": lead.first_name,
                "last_name": lead.last_name,
                "timezone": lead.effective_timezone,
            },
            "in_reply_to": (last[1] or None) if last else None,
        },
    }


def _settle(response: httpx.Response) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    answer = " ".join(response.text.split())[:ANSWER_MAX]
    words = f"The webhook answered {status}" + (f": {answer}" if answer else ".")
    if status >= 500 or status in RETRYABLE:
        raise ProviderUnavailable(words, status=status)
    raise ProviderBadRequest(words, status=status)
