"""The text of account e-mails, rendered when sent (so no set-password link is stored)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from workspaces.models import OutboundEmail


def render(row: OutboundEmail) -> tuple[str, str | None]:
    """(subject, body); body None when the e-mail has no purpose any more (an invitation to
    someone who has set their password meanwhile)."""
    user = row.user
    if row.kind == OutboundEmail.Kind.INVITATION:
        if user.has_usable_password():
            return "", None
        name = one_line(row.workspace.name if row.workspace else "Setterdesk")
        body = render_to_string(
            "workspaces/invitation_email.txt",
            {"workspace_name": name, "email": user.email, "link": set_password_url(user)},
        )
        return f"You're invited to {name} on Setterdesk", body
    body = render_to_string(
        "workspaces/password_reset_email.txt",
        {"email": user.email, "link": set_password_url(user)},
    )
    return "Reset your Setterdesk password", body


def set_password_url(user) -> str:
    """Django's password-reset confirm link: it expires with PASSWORD_RESET_TIMEOUT and stops
    working once a password is set."""
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return f"{settings.PUBLIC_BASE_URL}{path}"


def one_line(text: str) -> str:
    """A header-safe single line: names stored before control characters were refused."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())[:150]
