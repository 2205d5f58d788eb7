"""``bench/periodic.py``'s data: thousands of workspaces connected to the two fakes, and what the
period left in the database (who was swept or checked, when, how late against the slot).

Workspaces and connections go in with ``bulk_create`` (4,000 of each in a few seconds). The
connections are what ``calendly/connection.py`` and ``ghl/connection.py`` store: status
``connected``, the token (and Calendly's webhook signing key) in the encrypted ``secrets`` field,
which encrypts on save as for any connection; the ids and URIs in ``config``. Each workspace has
its own token, so each is its own Calendly user or GHL location at the fakes (and to their rate
limits).
"""

from __future__ import annotations

import secrets
import statistics
import time
from datetime import datetime

from calendly.sandbox.records import ORG_UUID, USER_EVENT_TYPES, USER_UUID
from ghl.sandbox.records import CALENDAR, LOCATION

RECONCILE_SALTS = {"calendly": "calendly.tasks", "ghl": "ghl.tasks"}
SUBSCRIPTIONS_SALT = "calendly.tasks.check_all_subscriptions"


def seed(*, calendly: int, ghl: int, calendly_base: str) -> dict:
    from django.db import connection, transaction
    from django.utils import timezone

    from integrations.models import Connection
    from workspaces.models import Workspace

    started = time.perf_counter()
    now = timezone.now()
    with transaction.atomic():
        made = Workspace.objects.bulk_create(
            [Workspace(name=f"Calendly {i}", booking_provider="calendly") for i in range(calendly)]
            + [Workspace(name=f"GHL {i}", booking_provider="ghl") for i in range(ghl)],
            batch_size=1000,
        )
        rows = [
            _calendly(w, calendly_base, now) if i < calendly else _ghl(w, now)
            for i, w in enumerate(made)
        ]
        Connection.objects.bulk_create(rows, batch_size=500)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "workspaces": {"calendly": calendly, "ghl": ghl},
        "seed_seconds": round(time.perf_counter() - started, 1),
    }


def _calendly(workspace, base: str, now):
    from integrations.models import Connection

    token = f"bench-calendly-user-{workspace.pk}-{secrets.token_hex(8)}"
    event_type = USER_EVENT_TYPES[0]
    return Connection(
        workspace=workspace,
        provider="calendly",
        status=Connection.Status.CONNECTED,
        secrets={"access_token": token, "webhook_signing_key": secrets.token_urlsafe(32)},
        config={
            "auth": "token",
            "user_uri": f"{base}/users/{USER_UUID}",
            "user_name": "Casey Closer",
            "user_email": "closer@agency.example",
            "organization_uri": f"{base}/organizations/{ORG_UUID}",
            "timezone": "America/New_York",
            "event_type_uri": f"{base}/event_types/{event_type[0]}",
            "event_type_name": event_type[1],
            "event_type_duration": event_type[3],
            "required_questions": [],
        },
        display_name="Casey Closer (closer@agency.example)",
        token_hint=token[-4:],
        connected_at=now,
        last_checked_at=now,
    )


def _ghl(workspace, now):
    from integrations.models import Connection

    token = f"pit-bench-location-{workspace.pk}-{secrets.token_hex(8)}"
    return Connection(
        workspace=workspace,
        provider="ghl",
        status=Connection.Status.CONNECTED,
        secrets={"access_token": token},
        config={
            "location_id": LOCATION,
            "location_name": "Acme",
            "timezone": "America/New_York",
            "calendar_id": CALENDAR,
            "calendar_name": "Discovery Call",
            "slot_minutes": 30,
        },
        display_name="Acme",
        token_hint=token[-4:],
        connected_at=now,
        last_checked_at=now,
    )


def swept_since(since: datetime) -> dict[str, int]:
    """How many workspaces each provider's reconcile swept since ``since``."""
    from integrations.models import ReconcileState

    return {
        provider: ReconcileState.objects.filter(provider=provider, last_run_at__gte=since).count()
        for provider in RECONCILE_SALTS
    }


def all_done(t0: datetime, second: datetime) -> bool:
    """Every workspace swept after the second reconcile beat and its subscription checked."""
    from calendly.models import Subscription
    from integrations.models import Connection, ReconcileState

    for provider in RECONCILE_SALTS:
        wanted = Connection.objects.filter(provider=provider).count()
        swept = ReconcileState.objects.filter(provider=provider, last_run_at__gte=second).count()
        if swept < wanted:
            return False
    wanted = Connection.objects.filter(provider="calendly").count()
    return Subscription.objects.filter(checked_at__gte=t0).count() >= wanted


def outcome(t0: datetime, second: datetime, reconcile_every: float, period: float) -> dict:
    """Per job (the second reconcile interval's sweeps, the period's subscription checks): how
    many were done, how they ended, and how late against their slots (the beat's send time
    plus the workspace's offset: the queue's wait for the beat's own task counts as late)."""
    from calendly.models import Subscription
    from integrations import spread
    from integrations.models import ReconcileState

    jobs = {}
    for provider, salt in RECONCILE_SALTS.items():
        rows = ReconcileState.objects.filter(provider=provider).values_list(
            "workspace_id", "last_run_at", "consecutive_failures"
        )
        late = [
            _late(pk, at, second, reconcile_every, salt, spread)
            for pk, at, _ in rows
            if at is not None and at >= second
        ]
        jobs[f"{provider} reconcile"] = {
            "swept": len(late),
            "failing": sum(1 for *_, failures in rows if failures),
            **_spread_figures(late),
        }
    rows = Subscription.objects.filter(checked_at__gte=t0).values_list(
        "workspace_id", "checked_at", "state"
    )
    late = [_late(pk, at, t0, period, SUBSCRIPTIONS_SALT, spread) for pk, at, _ in rows]
    states: dict[str, int] = {}
    for *_, state in rows:
        states[state] = states.get(state, 0) + 1
    jobs["calendly subscription check"] = {"checked": len(late), "states": states}
    jobs["calendly subscription check"].update(_spread_figures(late, done="finished"))
    return {"jobs": jobs}


def _late(pk: int, at: datetime, beat: datetime, interval: float, salt: str, spread) -> float:
    """Seconds from the workspace's slot after ``beat`` to ``at``."""
    return (at - beat).total_seconds() - spread.offset(pk, interval, salt=salt)


def _spread_figures(late: list[float], done: str = "started") -> dict:
    if not late:
        return {}
    ordered = sorted(late)
    return {
        f"{done}_after_slot_p50_s": round(statistics.median(ordered), 2),
        f"{done}_after_slot_p95_s": round(ordered[int(0.95 * (len(ordered) - 1))], 2),
        f"{done}_after_slot_max_s": round(ordered[-1], 2),
    }
