import uuid

from django import forms
from django.utils import timezone

from workspaces.validators import validate_sane_datetime


class TaskForm(forms.Form):
    """A manual task on the lead page. ``nonce`` is new each time the page is drawn, so a
    double-submitted form opens one task, while the next task from a fresh page is its own."""

    title = forms.CharField(max_length=200, strip=True)
    detail = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    due_at = forms.DateTimeField(
        required=False,
        label="Due",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Leave empty for now.",
        validators=[validate_sane_datetime],
    )
    nonce = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def clean_due_at(self):
        return self.cleaned_data.get("due_at") or timezone.now()


class ReplyForm(forms.Form):
    """A lead's reply that reached the team some other way (a phone call, a forwarded mail) and
    is logged by hand, so auto-booking and the follow-up engine read it like any other reply.
    ``nonce`` makes a double-submitted form one reply."""

    CHANNELS = [("email", "E-mail"), ("sms", "SMS"), ("phone", "Phone call"), ("chat", "Chat")]

    channel = forms.ChoiceField(choices=CHANNELS, initial="email")
    body = forms.CharField(
        label="What the lead said",
        max_length=10_000,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    nonce = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)
