"""Invitation e-mails: a person new to the app gets a link to set their password.

The link is Django's password-reset confirm view (`password_reset_confirm`), so it expires with
PASSWORD_RESET_TIMEOUT and stops working once a password is set.
"""

import logging
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from workspaces.models import Workspace

logger = logging.getLogger(__name__)


def invite_after_commit(*, users, workspace: Workspace) -> None:
    """Sends each user an invitation once the current transaction commits (never for a rollback).

    `robust`: a failing mail server is logged, not turned into an error after the data is saved.
    """
    for user in users:
        transaction.on_commit(
            partial(send_invitation, user_id=user.pk, workspace_id=workspace.pk), robust=True
        )


def send_invitation(*, user_id: int, workspace_id: int) -> bool:
    """Returns False when there is nothing to send (the user already set a password)."""
    user = get_user_model().objects.get(pk=user_id)
    if user.has_usable_password() or not user.email:
        return False
    workspace = Workspace.objects.get(pk=workspace_id)
    body = render_to_string(
        "workspaces/invitation_email.txt",
        {"workspace": workspace, "email": user.email, "link": set_password_url(user)},
    )
    send_mail(f"You're invited to {workspace.name} on Setterdesk", body, None, [user.email])
    logger.info("invitation sent to user %s for workspace %s", user.pk, workspace.public_id)
    return True


def set_password_url(user) -> str:
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return f"{settings.PUBLIC_BASE_URL}{path}"
