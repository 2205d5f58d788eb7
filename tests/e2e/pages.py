"""What the page-wide browser checks share: a workspace with the long, awkward content that
breaks layouts, the pages each role uses, and the two checks every page must pass (nothing wider
than the screen, no serious or critical accessibility violation)."""

from __future__ import annotations

import datetime as dt
import json

from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from django.utils import timezone

from booking.models import Appointment
from followups.models import Sequence
from integrations.models import WebhookDelivery
from tests.factories import AppointmentFactory, LeadFactory, TaskFactory

WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
LONG_NAME = "Maximiliana-Theodora Wolfeschlegelsteinhausenbergerdorff-Vandersloot"
LONG_URL = "https://api.calendly.com/scheduled_events/" + "A1B2C3D4E5F6" * 12 + "/invitees/X"
AXE = Axe()


def seed(workspace):
    """A lead with a name and e-mail too long for a phone, meetings in every state this week,
    an open task, and a delivery whose payload is one long URL."""
    workspace.timezone = "America/New_York"
    workspace.save()
    lead = LeadFactory(
        workspace=workspace,
        first_name=LONG_NAME,
        email="maximiliana.theodora.wolfeschlegelsteinhausenbergerdorff@very-long-agency.example",
    )
    now = timezone.now()
    for hours, status in ((-30, "no_show"), (-2, "canceled"), (3, "booked"), (26, "booked")):
        AppointmentFactory(
            lead=lead,
            provider="calendly",
            external_id=LONG_URL + str(hours),
            start_at=now + dt.timedelta(hours=hours),
            status=status,
            source=Appointment.Source.WEBHOOK,
        )
    TaskFactory(lead=lead, workspace=workspace, title="Call back " + LONG_NAME)
    WebhookDelivery.objects.create(
        workspace=workspace,
        provider="calendly",
        dedupe_key="long-1",
        event="invitee.created",
        body=json.dumps({"payload": {"uri": LONG_URL + "3"}}).encode(),
        state="processed",
    )
    return lead


def pages_for(role: str, workspace, lead) -> dict[str, str]:
    w = workspace.public_id
    pages = {
        "workspaces": reverse("home"),
        "appointments": reverse("appointment_list", args=[w]),
        "past appointments": reverse("appointment_list", args=[w]) + "?when=past",
        "week": reverse("appointment_week", args=[w]),
        "leads": reverse("lead_list", args=[w]),
        "lead": reverse("lead_detail", args=[w, lead.pk]),
        "tasks": reverse("task_list", args=[w]),
    }
    if role == "admin":
        sequence = Sequence.objects.filter(workspace=workspace).first()
        pages["sequences"] = reverse("sequence_list", args=[w])
        if sequence is not None:
            pages["sequence"] = reverse("sequence_detail", args=[w, sequence.pk])
        pages["integrations"] = reverse("integrations_tab", args=[w])
    return pages


def overflow(page) -> int:
    """How many pixels the page is wider than the screen (0 when nothing scrolls sideways)."""
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def serious_violations(page) -> list[str]:
    results = AXE.run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
