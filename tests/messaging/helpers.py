from __future__ import annotations

import time
from pathlib import Path

from django.urls import reverse

from integrations.email.signatures import sign

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "email"
PLACEHOLDER = b"<ours@client.example>"


def fixture(name: str, *, answering: str = "") -> bytes:
    """A real client's message; ``answering`` replaces the id of the e-mail it answers."""
    raw = (FIXTURES / name).read_bytes()
    return raw.replace(PLACEHOLDER, answering.encode()) if answering else raw


def post_mail(client, workspace, raw: bytes, *, secret: str | None = None, t: int | None = None):
    secret = workspace.inbound_secret if secret is None else secret
    headers = {"Webhook-Signature": sign(raw, secret, int(time.time()) if t is None else t)}
    return client.post(
        reverse("email_inbound", kwargs={"workspace_id": workspace.public_id}),
        data=raw,
        content_type="message/rfc822",
        headers=headers,
    )
