"""Follow-up engine test set-up: a frozen clock, the booking lifecycle as the only way a meeting
happens, and the scheduler run as the beat runs it.

Every workspace has the default sequences (followups.defaults): reminders 24 h and 1 h before a
meeting, nudges 1 and 3 days after we contact a lead, a no-show message (+15 min) and call task
(+1 day), a rebook message (+1 h).
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from booking import lifecycle
from followups.models import Enrollment, OutboundMessage, Task
from followups.tasks import send_due_steps
from integrations.providers import BookingRef

# Monday 25 Nov 2030, 10:00 AM in New York (the workspace), 9:00 AM in Chicago (the lead).
NOW = dt.datetime(2030, 11, 25, 15, 0, tzinfo=dt.UTC)
# Thursday 28 Nov 2030, 10:00 AM EST / 9:00 AM CST.
MEETING = dt.datetime(2030, 11, 28, 15, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def ref(external_id="appt-1", provider="ghl"):
    return BookingRef(provider=provider, external_id=external_id)


def book(lead, external_id="appt-1", start=MEETING, source="webhook", **kwargs):
    return lifecycle.record_booked(
        workspace=lead.workspace,
        lead=lead,
        ref=ref(external_id),
        start=start,
        end=start + dt.timedelta(minutes=30),
        source=source,
        **kwargs,
    )


def cancel(lead, external_id="appt-1", **kwargs):
    return lifecycle.record_canceled(
        workspace=lead.workspace, lead=lead, ref=ref(external_id), source="webhook", **kwargs
    )


def move(lead, new_start, *, old_id="appt-1", new_id="appt-2"):
    """A Calendly-style reschedule: the old booking becomes ``rescheduled``, a new one exists."""
    return lifecycle.record_rescheduled(
        workspace=lead.workspace,
        lead=lead,
        old_ref=ref(old_id),
        new_ref=ref(new_id),
        source="webhook",
        new_start=new_start,
        new_end=new_start + dt.timedelta(minutes=30) if new_start else None,
    )


def move_in_place(lead, new_start, external_id="appt-1"):
    """A GHL-style reschedule: the same appointment gets new times."""
    return lifecycle.record_rescheduled(
        workspace=lead.workspace,
        lead=lead,
        old_ref=ref(external_id),
        new_ref=ref(external_id),
        source="webhook",
        new_start=new_start,
        new_end=new_start + dt.timedelta(minutes=30),
    )


def no_show(lead, external_id="appt-1"):
    return lifecycle.record_no_show(
        workspace=lead.workspace, lead=lead, ref=ref(external_id), source="webhook"
    )


def clear_no_show(lead, external_id="appt-1"):
    return lifecycle.record_no_show_cleared(
        workspace=lead.workspace, lead=lead, ref=ref(external_id), source="webhook"
    )


def run_scheduler() -> int:
    return send_due_steps()


def messages_to(lead) -> list[str]:
    """What was queued (or sent) to the lead, oldest first: what its page shows."""
    return list(
        OutboundMessage.objects.filter(lead=lead)
        .order_by("created_at", "id")
        .values_list("body", flat=True)
    )


def live_enrollments(lead, trigger=None) -> list[Enrollment]:
    qs = Enrollment.objects.filter(lead=lead, state__in=Enrollment.LIVE)
    if trigger:
        qs = qs.filter(sequence__trigger=trigger)
    return list(qs)


def enrollment(lead, trigger) -> Enrollment:
    """The lead's latest enrollment in a sequence with this trigger."""
    return (
        Enrollment.objects.filter(lead=lead, sequence__trigger=trigger)
        .order_by("-created_at", "-id")
        .first()
    )


def open_tasks(lead, kind=None) -> list[Task]:
    qs = Task.objects.filter(lead=lead, state=Task.State.OPEN)
    if kind:
        qs = qs.filter(kind=kind)
    return list(qs)


@pytest.fixture
def lead(workspace):
    """Jordan, in Chicago, reachable by SMS and e-mail."""
    from tests.factories import LeadFactory

    return LeadFactory(workspace=workspace, first_name="Jordan", phone="+13125550142")
