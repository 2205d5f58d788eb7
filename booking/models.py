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
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-start_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "provider", "external_id"], name="appointment_provider_ids"
            )
        ]
        indexes = [
            models.Index(fields=["workspace", "start_at"], name="appt_ws_start"),
            models.Index(fields=["lead", "status"], name="appt_lead_status"),
        ]

    def __str__(self):
        return f"{self.lead} · {self.start_at:%Y-%m-%d %H:%M} · {self.status}"

    @property
    def is_live(self) -> bool:
        return self.status == self.Status.BOOKED
