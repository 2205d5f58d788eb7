"""What the booking lifecycle and the inbox tell the follow-up engine.

The lifecycle service calls these inside its own transaction (see booking.lifecycle), so whatever
the engine writes here commits or rolls back with the appointment. Nothing here may call out to a
provider or send a message directly: sending happens later, from the scheduler's task.
"""


def on_booked(*, appointment, source: str, confirm_channel: str | None = None) -> None:
    pass


def on_canceled(*, appointment) -> None:
    pass


def on_rescheduled(*, old, new) -> None:
    pass


def on_no_show(*, appointment) -> None:
    pass


def on_no_show_cleared(*, appointment) -> None:
    pass


def on_lead_replied(*, lead, channel: str = "") -> None:
    pass


def on_opted_out(*, lead) -> None:
    pass
