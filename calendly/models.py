from django.db import models

from workspaces.models import Workspace


class Subscription(models.Model):
    """What we know of the workspace's webhook subscription at Calendly: its URI, the state the
    last check found, and which key signs its deliveries. Kept here rather than in the
    Connection's config so a health check every few minutes doesn't fill the audit log.

    ``ensuring_until`` is a lease: the one run that holds it talks to Calendly, so a Repair click
    during the beat's check (or a second click) doesn't create a second subscription."""

    class State(models.TextChoices):
        NEVER = "never", "Never created"
        PENDING = "pending", "Being set up"
        ACTIVE = "active", "Active"
        DISABLED = "disabled", "Disabled by Calendly"
        MISSING = "missing", "Missing at Calendly"
        ERROR = "error", "Could not be checked"
        REMOVED = "removed", "Removed (Calendly disabled here)"
        ORPHANED = "orphaned", "Could not be removed at Calendly"

    class Signing(models.TextChoices):
        OURS = "ours", "Our own signing key (personal access token)"
        APP = "app", "The OAuth app's signing key"

    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, related_name="calendly_subscription"
    )
    uri = models.CharField(max_length=500, blank=True)
    callback_url = models.CharField(max_length=500, blank=True)
    signing = models.CharField(max_length=10, choices=Signing.choices, blank=True)
    # A short SHA-256 of the key it was created with (never the key): a subscription is reused
    # only while this matches the key we hold, so none is left signed with a key we lost.
    key_fingerprint = models.CharField(max_length=16, blank=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.NEVER)
    # Which bookings it hears of: the whole organization's when the token's user is its owner or
    # an admin, else only those the user hosts; ``role`` is that user's role at the last check.
    scope = models.CharField(max_length=20, blank=True)
    role = models.CharField(max_length=20, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)  # a safe message, never a key
    # The last time a check found it disabled or missing and made a new one, and why.
    repaired_at = models.DateTimeField(null=True, blank=True)
    repair_reason = models.CharField(max_length=200, blank=True)
    ensuring_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Calendly subscription of {self.workspace_id} ({self.state})"
