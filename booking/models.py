from django.conf import settings
from django.db import models

from workspaces.models import Lead, Workspace


class Appointment(models.Model):
    """One booking at a provider, whatever the source. Written only by ``booking.lifecycle``."""

    class Status(models.TextChoices):
        BOOKED = "booked", "Booked"
        CANCELED = "canceled", "Canceled"
        RESCHEDULED = "rescheduled", "Rescheduled"
        NO_SHOW = "no_show", "No-show"
        COMPLETED = "completed", "Completed"

    class Source(models.TextChoices):
        WEBHOOK = "webhook", "Webhook"
        AUTO_BOOK = "auto_book", "Auto-book"
        MANUAL = "manual", "Manual"
        RECONCILE = "reconcile", "Reconcile"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="appointments")
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="appointments")
    provider = models.CharField(max_length=20)
    external_id = models.CharField(max_length=500)  # Calendly invitee URI, GHL appointment id
    secondary_id = models.CharField(max_length=500, blank=True)  # Calendly scheduled event URI
    # Null only for a row created from an event that did not carry the times (rare, out of order).
    start_at = models.DateTimeField(null=True, blank=True)
    end_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.BOOKED)
    source = models.CharField(max_length=20, choices=Source.choices)
    canceled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=500, blank=True)
    no_show_at = models.DateTimeField(null=True, blank=True)
    rescheduled_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="rescheduled_from"
    )
    # The new booking's id when the reschedule was heard of before the new booking itself.
    rescheduled_to_external_id = models.CharField(max_length=500, blank=True)
    # What was booked and who hosts it, as the provider says (a round robin's host may change):
    # ``hosts`` is every host as ``{"name", "email"}``; the first is also kept in ``host_name``
    # and ``host_email``, and ``host_user`` is the workspace member with that e-mail, if any.
    event_type_name = models.CharField(max_length=255, blank=True)
    hosts = models.JSONField(default=list, blank=True)
    host_name = models.CharField(max_length=255, blank=True)
    host_email = models.EmailField(max_length=254, blank=True)
    host_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="hosted_appointments",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-start_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "provider", "external_id"], name="appointment_provider_ids"
            )
        ]
        # Every read of a page or the API is a range of one of these, so none grows with the
        # workspace's appointments (README, "Pages at agency scale").
        indexes = [
            # The lists' order and keyset (workspaces.keyset), the week view, the API.
            models.Index(fields=["workspace", "start_at", "id"], name="appt_ws_start"),
            models.Index(fields=["lead", "status"], name="appt_lead_status"),
            # The host filter, and the hosts to choose from (one probe per host).
            models.Index(fields=["workspace", "host_email", "host_name"], name="appt_ws_host"),
            # The pages' live-poll version: the newest change.
            models.Index(fields=["workspace", "updated_at"], name="appt_ws_updated"),
            # The Integrations tab finds each delivery's booking by the provider's ids.
            models.Index(fields=["workspace", "external_id"], name="appt_ws_external"),
            models.Index(fields=["workspace", "secondary_id"], name="appt_ws_secondary"),
        ]

    def __str__(self):
        return f"{self.lead} · {self.start_at:%Y-%m-%d %H:%M} · {self.status}"

    @property
    def is_live(self) -> bool:
        return self.status == self.Status.BOOKED


class AutoBookOutcome(models.TextChoices):
    BOOKED = "booked", "Booked"
    BLOCKED = "blocked", "Blocked by a safety gate (setter task)"
    NOT_ACCEPTED = "not_accepted", "Not an acceptance (nothing to do)"
    OFFERED_BACK = "offered_back", "Counter-proposal offered back"
    NEW_OFFER = "new_offer", "Time taken: new times sent"
    LINK_SENT = "link_sent", "Booking link sent"
    UNKNOWN = "unknown", "Outcome unknown: asking the provider"
    FAILED = "failed", "Provider error (setter task)"
    DUPLICATE = "duplicate", "Already handled"


