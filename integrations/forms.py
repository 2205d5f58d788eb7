from django import forms

from integrations.providers import ProviderSpec


class BookingProviderForm(forms.Form):
    """Which connected provider books for the workspace. Only connected ones are offered."""

    booking_provider = forms.ChoiceField(label="Booking provider")

    def __init__(self, *args, specs: list[ProviderSpec], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["booking_provider"].choices = [(s.name, s.label) for s in specs]


class AutoBookForm(forms.Form):
    """The switch carries the state wanted, not "toggle", so a second click changes nothing."""

    enabled = forms.ChoiceField(choices=[("on", "On"), ("off", "Off")])

    @property
    def wanted(self) -> bool:
        return self.cleaned_data["enabled"] == "on"
