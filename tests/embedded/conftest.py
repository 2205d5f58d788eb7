# The auto-booking set-up (a calendar the test controls, a frozen clock, an open offer) is the
# booking tests' own: tests/booking/conftest.py documents it.
from tests.booking.conftest import (  # noqa: F401
    booking_provider_env,
    calendly_session_sandbox,
    followup_calls,
    frozen_now,
    offer,
)
from tests.calendly.conftest import admin_client  # noqa: E402, F401
from tests.calendly.fixtures import calendly_receiver, calendly_sandbox, on_commit  # noqa: E402, F401
