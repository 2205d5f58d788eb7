from django import forms

MAX_TRACKED = 50


class EventTypeList(forms.Field):
    """A list of event type URIs or booking links: a JSON list in the admin API, the card's
    checkboxes in a form. Left out (None), the tracked event types stay as they are; an empty
    list tracks none."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(widget=_ListInput, **kwargs)

    def to_python(self, value):
        if value is None:
            return None
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise forms.ValidationError(
                "tracked_event_types must be a list of event type URIs or booking links."
            )
        items = [v.strip() for v in value if v.strip()]
        if len(items) > MAX_TRACKED:
            raise forms.ValidationError(f"Track at most {MAX_TRACKED} event types.")
        if any(len(v) > 500 for v in items):
            raise forms.ValidationError("An event type URI or link is at most 500 characters.")
        return list(dict.fromkeys(items))

    def validate(self, value):
        """Any list is valid here; each item is checked against Calendly when connecting."""


class _ListInput(forms.SelectMultiple):
    def value_from_datadict(self, data, files, name):
        if name not in data:
            return None
        getter = getattr(data, "getlist", None)
        return getter(name) if getter is not None else data.get(name)


class CalendlySettingsForm(forms.Form):
    """The Calendly card's connect form and the admin API's PUT body (names are a contract:
    ``access_token``, ``event_type`` and ``tracked_event_types``; ``event_type_link`` is the
    card's paste-a-link field)."""

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
        help_text="Its URI, or its public booking link (https://calendly.com/<you or your "
        "team>/<event>).",
    )
    event_type_link = forms.CharField(
        label="…or paste its booking link",
        required=False,
        max_length=500,
        strip=True,
    )
    tracked_event_types = EventTypeList(
        label="Also track",
        help_text="Other event types (URIs or booking links) whose bookings update leads.",
    )
    make_booking_provider = forms.BooleanField(
        label="Book with Calendly",
        required=False,
        help_text="Make Calendly this workspace's booking provider once it is connected.",
    )
