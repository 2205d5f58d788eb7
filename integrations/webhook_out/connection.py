"""The outbound webhook's connection: the receiver's URL (refused when it points into a private
network) and the ``whsec_`` signing secret, answered once when it is made."""

from __future__ import annotations

from urllib.parse import urlsplit

from followups.errors import InvalidSetting, ProviderError
from integrations import connections, selectors
from integrations.netguard import check_target
from integrations.providers import ConnectionReport
from workspaces.models import Workspace

from . import signing

NAME = "webhook_out"


def is_connected(workspace: Workspace) -> bool:
    return selectors.is_connected(workspace=workspace, provider=NAME)


def host_and_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)


def connect(*, workspace: Workspace, data: dict, actor=None, actor_label: str = "") -> dict:
    url = data["url"]
    host, port = host_and_port(url)
    check_target(host, port, field="url")
    stored = selectors.get_connection(workspace=workspace, provider=NAME)
    secret = stored.secret("signing_secret") if stored else ""
    revealed = {}
    if not secret:
        secret = signing.new_secret()
        revealed["signing_secret"] = secret
    connections.connect(
        workspace=workspace,
        provider=NAME,
        secrets={"signing_secret": secret},
        config={"url": url},
        display_name=host,
        actor=actor,
        actor_label=actor_label,
    )
    return revealed


def rotate_signing_secret(*, workspace: Workspace, actor=None, actor_label: str = "") -> str:
    if not is_connected(workspace):
        raise InvalidSetting("Connect the outbound webhook first.")
    secret = signing.new_secret()
    connections.update_connection(
        workspace=workspace,
        provider=NAME,
        secrets={"signing_secret": secret},
        actor=actor,
        actor_label=actor_label,
    )
    return secret


class WebhookOutChecker:
    """ "Test connection": the URL still resolves to a public address (nothing is POSTed)."""

    def __init__(self, workspace: Workspace):
        self.workspace = workspace

    def check_connection(self) -> ConnectionReport:
        conn = selectors.get_connection(workspace=self.workspace, provider=NAME)
        if conn is None or not conn.has_secrets:
            return ConnectionReport(ok=False, summary="The outbound webhook is not connected.")
        url = conn.config.get("url", "")
        try:
            check_target(*host_and_port(url))
        except ProviderError as exc:
            return ConnectionReport(ok=False, summary=exc.safe_message)
        return ConnectionReport(ok=True, summary=f"Messages are POSTed to {url}.")
