"""Reconciliation against the sandbox: what the webhooks missed is repaired with
``source=reconcile``; a failing workspace backs off and its watermark still advances; one bad
event waits its own turn."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from booking.models import Appointment
from calendly import tasks
from integrations.models import ReconcileState
from tests.calendly.helpers import STRATEGY
from tests.factories import LeadFactory
from workspaces.models import Lead

pytestmark = pytest.mark.django_db


def later(hours: int) -> datetime:
    return (datetime.now(UTC) + timedelta(days=2, hours=hours)).replace(
        minute=0, second=0, microsecond=0
    )


@pytest.fixture
def sandbox(calendly_connected):
    """Connected; any hour is free; its webhooks reach no one (they are "missed")."""
    calendly_connected.config(availability=[later(h).isoformat() for h in range(6)])
    return calendly_connected


@pytest.fixture
def lead(workspace):
    return LeadFactory(workspace=workspace, email="jordan.lee@example.com")


def book(sandbox, lead, hours, **extra):
    return sandbox.book(
        email=lead.email, name="Jordan Lee", start_time=later(hours).isoformat(), **extra
    )


def state_of(workspace):
    return ReconcileState.objects.get(workspace=workspace, provider="calendly")


def test_a_missed_booking_is_repaired_with_source_reconcile(workspace, sandbox, lead):
    invitee = book(sandbox, lead, 1)

    assert tasks.reconcile_workspace(workspace.pk) == "ok"

    appointment = Appointment.objects.get()
    lead.refresh_from_db()
    assert (appointment.external_id, appointment.source) == (invitee["uri"], "reconcile")
    assert appointment.start_at == later(1)
    assert lead.status == Lead.Status.MEETING_BOOKED


def test_a_missed_cancel_is_repaired(workspace, sandbox, lead):
    invitee = book(sandbox, lead, 1)
    tasks.reconcile_workspace(workspace.pk)
    sandbox.cancel(invitee=invitee["uri"], reason="Can't make it")

    tasks.reconcile_workspace(workspace.pk)

    lead.refresh_from_db()
    assert Appointment.objects.get().status == "canceled"
    assert lead.status == Lead.Status.QUALIFIED


def test_a_missed_reschedule_is_repaired(workspace, sandbox, lead):
    invitee = book(sandbox, lead, 1)
    tasks.reconcile_workspace(workspace.pk)
    moved = sandbox.reschedule(invitee["uri"], later(3).isoformat())

    tasks.reconcile_workspace(workspace.pk)

    old = Appointment.objects.get(external_id=invitee["uri"])
    new = Appointment.objects.get(external_id=moved["uri"])
    assert (old.status, old.rescheduled_to, new.status) == ("rescheduled", new, "booked")
    assert new.start_at == later(3)


def test_other_event_types_are_left_alone(workspace, sandbox, lead):
    book(sandbox, lead, 2, event_type=sandbox.event_type_uri(STRATEGY))

    tasks.reconcile_workspace(workspace.pk)

    assert not Appointment.objects.exists()


def test_what_we_already_hold_costs_no_invitee_lookup(workspace, sandbox, lead):
    invitee = book(sandbox, lead, 1)
    tasks.reconcile_workspace(workspace.pk)
    lookups = sandbox.calls(
        "GET", f"/scheduled_events/{invitee['event'].rsplit('/', 1)[-1]}/invitees"
    )

    tasks.reconcile_workspace(workspace.pk)

    again = sandbox.calls(
        "GET", f"/scheduled_events/{invitee['event'].rsplit('/', 1)[-1]}/invitees"
    )
    assert lookups == 1 and again == 1
    assert Appointment.objects.count() == 1


def test_a_failing_workspace_backs_off_and_its_watermark_still_advances(workspace, sandbox):
    sandbox.fail("GET", "/scheduled_events", 503, times=100)
    first_run = timezone.now()

    assert tasks.reconcile_workspace(workspace.pk) == "failed"
    state = state_of(workspace)
    assert state.consecutive_failures == 1 and "not answering" in state.last_error
    assert state.watermark >= first_run
    assert timedelta(minutes=4) < state.next_run_at - first_run <= timedelta(minutes=5, seconds=5)
    assert tasks.reconcile_all() == 0  # still backing off: not asked again

    with time_machine.travel(state.next_run_at + timedelta(seconds=1)):
        assert tasks.reconcile_all() == 1
        second = state_of(workspace)
        assert second.consecutive_failures == 2
        assert second.watermark > state.watermark
        assert second.next_run_at - second.last_run_at == timedelta(minutes=10)


def test_one_bad_event_waits_its_turn_while_the_others_go_through(workspace, sandbox, lead):
    other = LeadFactory(workspace=workspace, email="sam.rivera@example.com")
    bad = book(sandbox, lead, 1)
    good = book(sandbox, other, 2)
    bad_uuid = bad["event"].rsplit("/", 1)[-1]
    path = f"/scheduled_events/{bad_uuid}/invitees"
    sandbox.fail("GET", path, 503, times=3)  # one sweep's worth of tries (the client retries)

    assert tasks.reconcile_workspace(workspace.pk) == "ok"
    asked = sandbox.calls("GET", path)
    tasks.reconcile_workspace(workspace.pk)  # right away: the bad one is not asked again

    assert list(Appointment.objects.values_list("external_id", flat=True)) == [good["uri"]]
    assert sandbox.calls("GET", path) == asked
    assert state_of(workspace).item_failures[bad["event"]]["failures"] == 1

    with time_machine.travel(timezone.now() + timedelta(minutes=6)):  # its back-off is over
        assert tasks.reconcile_workspace(workspace.pk) == "ok"

    assert Appointment.objects.get(external_id=bad["uri"]).source == "reconcile"
    assert bad["event"] not in state_of(workspace).item_failures


def test_reconcile_all_takes_each_connected_workspace_once(workspace, sandbox):
    assert tasks.reconcile_all() == 1
    assert (
        ReconcileState.objects.get(workspace=workspace, provider="calendly").last_run_at is not None
    )
