"""Account e-mail (invitations, password resets) through a stored outbox.

A request only adds a ``queued`` row and, after its transaction commits, hands its id to a
Celery task (workspaces.sending does the sending): a mail server that refuses or hangs can
never fail the request or drop what else was to happen after commit. A temporary failure is
retried with back-off; ``failed`` keeps the server's reason (Django admin shows every row).
Each address gets at most ACCOUNT_EMAIL_HOURLY_LIMIT of each kind an hour.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from workspaces.models import OutboundEmail, Workspace

logger = logging.getLogger(__name__)

Kind, State = OutboundEmail.Kind, OutboundEmail.State
STUCK_AFTER = timedelta(hours=1)  # a queued invitation this old never went: send it again


def queue(*, kind: str, user, workspace: Workspace | None = None) -> OutboundEmail | None:
    """Adds a row for ``user`` and sends it after commit. None when the address has had its
    hourly share of this kind (nothing is said to the caller: a reset form must not tell who
    has an account)."""
    since = timezone.now() - timedelta(hours=1)
    recent = OutboundEmail.objects.filter(to=user.email, kind=kind, created_at__gte=since)
    if recent.count() >= settings.ACCOUNT_EMAIL_HOURLY_LIMIT:
        logger.warning("%s e-mail to user %s not queued: hourly limit reached", kind, user.pk)
        return None
    row = OutboundEmail.objects.create(kind=kind, to=user.email, user=user, workspace=workspace)
    transaction.on_commit(partial(enqueue, row.pk))
    return row


def invitation_pending(*, user, workspace: Workspace) -> bool:
    """True when ``user`` has an invitation to this workspace delivered, or queued lately;
    False when none went (never sent, failed, or stuck in the queue), so it should go again."""
    recent = timezone.now() - STUCK_AFTER
    return (
        OutboundEmail.objects.filter(kind=Kind.INVITATION, user=user, workspace=workspace)
        .filter(Q(state=State.SENT) | Q(state=State.QUEUED, created_at__gte=recent))
        .exists()
    )


def enqueue(row_id: int) -> None:
    """Hand the row to a worker; a broker that is down is logged, never raised (the periodic
    ``send_due_emails`` picks the row up)."""
    from workspaces.tasks import send_account_email

    try:
        send_account_email.delay(row_id)
    except Exception:
        logger.exception("Could not enqueue account e-mail %s; the periodic send will", row_id)
