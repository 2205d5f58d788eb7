from django import forms

from integrations.providers import ProviderSpec


class BookingProviderForm(forms.Form):
    """Which connected provider books for the workspace. Only connected ones are offered."""

    booking_provider = forms.ChoiceField(label="Booking provider")

    def __init__(self, *args, specs: list[ProviderSpec], current_connected=True, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(s.name, s.label) for s in specs]
        if not current_connected:
            # The workspace's provider is not among them: don't show another as if chosen.
            choices = [("", "Choose a connected provider…"), *choices]
        self.fields["booking_provider"].choices = choices


class AutoBookForm(forms.Form):
    """The switch carries the state wanted, not "toggle", so a second click changes nothing."""

    enabled = forms.ChoiceField(choices=[("on", "On"), ("off", "Off")])

    @property
    def wanted(self) -> bool:
        return self.cleaned_data["enabled"] == "on"
