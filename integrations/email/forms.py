from django import forms

from .smtp import SECURITY


class EmailSettingsForm(forms.Form):
    """The e-mail card's connect form and the admin API's PUT body (names are a contract)."""

    host = forms.CharField(label="SMTP host", max_length=253, strip=True)
    port = forms.IntegerField(label="Port", min_value=1, max_value=65535, initial=587)
    security = forms.ChoiceField(
        label="Security",
        choices=[(s, s) for s in SECURITY],
        initial="starttls",
        help_text="starttls (usually port 587), ssl (usually 465) or none.",
    )
    username = forms.CharField(label="Username", max_length=254, required=False, strip=True)
    password = forms.CharField(
        label="Password",
        required=False,
        max_length=500,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Leave blank to keep the stored one.",
    )
    from_email = forms.EmailField(label="From address", max_length=254)
    from_name = forms.CharField(label="From name", max_length=100, required=False, strip=True)

    def clean_host(self):
        host = self.cleaned_data["host"].lower().rstrip(".")
        if not host or any(c in host for c in " /:@\x00"):
            raise forms.ValidationError(
                "Enter a host name or an address, such as smtp.example.com."
            )
        return host

    def clean_from_name(self):
        name = self.cleaned_data["from_name"]
        if any(c in name for c in "\r\n"):
            raise forms.ValidationError("The name must be on one line.")
        return name
