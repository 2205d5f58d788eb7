from django import forms


class CalendlySettingsForm(forms.Form):
    """The Calendly card's connect form and the admin API's PUT body (names are a contract:
    ``access_token`` and ``event_type``; ``event_type_link`` is the card's paste-a-link field)."""

    access_token = forms.CharField(
        label="Personal access token",
        required=False,
        max_length=2000,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Calendly → Integrations → API & webhooks. Leave blank to keep the stored one.",
    )
    event_type = forms.CharField(
        label="Event type",
        required=False,
        max_length=500,
        strip=True,
        help_text="Its URI, or its public booking link (https://calendly.com/<you>/<event>).",
    )
    event_type_link = forms.CharField(
        label="…or paste its booking link",
        required=False,
        max_length=500,
        strip=True,
    )
    make_booking_provider = forms.BooleanField(
        label="Book with Calendly",
        required=False,
        help_text="Make Calendly this workspace's booking provider once it is connected.",
    )