class InboundMessage(models.Model):
    """A reply from a lead, on any channel. Stored once per provider message id."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE)
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="inbound_messages")
    channel = models.CharField(max_length=20)  # sms, email, chat...
    body = models.TextField()
    received_at = models.DateTimeField()
    provider = models.CharField(max_length=20, default="api")  # who told us: ghl, api...
    provider_message_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # What auto-booking made of the reply (booking.autobook). ``autobook_claimed_at`` is how one
    # run of the task claims the message, so duplicated runs do nothing.
    autobook_claimed_at = models.DateTimeField(null=True, blank=True)
    autobook_done_at = models.DateTimeField(null=True, blank=True)
    autobook_outcome = models.CharField(max_length=30, choices=AutoBookOutcome.choices, blank=True)
    autobook_gate = models.CharField(max_length=30, blank=True)  # the gate that stopped it
    autobook_detail = models.TextField(blank=True)  # safe text, shown to setters
    reading = models.JSONField(default=dict, blank=True)  # kind, slot_index, confidence, reason

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "provider", "provider_message_id"],
                condition=~models.Q(provider_message_id=""),
                name="inbound_message_once",
            )
        ]

    def __str__(self):
        return f"{self.lead} · {self.channel} · {self.received_at:%Y-%m-%d %H:%M}"


class Offer(models.Model):
    """Concrete times offered to a lead. Only an open offer's future times can be auto-booked."""

    class State(models.TextChoices):
        OPEN = "open", "Open"
        SUPERSEDED = "superseded", "Superseded"
        CLOSED = "closed", "Closed"  # the lead booked (any path)

    class Kind(models.TextChoices):
        STANDARD = "standard", "Standard"
        COUNTER = "counter", "One-time (from the lead's proposal)"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE)
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="offers")
    state = models.CharField(max_length=20, choices=State.choices, default=State.OPEN)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.STANDARD)
    text = models.TextField(blank=True)
    timezone = models.CharField(max_length=64)  # the zone the offer was written in
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["lead"], condition=models.Q(state="open"), name="one_open_offer_per_lead"
            )
        ]

    def __str__(self):
        return f"Offer {self.pk} to {self.lead} ({self.state})"


class OfferedSlot(models.Model):
    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="slots")
    index = models.PositiveSmallIntegerField()  # 1-based, as shown to the lead
    start_at = models.DateTimeField()
    end_at = models.DateTimeField(null=True, blank=True)
    # The provider's own string for the slot, sent back verbatim when booking (GHL wants that).
    provider_value = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["offer", "index"]
        constraints = [
            models.UniqueConstraint(fields=["offer", "index"], name="offered_slot_index")
        ]

    def __str__(self):
        return f"{self.index}) {self.start_at:%Y-%m-%d %H:%M} UTC"


class BookingAttempt(models.Model):
    """One try at booking an offered time. At most one per lead and slot, ever, and at most one
    in flight per lead: both are database constraints, so a retried or duplicated task, or two
    replies at once, cannot book twice."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        BOOKED = "booked", "Booked"
        FAILED = "failed", "Failed"
        UNKNOWN = "unknown", "Outcome unknown (asking the provider)"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE)
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="booking_attempts")
    slot = models.ForeignKey(OfferedSlot, on_delete=models.PROTECT, related_name="attempts")
    message = models.ForeignKey(
        InboundMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="attempts"
    )
    source = models.CharField(max_length=20, choices=Appointment.Source.choices)
    provider = models.CharField(max_length=20)
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    idempotency_key = models.CharField(max_length=100, unique=True)
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="attempts"
    )
    error = models.TextField(blank=True)  # safe text, shown to setters
    checks = models.PositiveSmallIntegerField(default=0)  # find_booking look-ups so far
    # When the next find_booking look-up is due (back-off between checks of an unknown outcome).
    next_check_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["lead", "slot"], name="one_attempt_per_lead_slot"),
            models.UniqueConstraint(
                fields=["lead"],
                condition=models.Q(state__in=["pending", "unknown"]),
                name="one_attempt_in_flight_per_lead",
            ),
        ]

    def __str__(self):
        return f"Attempt {self.pk} for {self.lead} ({self.state})"
