"""Celery entry points of the follow-up engine. Each is idempotent and safe to run twice at once."""

from celery import shared_task

from followups import scheduler, sending
from followups.sending import send_message

__all__ = ["send_due_steps", "send_message"]  # send_message is defined beside its work


@shared_task(name="followups.tasks.send_due_steps")
def send_due_steps() -> int:
    """Every minute (beat): do the steps that are due, then enqueue again the messages left
    queued for over a minute (a lost enqueue, a transient provider error)."""
    done = scheduler.run_due_steps()
    sending.sweep()
    return done
