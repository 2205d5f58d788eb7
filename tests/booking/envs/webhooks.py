"""Handing what a calendar sent us to our real webhook endpoints, as the provider would.

Each delivery goes through the real view with Django's test client (verified, stored once) and
the work the view leaves for after commit (the inbox's processing: Celery is eager in the suite)
runs as the request ends, as it would after a real commit.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import time_machine
from django.test import Client

from booking.models import Appointment
from integrations.models import WebhookDelivery


@dataclass(frozen=True)
class Sent:
    """One webhook as the calendar sent it; ``at`` is when (the clock its signature holds)."""

    path: str
    body: bytes
    headers: dict[str, str]
    at: float | None = None


class Endpoint:
    def __init__(self, capture_on_commit):
        self.client = Client()
        self.capture = capture_on_commit

    def deliver(self, provider: str, sent: Iterable[Sent]) -> list[WebhookDelivery]:
        """Post each; every one must be accepted. Returns the delivery rows they made."""
        known = set(WebhookDelivery.objects.filter(provider=provider).values_list("pk", flat=True))
        for item in sent:
            answer = self._post(item)
            assert answer.status_code == 200, (
                f"Our {provider} endpoint refused the calendar's own webhook "
                f"({answer.status_code}): {answer.content.decode()[:300]}"
            )
        return list(
            WebhookDelivery.objects.filter(provider=provider).exclude(pk__in=known).order_by("pk")
        )

    def _post(self, item: Sent):
        with self._clock_at(item.at), self.capture(execute=True):
            return self.client.post(
                item.path, data=item.body, content_type="application/json", headers=item.headers
            )

    def _clock_at(self, at: float | None):
        # A webhook the test hands over later than it was sent arrives, for our endpoint, when
        # it was sent: its signature's timestamp is checked against our clock.
        if at is None:
            return contextlib.nullcontext()
        return time_machine.travel(datetime.fromtimestamp(at, UTC), tick=False)


def appointments_of(workspace) -> dict[int, tuple]:
    return {
        row[0]: row[1:]
        for row in Appointment.objects.filter(workspace=workspace).values_list(
            "pk", "lead_id", "provider", "external_id", "status", "source", "start_at", "end_at"
        )
    }


def check_webhooks_change_nothing(env) -> None:
    """Deliver what the calendar still has to say; what we had recorded must stay as it was
    (our own bookings' webhooks map to the same appointments)."""
    before = appointments_of(env.workspace)
    env.deliver_webhooks()
    after = appointments_of(env.workspace)
    changed = {pk: (was, after.get(pk)) for pk, was in before.items() if after.get(pk) != was}
    assert not changed, f"The calendar's webhooks changed recorded appointments: {changed}"
