"""Sequences of timed steps, who is enrolled in them, the tasks they open for setters and the
messages they send to leads.

``followups`` sits below ``booking`` (DESIGN.md: dependencies point booking → followups), so no
model here has a foreign key to an appointment: the appointment's id is kept as a plain integer,
with the meeting time copied beside it.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from followups import templating
from workspaces.models import Lead, Workspace


class Trigger(models.TextChoices):
    NO_RESPONSE = "no_response", "No response (after we contact a lead)"
    POST_BOOKING = "post_booking", "Meeting booked (reminders around the meeting)"
    NO_SHOW = "no_show", "No-show"
    REBOOK = "rebook", "Meeting canceled (rebook)"


# Sequences that exist to get a lead booked: a booking by any path completes them.
PRE_BOOKING = (Trigger.NO_RESPONSE, Trigger.REBOOK, Trigger.NO_SHOW)
# Sequences about one meeting: their templates may quote it.
ABOUT_A_MEETING = (Trigger.POST_BOOKING, Trigger.NO_SHOW, Trigger.REBOOK)


class Sequence(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="sequences")
    name = models.CharField(max_length=120)
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    is_active = models.BooleanField(
        "active", default=True, help_text="Off: nobody new is enrolled and nothing more is sent."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["trigger", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="sequence_unique_name")
        ]

    def __str__(self):
        return self.name

    @property
    def is_about_a_meeting(self) -> bool:
        return self.trigger in ABOUT_A_MEETING


class Step(models.Model):
    """One timed action of a sequence. ``delay_minutes`` counts from the enrollment's anchor: the
    meeting start for ``post_booking`` (negative: before it), the triggering event otherwise.
    Steps go out in ``position`` order, which is kept equal to the order of their delays."""

    class Channel(models.TextChoices):
        SMS = "sms", "SMS"
        EMAIL = "email", "E-mail"
        TASK = "task", "Task for a setter"

    sequence = models.ForeignKey(Sequence, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    delay_minutes = models.IntegerField()
    channel = models.CharField(max_length=10, choices=Channel.choices)
    # The e-mail's subject or the task's title; unused for SMS.
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(help_text="Placeholders such as {first_name} are filled in per lead.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sequence", "position", "id"]
        constraints = [
            # Deferred, so reordering can swap two positions inside one transaction.
            models.UniqueConstraint(
                fields=["sequence", "position"],
                name="step_unique_position",
                deferrable=models.Deferrable.DEFERRED,
            )
        ]

    def __str__(self):
        return f"{self.sequence} · step {self.position}"

    def clean(self):
        """Admins write the templates: refuse any placeholder we would not fill in."""
        if not self.sequence_id:
            return
        allowed = templating.allowed_for(self.sequence.trigger)
        errors = {}
        for field in ("subject", "body"):
            problem = templating.check(getattr(self, field) or "", allowed=allowed)
            if problem:
                errors[field] = problem
        before = self.delay_minutes is not None and self.delay_minutes < 0
        if before and self.sequence.trigger != Trigger.POST_BOOKING:
            errors["delay_minutes"] = (
                "Only reminders of a booked meeting can come before their trigger."
            )
        if errors:
            raise ValidationError(errors)


class Enrollment(models.Model):
    """A lead going through a sequence. At most one live (active or paused) enrollment per lead
    and sequence: a repeated lifecycle event finds it instead of enrolling the lead twice."""

    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        COMPLETED = "completed", "Completed"
        CANCELED = "canceled", "Stopped"

    class EndReason(models.TextChoices):
        FINISHED = "finished", "Every step went out"
        REPLIED = "replied", "The lead replied"
        BOOKED = "booked", "The lead booked a meeting"
        CANCELED = "canceled", "The meeting was canceled"
        NO_SHOW = "no_show", "The lead did not show up"
        NO_SHOW_CLEARED = "no_show_cleared", "The no-show mark was removed"
        OPTED_OUT = "opted_out", "The lead opted out"
        SUPERSEDED = "superseded", "Replaced by a newer enrollment"
        SEQUENCE_OFF = "sequence_off", "The sequence was turned off"

    LIVE = (State.ACTIVE, State.PAUSED)

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="enrollments")
    sequence = models.ForeignKey(Sequence, on_delete=models.CASCADE, related_name="enrollments")
    state = models.CharField(max_length=20, choices=State.choices, default=State.ACTIVE)
    # Steps are due at anchor + delay: the meeting start for post-booking reminders, the event
    # that enrolled the lead otherwise.
    anchor_at = models.DateTimeField()
    # booking.Appointment's id, as a plain integer: followups must not depend on booking
    # (DESIGN.md), and a reschedule moves the enrollment from one appointment to the next.
    appointment_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    meeting_at = models.DateTimeField(null=True, blank=True)  # the meeting templates quote
    # When the next unsent step is due (null: none left). Kept by followups.schedule, so the
    # scheduler finds due work with one indexed query.
    next_due_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=20, choices=EndReason.choices, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)  # paused, completed or stopped
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["lead", "sequence"],
                condition=Q(state__in=["active", "paused"]),
                name="one_live_enrollment_per_lead_sequence",
            )
        ]
        indexes = [
            models.Index(
                fields=["next_due_at"], condition=Q(state="active"), name="enrollment_due"
            ),
        ]

    def __str__(self):
        return f"{self.lead} in {self.sequence} ({self.state})"

    @property
    def is_live(self) -> bool:
        return self.state in self.LIVE


class SentStep(models.Model):
    """A step done for one enrollment: sent (a message queued or a task opened) or skipped (its
    time had passed). Unique per enrollment and step: the database, not the scheduler's care,
    guarantees a step goes out at most once."""

    class Outcome(models.TextChoices):
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Skipped"

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="done_steps")
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="+")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    due_at = models.DateTimeField()
    detail = models.CharField(max_length=300, blank=True)
    message = models.ForeignKey(
        "OutboundMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    task = models.ForeignKey(
        "Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["enrollment", "step"], name="step_once_per_enrollment")
        ]

    def __str__(self):
        return f"{self.step} for enrollment {self.enrollment_id}: {self.outcome}"


class Task(models.Model):
    class Kind(models.TextChoices):
        REBOOK = "rebook", "Rebook"
        NO_SHOW = "no_show", "No-show"
        AUTO_BOOK_BLOCKED = "auto_book_blocked", "Auto-book blocked"
        MANUAL = "manual", "Follow-up"

    class State(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="tasks")
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="tasks")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    title = models.CharField(max_length=200)
    detail = models.TextField(blank=True)
    due_at = models.DateTimeField(default=timezone.now)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    # Why it was closed without a person (the no-show mark was removed, the lead opted out...).
    resolution = models.CharField(max_length=200, blank=True)
    # Callers name the event a task is about ("rebook:appointment:12"), so a repeated event or a
    # retried job finds the task instead of opening a second one.
    dedupe_key = models.CharField(max_length=200, blank=True)
    appointment_id = models.BigIntegerField(null=True, blank=True)  # see Enrollment.appointment_id
    enrollment = models.ForeignKey(
        Enrollment, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    # The offered time a reply probably meant when auto-booking stopped short of it, so a setter
    # books it with one click: booking.OfferedSlot's id as a plain integer (see appointment_id),
    # with its option number and start copied beside it for the pages.
    suggested_slot_id = models.BigIntegerField(null=True, blank=True)
    suggested_option = models.PositiveSmallIntegerField(null=True, blank=True)
    suggested_start = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="task_once_per_dedupe_key",
            )
        ]
        indexes = [
            models.Index(fields=["workspace", "state", "due_at"], name="task_ws_state_due"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN

    @property
    def offers_booking(self) -> bool:
        """Open, naming an offered time still ahead: the pages show its "Book Option N" button
        (booking re-checks everything else when it is clicked)."""
        start = self.suggested_start
        return (
            self.is_open
            and self.suggested_slot_id is not None
            and start is not None
            and start > timezone.now()
        )


class OutboundMessage(models.Model):
    """A message to a lead. Stored ``queued``; a Celery task claims and sends it after commit
    through the channel registry (followups.channels)."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        NOT_SENT = "not_sent", "Not sent"  # no channel could reach the lead

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="outbound_messages")
    channel = models.CharField(max_length=10)  # sms or email
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    sent_via = models.CharField(max_length=30, blank=True)  # the channel implementation's name
    provider_message_id = models.CharField(max_length=255, blank=True)
    error = models.TextField(blank=True)  # safe text, shown to setters
    attempts = models.PositiveSmallIntegerField(default=0)
    # Set by the one run of send_message that claimed the row (a conditional UPDATE).
    claimed_at = models.DateTimeField(null=True, blank=True)
    # A channel with its own retry schedule (the outbound webhook): not before this time.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    dedupe_key = models.CharField(max_length=200, blank=True)
    enrollment = models.ForeignKey(
        Enrollment, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="message_once_per_dedupe_key",
            )
        ]
        indexes = [
            models.Index(fields=["created_at"], condition=Q(state="queued"), name="message_queued"),
        ]

    def __str__(self):
        return f"{self.channel} to {self.lead} ({self.state})"
