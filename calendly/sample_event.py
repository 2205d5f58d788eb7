"""Calendly's "Send a test event": an event Calendly never sends, signed like a real delivery
with the workspace's own key, so it is verified and stored by the real endpoint and then
ignored (it names no invitee: nothing is booked, canceled or changed)."""

from __future__ import annotations

import json

from django.urls import reverse
from django.utils import timezone

from integrations.sample_delivery import SampleDelivery
from workspaces.models import Workspace

from .account import signing_key
from .signatures import SIGNATURE_HEADER, sign

EVENT = "setterdesk.test_event"


def sample_event(workspace: Workspace) -> SampleDelivery:
    # created_at to the microsecond: each test is its own delivery, not a duplicate of the last.
    body = json.dumps(
        {
            "event": EVENT,
            "created_at": timezone.now().isoformat().replace("+00:00", "Z"),
            "payload": {"note": "A test event sent from the Integrations tab."},
        }
    ).encode()
    return SampleDelivery(
        path=reverse("calendly_webhook", args=[workspace.public_id]),
        body=body,
        headers={SIGNATURE_HEADER: sign(body, signing_key(workspace))},
    )
