"""The Integrations tab's messaging section: which connected channel carries messages to leads,
and the warning shown while auto-booking is on and nothing can reach them."""

from __future__ import annotations

from django import forms

from followups import channels
from workspaces.messaging import CHOICES
from workspaces.models import Workspace

NONE = ""  # the form's value for "no channel chosen"
NO_CHANNEL_WARNING = (
    "Auto-booking is on, but no messaging channel can reach leads: offers and confirmations "
    "are not sent. Connect e-mail, an outbound webhook or GoHighLevel and choose it below."
)


class MessagingChannelForm(forms.Form):
    """Only connected channels are offered (and accepted)."""

    messaging_channel = forms.ChoiceField(label="Messaging channel", required=False)

    def __init__(self, *args, choices: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["messaging_channel"].choices = [(NONE, "None chosen"), *choices]

    def clean(self):
        cleaned = super().clean()
        cleaned["channel"] = cleaned.get("messaging_channel") or None
        return cleaned


def channel_choices(workspace: Workspace) -> list[tuple[str, str]]:
    connected = set(channels.connected(workspace))
    return [(name, Workspace.MessagingChannel(name).label) for name in CHOICES if name in connected]


def messaging_context(workspace: Workspace, *, form: MessagingChannelForm | None = None) -> dict:
    choices = channel_choices(workspace)
    if form is None:
        form = MessagingChannelForm(
            initial={"messaging_channel": workspace.messaging_channel or NONE}, choices=choices
        )
    reachable = channels.channel_for(workspace) is not None
    chosen = workspace.messaging_channel
    return {
        "channel_form": form,
        "channel_choices": choices,
        "messaging_reachable": reachable,
        "chosen_channel_label": Workspace.MessagingChannel(chosen).label if chosen else "",
        "chosen_channel_connected": not chosen or chosen in dict(choices),
        "messaging_warning": NO_CHANNEL_WARNING
        if workspace.auto_book_enabled and not reachable
        else "",
    }
