"""Sending one outbox row (workspaces.outbox): rendered now, sent, and recorded as ``sent``,
retried with back-off after a temporary failure, or ``failed`` with the server's reason."""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta

from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.utils import timezone

from workspaces import messages
from workspaces.models import OutboundEmail

logger = logging.getLogger(__name__)

State = OutboundEmail.State
MAX_ATTEMPTS = 5
BACKOFF_BASE_SECONDS = 60


def send(row_id: int) -> int | None:
    """One attempt at a queued row. Returns the seconds to wait before the next attempt, or
    None when the row is settled (sent, failed, or not ours to send)."""
    with transaction.atomic():
        row = (
            OutboundEmail.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("user", "workspace")
            .filter(pk=row_id, state=State.QUEUED)
            .first()
        )
        if row is None:
            return None
        row.attempts += 1
        try:
            subject, body = messages.render(row)
        except Exception as exc:
            # A template or link that can't be rendered fails the same way every time: the row
            # is failed with the reason, not rolled back to be picked up again forever.
            return _record_failure(row, _RenderError(exc), permanent=True)
        try:
            if body is not None:
                send_mail(subject, body, None, [row.to])
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            return _record_failure(row, exc)
        except ValueError as exc:  # a header the message can't carry (BadHeaderError): every time
            return _record_failure(row, exc, permanent=True)
        row.state = State.SENT
        row.sent_at = timezone.now()
        row.last_error = "" if body is not None else "Not needed any more: the password is set."
        row.next_attempt_at = None
        row.save(update_fields=["state", "attempts", "sent_at", "last_error", "next_attempt_at"])
    logger.info("%s e-mail %s sent to user %s", row.kind, row.pk, row.user_id)
    return None


def due_rows(*, now=None, limit: int = 200) -> list[int]:
    """Queued rows whose next attempt is due, or that were never picked up (a lost enqueue)."""
    now = now or timezone.now()
    return list(
        OutboundEmail.objects.filter(state=State.QUEUED)
        .filter(
            Q(next_attempt_at__lte=now)
            | Q(next_attempt_at__isnull=True, created_at__lte=now - timedelta(minutes=1))
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )


class _RenderError(Exception):
    """Why an e-mail could not be rendered, told without the exception's own message: a link
    that failed to build (NoReverseMatch) names its set-password token, which is never stored
    or logged. A missing or broken template is named."""

    def __init__(self, exc: Exception):
        detail = type(exc).__name__
        if isinstance(exc, TemplateDoesNotExist | TemplateSyntaxError):
            detail = f"{detail}: {exc}"
        super().__init__(f"Could not render the e-mail ({detail})")


def _record_failure(row: OutboundEmail, exc: Exception, *, permanent: bool = False) -> int | None:
    reason = _reason(exc)
    row.last_error = reason[:500]
    if permanent or _permanent(exc) or row.attempts >= MAX_ATTEMPTS:
        row.state = State.FAILED
        row.next_attempt_at = None
        delay = None
        logger.warning("%s e-mail %s failed for good: %s", row.kind, row.pk, reason)
    else:
        delay = BACKOFF_BASE_SECONDS * 2 ** (row.attempts - 1)
        row.next_attempt_at = timezone.now() + timedelta(seconds=delay)
        logger.warning("%s e-mail %s failed, retry in %ss: %s", row.kind, row.pk, delay, reason)
    row.save(update_fields=["state", "attempts", "last_error", "next_attempt_at"])
    return delay


def _permanent(exc: Exception) -> bool:
    """A 5xx answer (550 mailbox unavailable...) will be the same next time."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


def _reason(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(exc.recipients.values()))
        return f"{code} {_text(text)}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_text(exc.smtp_error)}"
    if isinstance(exc, _RenderError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _text(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)
