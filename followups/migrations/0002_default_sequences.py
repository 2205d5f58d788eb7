"""Give the workspaces that existed before the follow-up engine its default sequences.

New workspaces get them from the post_save signal (followups.signals). This copy of the set is
frozen on purpose: a migration must do the same thing whenever it runs, whatever
followups.defaults says later.
"""

from django.db import migrations

DAY = 24 * 60

DEFAULTS = [
    ("No reply: nudges", "no_response", [
        (DAY, "sms", "", "Hi {first_name}, just checking in: do any of the times I sent work for you?"),
        (3 * DAY, "sms", "", "Hi {first_name}, still keen on a quick call? Reply with a time that suits you and I'll set it up."),
    ]),
    ("Meeting reminders", "post_booking", [
        (-DAY, "sms", "", "Hi {first_name}, a reminder of our call on {meeting_time}. Reply here if you need to move it."),
        (-60, "sms", "", "Hi {first_name}, we're on in an hour: {meeting_time}."),
    ]),
    ("No-show: win back", "no_show", [
        (15, "sms", "", "Hi {first_name}, sorry we missed you at {meeting_time}. Want to pick another time? Reply and I'll send a few options."),
        (DAY, "task", "Call {full_name}: no reply since the no-show", "{full_name} missed the meeting on {meeting_time} and has not rebooked. Give them a call."),
    ]),
    ("Canceled: rebook", "rebook", [
        (60, "sms", "", "Hi {first_name}, sorry the call on {meeting_time} didn't work out. Reply with a time that suits you and I'll rebook it."),
    ]),
]


def install(apps, schema_editor):
    Workspace = apps.get_model("workspaces", "Workspace")
    Sequence = apps.get_model("followups", "Sequence")
    Step = apps.get_model("followups", "Step")
    for workspace in Workspace.objects.all().iterator():
        for name, trigger, steps in DEFAULTS:
            sequence, created = Sequence.objects.get_or_create(
                workspace=workspace, name=name, defaults={"trigger": trigger, "is_active": True}
            )
            if not created:
                continue
            Step.objects.bulk_create(
                Step(sequence=sequence, position=position, delay_minutes=delay, channel=channel,
                     subject=subject, body=body)
                for position, (delay, channel, subject, body) in enumerate(steps, start=1)
            )


class Migration(migrations.Migration):

    dependencies = [
        ("followups", "0001_initial"),
        ("workspaces", "0001_initial"),
    ]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
