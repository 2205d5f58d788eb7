"""Invitation e-mails: a person new to the app gets a link to set their password.

They go through the account e-mail outbox (workspaces.outbox), so a mail server that refuses
never fails the provisioning call, and a later call sends again one that never went.
"""

from workspaces import outbox
from workspaces.models import OutboundEmail, Workspace


def invite(*, users, workspace: Workspace) -> list:
    """Queues an invitation for each user who has no password yet and no invitation to this
    workspace delivered or on its way. Returns the users queued for."""
    queued = []
    for user in users:
        if user.has_usable_password() or not user.email:
            continue
        if outbox.invitation_pending(user=user, workspace=workspace):
            continue
        if outbox.queue(kind=OutboundEmail.Kind.INVITATION, user=user, workspace=workspace):
            queued.append(user)
    return queued
