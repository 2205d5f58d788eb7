from django.db import models

from workspaces.models import Workspace


class ReconcileState(models.Model):
    """Where the reconcile sweep of one workspace stands, so a failing workspace backs off and
    the sweep always moves on (never the same failures every run)."""

    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, related_name="ghl_reconcile_state"
    )
    # The end of the last sweep's look-back: the next sweep starts here, whatever happened.
    watermark = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    next_run_at = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)  # a safe message, never a token
    # Appointment id → {"failures": n, "retry_at": iso}: one bad appointment waits its turn.
    item_failures = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["next_run_at"], name="ghl_reconcile_next_run")]

    def __str__(self):
        return f"GHL reconcile of {self.workspace_id} (failures: {self.consecutive_failures})"
