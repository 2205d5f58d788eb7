"""A provider that exists only in the tests: it proves the integrations mechanism without
knowing Calendly or GHL. Its mapper does what the delivery's body says."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from django import forms

from followups.errors import InvalidSetting, ProviderAuthError, ProviderUnavailable
from integrations import connections, selectors
from integrations.providers import ConnectionReport, ProviderSpec

NAME = "fake"
TOKEN = "fk_live_s3cr3t-token-value-WXYZ"


class FakeSettingsForm(forms.Form):
    account = forms.CharField(max_length=100)
    api_token = forms.CharField(widget=forms.PasswordInput)


@dataclass
class Recorder:
    """What the mapper saw, and what it should do next."""

    seen: list[int] = field(default_factory=list)
    fail_with: Exception | None = None
    fail_only: set[int] | None = None  # the deliveries that fail_with applies to (None: all)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def map_delivery(self, delivery) -> str:
        with self.lock:
            self.seen.append(delivery.pk)
        if self.fail_with is not None and (self.fail_only is None or delivery.pk in self.fail_only):
            raise self.fail_with
        return delivery.json().get("outcome", "processed")


class FakeProvider:
    name = NAME

    def __init__(self, workspace):
        self.workspace = workspace

    def check_connection(self) -> ConnectionReport:
        conn = selectors.get_connection(workspace=self.workspace, provider=NAME)
        if conn.secret("api_token") == "revoked":
            raise ProviderAuthError("Fake refused the token.", status=401)
        return ConnectionReport(ok=True, summary=f"Connected as {conn.display_name}")


def fake_connect(*, workspace, data, actor=None, actor_label=""):
    token = data["api_token"]
    if token == "bad-token":
        raise InvalidSetting("Fake refused this token: paste a live one.", field="api_token")
    if token == "down":
        raise ProviderUnavailable("Fake is not answering; try again in a minute.")
    return connections.connect(
        workspace=workspace,
        provider=NAME,
        secrets={"api_token": token},
        config={"account": data["account"]},
        display_name=data["account"],
        token_hint=token,
        actor=actor,
        actor_label=actor_label,
    )


def make_spec(recorder: Recorder) -> ProviderSpec:
    return ProviderSpec(
        name=NAME,
        label="Fake Calendar",
        factory=FakeProvider,
        map_delivery=recorder.map_delivery,
        is_connected=lambda ws: selectors.is_connected(workspace=ws, provider=NAME),
        description="A calendar that exists only in the tests.",
        settings_form=FakeSettingsForm,
        connect=fake_connect,
        webhook_url_name="integrations_tab",  # any URL taking workspace_id will do here
    )
