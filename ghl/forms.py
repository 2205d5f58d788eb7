from django import forms


class GhlSettingsForm(forms.Form):
    """The GHL card's connect form and the admin API's PUT body (names are a contract)."""

    access_token = forms.CharField(
        label="Private integration token",
        required=False,
        max_length=500,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Sub-account Settings → Private Integrations (pit-…). Leave blank to keep "
        "the stored one.",
    )
    location_id = forms.CharField(label="Location id", max_length=255, strip=True)
    calendar_id = forms.CharField(
        label="Calendar",
        required=False,
        max_length=255,
        strip=True,
        help_text="Connect once without it to load this location's calendars, then choose one.",
    )
