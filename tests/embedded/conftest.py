# The auto-booking set-up (a calendar the test controls, a frozen clock, an open offer) is the
# booking tests' own: tests/booking/conftest.py documents it.
from tests.booking.conftest import (  # noqa: F401
    booking_provider_env,
    calendly_session_sandbox,
    followup_calls,
    frozen_now,
    offer,
)
