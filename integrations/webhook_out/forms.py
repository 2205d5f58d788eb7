from urllib.parse import urlsplit

from django import forms
from django.conf import settings


class WebhookOutSettingsForm(forms.Form):
    """The outbound-webhook card's form and the admin API's PUT body (names are a contract)."""

    url = forms.URLField(
        label="Endpoint URL",
        max_length=2000,
        assume_scheme="https",
        help_text="Each message to a lead is POSTed here as signed JSON (Standard Webhooks).",
    )

    def clean_url(self):
        url = self.cleaned_data["url"]
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise forms.ValidationError("Enter an https URL.")
        if parts.scheme == "http" and not settings.ALLOW_PRIVATE_NETWORK_TARGETS:
            # Plain http only for local development (a receiver on this machine).
            raise forms.ValidationError("Use https: messages carry leads' details.")
        if parts.username or parts.password:
            raise forms.ValidationError("Put no credentials in the URL.")
        return url
