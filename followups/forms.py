from django import forms

from followups import templating
from followups.models import Sequence, Step, Trigger

UNITS = {"minutes": 1, "hours": 60, "days": 24 * 60}
MAX_DELAY_MINUTES = 365 * 24 * 60
SMS_MAX = 1600  # ten SMS segments: past that, carriers split or drop it


class SequenceForm(forms.ModelForm):
    class Meta:
        model = Sequence
        fields = ["name", "trigger", "is_active"]
        labels = {"is_active": "Active"}

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        self.instance.workspace = workspace

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        taken = Sequence.objects.filter(workspace=self.workspace, name__iexact=name)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(f"Another sequence is already called “{name}”.")
        return name

    def clean_trigger(self):
        """Changing the trigger must keep every existing step valid."""
        trigger = self.cleaned_data["trigger"]
        if not self.instance.pk or trigger == self.instance.trigger:
            return trigger
        allowed = templating.allowed_for(trigger)
        for step in self.instance.steps.all():
            if step.delay_minutes < 0 and trigger != Trigger.POST_BOOKING:
                raise forms.ValidationError(
                    f"Step {step.position} goes out before its trigger, which only a booked "
                    "meeting's reminders can: change that step first."
                )
            for text in (step.subject, step.body):
                problem = templating.check(text, allowed=allowed)
                if problem:
                    raise forms.ValidationError(f"Step {step.position}: {problem}")
        return trigger


class StepForm(forms.ModelForm):
    """The delay is asked as amount + unit + before/after; ``delay_minutes`` is computed from
    them (it is never rendered) so the model's own checks report on it."""

    amount = forms.IntegerField(label="Wait", min_value=0, max_value=100_000, initial=1)
    unit = forms.ChoiceField(
        label="Unit", choices=[(u, u) for u in UNITS], initial="days", required=True
    )
    direction = forms.ChoiceField(
        label="Relative to",
        choices=[("after", "after"), ("before", "before")],
        initial="after",
    )
    delay_minutes = forms.IntegerField(required=False)

    class Meta:
        model = Step
        fields = ["channel", "subject", "body", "delay_minutes"]
        labels = {"subject": "Subject (e-mail) or title (task)", "body": "Message"}
        widgets = {"body": forms.Textarea(attrs={"rows": 4, "cols": 60})}

    def __init__(self, *args, sequence, **kwargs):
        super().__init__(*args, **kwargs)
        self.sequence = sequence
        self.instance.sequence = sequence
        if self.instance.pk:
            amount, unit, direction = split_delay(self.instance.delay_minutes)
            self.initial.update(amount=amount, unit=unit, direction=direction)
            return
        self.initial.setdefault("channel", Step.Channel.SMS)
        if sequence.trigger == Trigger.POST_BOOKING:
            self.initial.update(amount=24, unit="hours", direction="before")

    def clean(self):
        data = super().clean()
        amount, unit, direction = data.get("amount"), data.get("unit"), data.get("direction")
        if amount is not None and unit in UNITS and direction:
            minutes = amount * UNITS[unit]
            if minutes > MAX_DELAY_MINUTES:
                self.add_error("amount", "At most a year.")
            data["delay_minutes"] = -minutes if direction == "before" else minutes
        channel = data.get("channel")
        subject = (data.get("subject") or "").strip()
        body = (data.get("body") or "").strip()
        if channel in (Step.Channel.EMAIL, Step.Channel.TASK) and not subject:
            what = "An e-mail needs a subject." if channel == "email" else "A task needs a title."
            self.add_error("subject", what)
        if channel == Step.Channel.SMS:
            data["subject"] = ""
            if len(body) > SMS_MAX:
                self.add_error("body", f"An SMS can be at most {SMS_MAX} characters.")
        return data


def split_delay(minutes: int) -> tuple[int, str, str]:
    """-1440 → (1, "days", "before"): the largest unit that divides it."""
    direction = "before" if minutes < 0 else "after"
    minutes = abs(minutes)
    for unit in ("days", "hours"):
        if minutes and minutes % UNITS[unit] == 0:
            return minutes // UNITS[unit], unit, direction
    return minutes, "minutes", direction


class StepMoveForm(forms.Form):
    """Where the step should be (not "up"/"down"): a second click asks for the same place."""

    position = forms.IntegerField(min_value=1)


class TaskStateForm(forms.Form):
    """The state wanted, not a toggle: a second "done" click changes nothing."""

    state = forms.ChoiceField(choices=[("done", "done"), ("open", "open")])
