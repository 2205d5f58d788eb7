"""Celery entry points of the follow-up engine. Each is idempotent and safe to run twice at once."""

from celery import shared_task

from followups import scheduler, sending


@shared_task(name="followups.tasks.send_due_steps")
def send_due_steps() -> int:
    """Every minute (beat): do the steps that are due, then enqueue again the messages left
    queued for over a minute (a lost enqueue, a transient provider error)."""
    done = scheduler.run_due_steps()
    sending.sweep()
    return done


@shared_task(name="followups.tasks.send_message")
def send_message(message_id: int) -> str | None:
    """Send one queued message; a duplicate run finds it claimed and does nothing."""
    return sending.send(message_id)
