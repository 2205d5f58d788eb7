"""The sequences every new workspace starts with; its admins edit them on the Sequences page.

The data migration ``0002_default_sequences`` carries its own frozen copy of this set for the
workspaces that existed before the engine did.
"""

from __future__ import annotations

from django.db import transaction

from followups.models import Sequence, Step, Trigger

DAY = 24 * 60

# (name, trigger, [(delay in minutes, channel, subject, body), ...])
DEFAULT_SEQUENCES = [
    (
        "No reply: nudges",
        Trigger.NO_RESPONSE,
        [
            (
                DAY,
                "sms",
                "",
                "Hi {first_name}, just checking in: do any of the times I sent work for you?",
            ),
            (
                3 * DAY,
                "sms",
                "",
                "Hi {first_name}, still keen on a quick call? Reply with a time that suits you "
                "and I'll set it up.",
            ),
        ],
    ),
    (
        "Meeting reminders",
        Trigger.POST_BOOKING,
        [
            (
                -DAY,
                "sms",
                "",
                "Hi {first_name}, a reminder of our call on {meeting_time}. Reply here if you "
                "need to move it.",
            ),
            (-60, "sms", "", "Hi {first_name}, we're on in an hour: {meeting_time}."),
        ],
    ),
    (
        "No-show: win back",
        Trigger.NO_SHOW,
        [
            (
                15,
                "sms",
                "",
                "Hi {first_name}, sorry we missed you at {meeting_time}. Want to pick another "
                "time? Reply and I'll send a few options.",
            ),
            (
                DAY,
                "task",
                "Call {full_name}: no reply since the no-show",
                "{full_name} missed the meeting on {meeting_time} and has not rebooked. Give "
                "them a call.",
            ),
        ],
    ),
    (
        "Canceled: rebook",
        Trigger.REBOOK,
        [
            (
                60,
                "sms",
                "",
                "Hi {first_name}, sorry the call on {meeting_time} didn't work out. Reply with a "
                "time that suits you and I'll rebook it.",
            ),
        ],
    ),
]


def install_defaults(workspace) -> int:
    """Give the workspace the default sequences it lacks (by name); returns how many were made.
    Safe to run twice, or at once from two places: the unique name settles it."""
    made = 0
    for name, trigger, steps in DEFAULT_SEQUENCES:
        with transaction.atomic():
            sequence, created = Sequence.objects.get_or_create(
                workspace=workspace, name=name, defaults={"trigger": trigger}
            )
            if not created:
                continue
            Step.objects.bulk_create(
                Step(
                    sequence=sequence,
                    position=position,
                    delay_minutes=delay,
                    channel=channel,
                    subject=subject,
                    body=body,
                )
                for position, (delay, channel, subject, body) in enumerate(steps, start=1)
            )
            made += 1
    return made
