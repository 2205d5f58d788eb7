"""Words for the Sequences pages: when a step goes out, in an admin's terms."""

from followups.forms import split_delay
from followups.models import Trigger

ANCHORS = {
    Trigger.NO_RESPONSE: ("after we contact the lead", "when we contact the lead"),
    Trigger.POST_BOOKING: ("after the meeting starts", "at the meeting's start"),
    Trigger.NO_SHOW: ("after the no-show", "right after the no-show"),
    Trigger.REBOOK: ("after the cancellation", "right after the cancellation"),
}

# What "after" counts from, for the step form.
ANCHOR_NOUNS = {
    Trigger.NO_RESPONSE: "we contact the lead",
    Trigger.POST_BOOKING: "the meeting's start",
    Trigger.NO_SHOW: "the no-show",
    Trigger.REBOOK: "the cancellation",
}


def describe_delay(minutes: int, trigger: str) -> str:
    """1440, no_response → "1 day after we contact the lead"; -60 → "1 hour before the meeting"."""
    after, at = ANCHORS.get(trigger, ("after the trigger", "at the trigger"))
    if minutes == 0:
        return at[0].upper() + at[1:]
    amount, unit, direction = split_delay(minutes)
    unit = unit if amount != 1 else unit[:-1]
    if direction == "before":
        return f"{amount} {unit} before the meeting"
    return f"{amount} {unit} {after}"
