"""GoHighLevel's "Send a test event": a workflow-webhook body GHL would never send, carrying
the workspace's own workflow secret, so the real endpoint checks, stores and then ignores it (it
names no contact: nothing is matched, booked or changed)."""

from __future__ import annotations

import json

from django.urls import reverse
from django.utils import timezone

from integrations.sample_delivery import SampleDelivery
from workspaces.models import Workspace

from .connection import workflow_secret
from .payloads import WORKFLOW_TEST_EVENT
from .signatures import WORKFLOW_SECRET_HEADER


def sample_event(workspace: Workspace) -> SampleDelivery:
    # sent_at to the microsecond: each test is its own delivery, not a duplicate of the last.
    body = json.dumps(
        {
            "event": WORKFLOW_TEST_EVENT,
            "sent_at": timezone.now().isoformat(),
            "note": "A test event sent from the Integrations tab.",
        }
    ).encode()
    return SampleDelivery(
        path=reverse("ghl_webhook", args=[workspace.public_id]),
        body=body,
        headers={WORKFLOW_SECRET_HEADER: workflow_secret(workspace)},
    )
