"""Celery tasks of the account e-mail outbox (workspaces.outbox, workspaces.sending)."""

from celery import shared_task

from workspaces import sending


@shared_task(bind=True, name="workspaces.tasks.send_account_email", max_retries=None)
def send_account_email(self, row_id: int) -> None:
    """Send one queued e-mail; a temporary failure comes back after its back-off. Running it
    twice is harmless: the second run finds the row claimed or settled."""
    retry_in = sending.send(row_id)
    if retry_in is not None and not self.request.is_eager:
        # Eager mode (no broker) would retry at once: the periodic send_due_emails does it.
        raise self.retry(countdown=retry_in)


@shared_task(name="workspaces.tasks.send_due_emails")
def send_due_emails() -> int:
    """Rows whose retry is due, or whose enqueue was lost."""
    rows = sending.due_rows()
    for row_id in rows:
        sending.send(row_id)
    return len(rows)
