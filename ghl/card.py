"""What the GHL card on the Integrations tab shows. Never a secret: the token only as its last
four characters, the workflow secret only once, on the page that generated it."""

from __future__ import annotations

from django.urls import reverse

from workspaces.models import Workspace

from . import connection
from .payloads import WORKFLOW_FIELDS


def card_context(*, workspace: Workspace, **kwargs) -> dict:
    """Called by the Integrations tab as ``card_context(workspace=..., connection=...)``."""
    status = connection.status(workspace)
    stored = kwargs.get("connection")
    config = stored.config if stored is not None else {}
    return {
        "ghl": status,
        "ghl_calendars": config.get("calendars", []),
        "ghl_workflow_fields": WORKFLOW_FIELDS,
        "ghl_secret_url": reverse(
            "ghl_workflow_secret", kwargs={"workspace_id": workspace.public_id}
        ),
    }
