"""The calendars the auto-book tests run against: one env per booking provider.

``booking_provider_env`` (tests/booking/conftest.py) builds one of these per test and yields it;
its interface is in that module's docstring. ``fake`` (``envs/fake.py``) is a test double of the
provider protocol; ``ghl`` and ``calendly`` are the real providers, through their real HTTP
clients, against a stateful fake of GoHighLevel's API served by respx (``ghl.sandbox``) and
the Calendly sandbox; ``calendly_team`` is Calendly booking into the sandbox organization's round
robin (a team event type whose host Calendly picks).

Each env says with flags what its calendar can do, so a test that needs a capability runs only
against the calendars that have it (``for_providers_that``), never by skipping:

    sends_links            book() may say "send a booking link instead" (DirectBookingUnavailable)
    keeps_slot_strings     free times carry the provider's own string, sent back when booking
    takes_idempotency_key  book()'s idempotency key reaches the calendar
    sends_webhooks         the calendar tells us of its bookings by webhook (deliver_webhooks())
"""

from __future__ import annotations

from datetime import timedelta

import pytest

MEETING = timedelta(minutes=30)  # every calendar here books 30-minute meetings
NAMES = ("fake", "ghl", "calendly", "calendly_team")
OTHER_PERSON = ("Sam Other", "someone.else@example.com")  # who takes a time with ``take()``
CAPABILITIES = ("sends_links", "keeps_slot_strings", "takes_idempotency_key", "sends_webhooks")


def env_classes() -> dict:
    # Imported when asked: each env module imports this package's constants above.
    from .calendly import CalendlyEnv, CalendlyTeamEnv
    from .fake import FakeEnv
    from .ghl import GhlEnv

    return {
        "fake": FakeEnv,
        "ghl": GhlEnv,
        "calendly": CalendlyEnv,
        "calendly_team": CalendlyTeamEnv,
    }


def providers_that(capability: str) -> list[str]:
    if capability not in CAPABILITIES:
        raise ValueError(f"Unknown capability {capability!r}: one of {CAPABILITIES}")
    classes = env_classes()
    return [name for name in NAMES if getattr(classes[name], capability)]


def for_providers_that(capability: str):
    """Run the test against the calendars with ``capability`` only."""
    return pytest.mark.parametrize(
        "booking_provider_env", providers_that(capability), indirect=True
    )


# A test that never reaches the calendar (access rules, a page's own parts) needs only one.
calendar_not_involved = pytest.mark.parametrize("booking_provider_env", ["fake"], indirect=True)
