"""The e-mail channel's connection: the workspace's SMTP settings (password encrypted like every
secret), verified by logging in before they are stored, and the inbound secret replies are
signed with (answered once, when it is made)."""

from __future__ import annotations

import secrets as random

from django.urls import reverse

from followups.errors import InvalidSetting, ProviderAuthError, ProviderError
from integrations import connections, selectors
from integrations.netguard import check_target
from integrations.providers import ConnectionReport
from workspaces.models import Workspace

from . import smtp

NAME = "email"
CONFIG_FIELDS = ("host", "port", "security", "username", "from_email", "from_name")


def is_connected(workspace: Workspace) -> bool:
    return selectors.is_connected(workspace=workspace, provider=NAME)


def settings_of(conn) -> smtp.SmtpSettings:
    config = conn.config
    return smtp.SmtpSettings(
        host=config.get("host", ""),
        port=int(config.get("port") or 587),
        security=config.get("security", "starttls"),
        username=config.get("username", ""),
        password=conn.secret("password"),
    )


def inbound_url(workspace: Workspace) -> str:
    from django.conf import settings

    path = reverse("email_inbound", kwargs={"workspace_id": workspace.public_id})
    return f"{settings.PUBLIC_BASE_URL}{path}"


def connect(*, workspace: Workspace, data: dict, actor=None, actor_label: str = "") -> dict:
    """Log in with the settings, then store them. Returns what is shown once: the inbound
    secret when this call made it, and the inbound URL."""
    stored = selectors.get_connection(workspace=workspace, provider=NAME)
    password = data.get("password") or (stored.secret("password") if stored else "")
    conf = smtp.SmtpSettings(
        host=data["host"],
        port=data["port"],
        security=data["security"],
        username=data.get("username", ""),
        password=password,
    )
    check_target(conf.host, conf.port, field="host")
    _try_login(conf)
    inbound_secret = stored.secret("inbound_secret") if stored else ""
    revealed = {}
    if not inbound_secret:
        inbound_secret = new_secret()
        revealed["inbound_secret"] = inbound_secret
    connections.connect(
        workspace=workspace,
        provider=NAME,
        secrets={"password": password, "inbound_secret": inbound_secret},
        config={field: data.get(field, "") for field in CONFIG_FIELDS},
        display_name=f"{data['from_email']} via {conf.host}",
        actor=actor,
        actor_label=actor_label,
    )
    return {**revealed, "inbound_url": inbound_url(workspace)}


def rotate_inbound_secret(*, workspace: Workspace, actor=None, actor_label: str = "") -> str:
    """A new inbound secret (the old one stops working at once); shown once."""
    if not is_connected(workspace):
        raise InvalidSetting("Connect the e-mail channel first.")
    secret = new_secret()
    connections.update_connection(
        workspace=workspace,
        provider=NAME,
        secrets={"inbound_secret": secret},
        actor=actor,
        actor_label=actor_label,
    )
    return secret


def new_secret() -> str:
    return random.token_urlsafe(32)


def status(workspace: Workspace) -> dict:
    return {"inbound_url": inbound_url(workspace)}


class EmailTester:
    """The card's "Test connection": log in with the stored settings and say what failed."""

    def __init__(self, workspace: Workspace):
        self.workspace = workspace

    def check_connection(self) -> ConnectionReport:
        conn = selectors.get_connection(workspace=self.workspace, provider=NAME)
        if conn is None or not conn.has_secrets:
            return ConnectionReport(ok=False, summary="The e-mail channel is not connected.")
        conf = settings_of(conn)
        try:
            check_target(conf.host, conf.port)
            session = smtp.open_session(conf)
        except ProviderError as exc:
            return ConnectionReport(ok=False, summary=exc.safe_message)
        smtp.close(session)
        return ConnectionReport(ok=True, summary=f"Logged in to {conf.host}:{conf.port}.")


def _try_login(conf: smtp.SmtpSettings) -> None:
    try:
        session = smtp.open_session(conf)
    except ProviderAuthError as exc:
        raise InvalidSetting(exc.safe_message, field="password") from None
    except InvalidSetting:
        raise
    except ProviderError as exc:
        raise InvalidSetting(exc.safe_message, field="host") from None
    smtp.close(session)
