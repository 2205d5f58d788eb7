import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from workspaces import provider_choices
from workspaces.validators import (
    canonical_or_trimmed,
    normalize_email,
    normalize_phone,
    validate_plain_text,
    validate_timezone,
)


class Workspace(models.Model):
    class MessagingChannel(models.TextChoices):
        GHL = "ghl", "GoHighLevel"
        EMAIL = "email", "E-mail (SMTP)"
        WEBHOOK_OUT = "webhook_out", "Outbound webhook"

    class UnmatchedPolicy(models.TextChoices):
        CREATE_LEAD = "create_lead", "Create a new lead"
        KEEP_UNMATCHED = "keep_unmatched", "Keep the delivery as unmatched"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200, validators=[validate_plain_text])
    external_id = models.CharField(max_length=200, null=True, blank=True, unique=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    # Choices come from the provider apps (see workspaces.provider_choices).
    booking_provider = models.CharField(
        max_length=20, choices=provider_choices.choices, default="ghl"
    )
    auto_book_enabled = models.BooleanField(default=False)
    # The channel messages to leads go through; null: the first connected one (followups.channels).
    messaging_channel = models.CharField(
        max_length=20, choices=MessagingChannel.choices, null=True, blank=True
    )
    is_active = models.BooleanField(default=True)
    unmatched_bookings = models.CharField(
        max_length=20, choices=UnmatchedPolicy.choices, default=UnmatchedPolicy.CREATE_LEAD
    )
    # The booking window offers are taken from (see booking.offers).
    booking_days_ahead = models.PositiveSmallIntegerField(default=7)
    booking_min_notice_minutes = models.PositiveIntegerField(default=120)
    business_hours_start = models.PositiveSmallIntegerField(default=9)
    business_hours_end = models.PositiveSmallIntegerField(default=17)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", "Admin"
        SETTER = "setter", "Setter"
        INBOX_MANAGER = "inbox_manager", "Inbox manager"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "workspace", "role"], name="membership_unique_role"
            )
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.workspace}"


class Lead(models.Model):
    class Status(models.TextChoices):
        NEW = "new", "New"
        CONTACTED = "contacted", "Contacted"
        REPLIED = "replied", "Replied"
        QUALIFIED = "qualified", "Qualified"
        MEETING_BOOKED = "meeting_booked", "Meeting booked"
        MEETING_CANCELED = "meeting_canceled", "Meeting canceled"
        NO_SHOW = "no_show", "No-show"
        COMPLETED = "completed", "Completed"
        UNQUALIFIED = "unqualified", "Unqualified"
        OPTED_OUT = "opted_out", "Opted out"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="leads")
    first_name = models.CharField(max_length=100, blank=True, validators=[validate_plain_text])
    last_name = models.CharField(max_length=100, blank=True, validators=[validate_plain_text])
    email = models.CharField(max_length=254, blank=True)
    phone = models.CharField(max_length=20, blank=True, help_text="E.164, e.g. +13125550142")
    timezone = models.CharField(max_length=64, blank=True, validators=[validate_timezone])
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    source = models.CharField(max_length=30, default="manual")
    # When mail to ``email`` bounced for good (a hard bounce): nothing more is e-mailed to it.
    email_undeliverable_at = models.DateTimeField(null=True, blank=True)
    # Rollup kept by booking.lifecycle only: the start of the latest live appointment.
    booked_slot = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["workspace", "email"], name="lead_ws_email"),
            models.Index(fields=["workspace", "phone"], name="lead_ws_phone"),
            # The leads list's order and keyset (workspaces.lead_list), with a status filter or
            # without; the search's trigram indexes are PostgreSQL-only (migration 0008).
            models.Index(fields=["workspace", "updated_at", "id"], name="lead_ws_recent"),
            models.Index(
                fields=["workspace", "status", "updated_at", "id"], name="lead_ws_status_recent"
            ),
        ]
        constraints = [
            # One lead per address in a workspace, so concurrent "create or update" settle in
            # the database instead of making twins.
            models.UniqueConstraint(
                Lower("email"), "workspace", condition=~Q(email=""), name="lead_unique_email"
            ),
            models.UniqueConstraint(
                fields=["workspace", "phone"], condition=~Q(phone=""), name="lead_unique_phone"
            ),
        ]

    def __str__(self):
        return self.display_name

    def save(self, *args, **kwargs):
        self.email = canonical_or_trimmed(self.email)
        if self.email_undeliverable_at and self.email != getattr(self, "_loaded_email", self.email):
            # A new address has not bounced: mail may go to it again.
            self.email_undeliverable_at = None
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "email_undeliverable_at"}
        super().save(*args, **kwargs)
        self._loaded_email = self.email

    @classmethod
    def from_db(cls, db, field_names, values):
        lead = super().from_db(db, field_names, values)
        if "email" in lead.__dict__:  # not when the query deferred it
            lead._loaded_email = lead.email
        return lead

    @property
    def display_name(self) -> str:
        full = f"{self.first_name} {self.last_name}".strip()
        return full or self.email or self.phone or f"Lead {self.pk}"

    @property
    def effective_timezone(self) -> str:
        return self.timezone or self.workspace.timezone

    def clean(self):
        if self.email:
            try:
                self.email = normalize_email(self.email)
            except ValidationError as exc:
                raise ValidationError({"email": exc.messages}) from None
        if self.phone:
            try:
                self.phone = normalize_phone(self.phone)
            except ValidationError as exc:
                raise ValidationError({"phone": exc.messages}) from None


class LeadIdentity(models.Model):
    """A lead's id at an outside system (a GHL contact id, a Calendly invitee e-mail hash...)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE)
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="identities")
    provider = models.CharField(max_length=30)
    external_id = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "provider", "external_id"], name="lead_identity_unique"
            )
        ]

    def __str__(self):
        return f"{self.provider}:{self.external_id}"


class AuditEvent(models.Model):
    """Who changed what in a workspace's configuration. Never holds a secret value."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="audit_events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    actor_label = models.CharField(max_length=200, blank=True)  # "api key: onboarding"
    action = models.CharField(max_length=80)
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.action} by {self.actor_label or self.actor}"


class OutboundEmail(models.Model):
    """One account e-mail (an invitation, a password reset) to send, sent, or given up on.

    Only who and what kind are stored: the message, with its set-password link, is rendered
    when it is sent, so no working link is ever kept in the database.
    """

    class Kind(models.TextChoices):
        INVITATION = "invitation", "Invitation"
        PASSWORD_RESET = "password_reset", "Password reset"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    to = models.CharField(max_length=254)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="outbound_emails"
    )
    workspace = models.ForeignKey(
        Workspace, null=True, blank=True, on_delete=models.CASCADE, related_name="outbound_emails"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)  # the server's answer, no secret
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["to", "kind", "created_at"], name="outbound_email_rate"),
            models.Index(
                fields=["next_attempt_at"], condition=Q(state="queued"), name="outbound_email_due"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} to {self.to} ({self.state})"


class ProviderEventStamp(models.Model):
    """The provider's own time of the newest event applied to one of its objects (a GHL
    appointment...), so an older event arriving late, or replayed after its delivery was
    pruned, never undoes a newer one."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE)
    provider = models.CharField(max_length=30)
    object_id = models.CharField(max_length=255)
    stamped_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "provider", "object_id"], name="provider_event_stamp_unique"
            )
        ]

    def __str__(self):
        return f"{self.provider}:{self.object_id} @ {self.stamped_at.isoformat()}"
