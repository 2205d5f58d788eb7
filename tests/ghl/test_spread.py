"""The reconcile beat spreads the workspaces' sweeps over its five minutes instead of firing them
all at once, and a late or second beat never sweeps a workspace twice in one interval.

The beat's messages are caught as Celery would queue them (task, arguments, countdown), then
each is run at its slot on a travelled clock, against the fake GHL."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from config.celery import RECONCILE_EVERY, SUBSCRIPTIONS_EVERY, app
from ghl import tasks
from integrations import connections, spread
from integrations.models import ReconcileState
from tests.factories import WorkspaceFactory
from tests.ghl.conftest import CALENDAR, LOCATION, TOKEN

pytestmark = pytest.mark.django_db
WORKSPACES = 40


@pytest.fixture
def many(api):
    """``WORKSPACES`` workspaces connected to GHL, each with an empty calendar there."""
    api.get("/calendars/events").respond(json={"events": []})
    found = []
    for _ in range(WORKSPACES):
        workspace = WorkspaceFactory()
        connections.connect(
            workspace=workspace,
            provider="ghl",
            secrets={"access_token": TOKEN},
            config={"location_id": LOCATION, "calendar_id": CALENDAR, "timezone": "UTC"},
            token_hint=TOKEN,
        )
        found.append(workspace.pk)
    return found


@pytest.fixture
def queued(monkeypatch):
    """What the beat enqueues: (workspace id, kwargs, countdown, when it is due) per message,
    not run."""
    sent = []

    def apply_async(args=(), kwargs=None, countdown=None, **options):
        due = timezone.now() + dt.timedelta(seconds=countdown)
        sent.append((args[0], kwargs or {}, countdown, due))

    monkeypatch.setattr(tasks.reconcile_workspace, "apply_async", apply_async)
    return sent


def run_at_slots(messages, *, before=None):
    """Run each message when it is due, in that order (those due before ``before``); their
    outcomes per workspace."""
    outcomes = {}
    for workspace_id, kwargs, _, due in sorted(messages, key=lambda m: m[3]):
        if before is not None and due >= before:
            continue
        with time_machine.travel(due, tick=False):
            outcomes.setdefault(workspace_id, []).append(
                tasks.reconcile_workspace.run(workspace_id, **kwargs)
            )
    return outcomes


def test_each_workspace_gets_a_slot_inside_the_interval_and_the_slots_are_even(many, queued):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert tasks.reconcile_all() == WORKSPACES

    assert sorted(m[0] for m in queued) == sorted(many)
    countdowns = sorted(m[2] for m in queued)
    assert countdowns[0] >= 0 and countdowns[-1] < RECONCILE_EVERY
    # Evenly: no 30 s of the 300 holds more than twice its share (4 of 40), and no two
    # workspaces share a second.
    for window in range(0, 270, 27):
        assert sum(window <= c < window + 27 for c in countdowns) <= 2 * WORKSPACES * 27 / 270
    gaps = [b - a for a, b in zip(countdowns, countdowns[1:], strict=False)]
    assert min(gaps) > 1.0
    # The same slot after every beat: a beat one interval later gives the same countdowns.
    queued.clear()
    with time_machine.travel(start + dt.timedelta(seconds=RECONCILE_EVERY), tick=False):
        tasks.reconcile_all()
    assert sorted(m[2] for m in queued) == pytest.approx(countdowns)


def test_a_second_beat_in_the_same_interval_sweeps_no_workspace_twice(many, queued):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        tasks.reconcile_all()
    with time_machine.travel(start + dt.timedelta(seconds=20), tick=False):
        tasks.reconcile_all()  # beat restarted, or a second beat running
    assert len(queued) == 2 * WORKSPACES

    outcomes = run_at_slots(queued)

    # Each workspace once, at its slot; the second beat's copy, 20 s later, is skipped.
    assert all(o == ["ok", "skipped"] for o in outcomes.values())


def test_the_next_interval_sweeps_each_workspace_again_one_interval_later(many, queued):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        tasks.reconcile_all()
    run_at_slots(queued)
    first = dict(
        ReconcileState.objects.filter(provider="ghl").values_list("workspace_id", "last_run_at")
    )

    queued.clear()
    later = start + dt.timedelta(seconds=RECONCILE_EVERY + 7)  # the next beat, a little late
    with time_machine.travel(later, tick=False):
        tasks.reconcile_all()
    outcomes = run_at_slots(queued)

    assert all(o == ["ok"] for o in outcomes.values())
    again = dict(
        ReconcileState.objects.filter(provider="ghl").values_list("workspace_id", "last_run_at")
    )
    for workspace_id, swept in again.items():
        # Its own slot after the late beat: the whole interval shifted by 7 s, no burst.
        since = (swept - first[workspace_id]).total_seconds()
        assert since == pytest.approx(RECONCILE_EVERY + 7, abs=0.01)


def test_a_workspace_backing_off_is_not_enqueued(many, queued, api):
    ReconcileState.objects.create(
        provider="ghl",
        workspace_id=many[0],
        consecutive_failures=1,
        next_run_at=timezone.now() + dt.timedelta(minutes=5),
    )
    assert tasks.reconcile_all() == WORKSPACES - 1
    assert many[0] not in {m[0] for m in queued}


def test_the_beat_passes_each_spread_job_its_own_period():
    schedule = app.conf.beat_schedule
    for name, every in (
        ("reconcile-ghl", RECONCILE_EVERY),
        ("reconcile-calendly", RECONCILE_EVERY),
        ("check-calendly-subscriptions", SUBSCRIPTIONS_EVERY),
    ):
        assert schedule[name]["schedule"] == every == schedule[name]["kwargs"]["interval"]


def test_slots_of_consecutive_ids_are_even_at_agency_scale():
    offsets = sorted(spread.offset(key, 300.0, salt="ghl.tasks") for key in range(1, 2001))
    gaps = [b - a for a, b in zip(offsets, offsets[1:], strict=False)]
    share = 300.0 * spread.SPAN / 2000
    # Golden-ratio slots: every gap is within a small factor of the even share.
    assert min(gaps) > share / 3 and max(gaps) < share * 3
