import json

from django.db import models
from django.db.models import Q

from integrations.fields import EncryptedJSONField
from workspaces.models import Workspace


class Connection(models.Model):
    """A workspace's credentials and settings for one provider. Written only through
    ``integrations.connections``; secrets never leave the server."""

    class Status(models.TextChoices):
        DISCONNECTED = "disconnected", "Disconnected"
        CONNECTED = "connected", "Connected"
        NEEDS_REAUTH = "needs_reauth", "Needs re-authorisation"
        ERROR = "error", "Error"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="connections")
    provider = models.CharField(max_length=30)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DISCONNECTED)
    secrets = EncryptedJSONField()
    config = models.JSONField(default=dict, blank=True)  # ids, chosen event type, URIs: no secret
    display_name = models.CharField(max_length=200, blank=True)  # "Casey Closer (casey@…)"
    token_hint = models.CharField(max_length=4, blank=True)  # the token's last four characters
    connected_at = models.DateTimeField(null=True, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)  # safe text only
    # Webhook requests refused before storing (bad signature, unknown secret...).
    rejected_count = models.PositiveIntegerField(default=0)
    last_rejected_at = models.DateTimeField(null=True, blank=True)
    last_rejected_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "provider"], name="connection_unique")
        ]

    def __str__(self):
        return f"{self.provider} · {self.get_status_display()} · {self.workspace_id}"

    def __repr__(self):  # the secrets stay out of logs and tracebacks
        return f"<Connection {self.provider} workspace={self.workspace_id} {self.status}>"

    @property
    def is_usable(self) -> bool:
        return self.status == self.Status.CONNECTED

    def secret(self, name: str) -> str:
        return (self.secrets or {}).get(name, "")

    @property
    def has_secrets(self) -> bool:
        return bool(self.secrets)

    @property
    def masked_token(self) -> str:
        return f"••••{self.token_hint}" if self.token_hint else ""


class WebhookDelivery(models.Model):
    """One webhook request, stored before anything is done with it, processed by
    ``integrations.tasks.process_delivery`` and replayable."""

    class State(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored"
        UNMATCHED = "unmatched", "Unmatched"
        FAILED = "failed", "Failed"

    FINAL_FROM_MAPPER = (State.PROCESSED, State.IGNORED, State.UNMATCHED)
    REPLAYABLE = (State.FAILED, State.UNMATCHED)
    # Not a column: the ``config`` of the workspace's connection to ``provider``, read with the
    # row by the statement that claims it (integrations.processing), so a mapper needs no query
    # of its own for it. None when not read that way, or when there is no connection.
    connection_config: dict | None = None

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="deliveries")
    provider = models.CharField(max_length=30)
    dedupe_key = models.CharField(max_length=255)
    event = models.CharField(max_length=100, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    body = models.BinaryField()  # the raw bytes, as signed
    headers = models.JSONField(default=dict, blank=True)  # only those that matter, never a secret
    state = models.CharField(max_length=20, choices=State.choices, default=State.RECEIVED)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # When a pending row is next due: a retry's back-off, or the sweep's last re-enqueue.
    retry_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "provider", "dedupe_key"], name="delivery_unique_dedupe"
            )
        ]
        indexes = [
            models.Index(fields=["workspace", "-received_at"], name="delivery_ws_recent"),
            models.Index(
                fields=["received_at"],
                condition=Q(state="received"),
                name="delivery_pending",
            ),
            models.Index(fields=["state", "received_at"], name="delivery_state_age"),
        ]

    def __str__(self):
        return f"{self.provider} {self.event or '?'} #{self.pk} ({self.state})"

    @property
    def raw_body(self) -> bytes:
        return bytes(self.body) if self.body is not None else b""

    def json(self):
        """The body parsed as JSON (raises ValueError when it is not)."""
        return json.loads(self.raw_body)

    @property
    def is_replayable(self) -> bool:
        return self.state in self.REPLAYABLE


class ReconcileState(models.Model):
    """Where one provider's reconcile sweep of one workspace stands (``integrations.reconcile``),
    so a failing workspace backs off and the sweep always moves on."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="reconcile_states"
    )
    provider = models.CharField(max_length=30)
    # The end of the last sweep's look-back: the next sweep starts here, whatever happened.
    watermark = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    next_run_at = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)  # a safe message, never a token
    # Item id (a GHL appointment id, a Calendly event URI) → {"failures": n, "retry_at": iso}:
    # one bad item waits its own turn.
    item_failures = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "provider"], name="reconcile_state_unique")
        ]
        indexes = [models.Index(fields=["next_run_at"], name="reconcile_next_run")]

    def __str__(self):
        failures = self.consecutive_failures
        return f"{self.provider} reconcile of {self.workspace_id} ({failures} failures)"


class DispatchMark(models.Model):
    """The highest delivery id the NOTIFY dispatcher has handed to the broker
    (``integrations.handoff``). A dispatcher that starts or takes over enqueues only the waiting
    rows above it: a row at or below it was enqueued already, and if that message was lost with
    a killed worker, the sweep sends it again, once."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)  # one row
    last_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"dispatched up to delivery {self.last_id}"
