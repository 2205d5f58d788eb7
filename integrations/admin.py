from django.contrib import admin, messages

from integrations import inbox
from integrations.models import Connection, ReconcileState, WebhookDelivery


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    """Read-only, and without the secrets: connect and disconnect from the Integrations tab."""

    list_display = ("workspace", "provider", "status", "display_name", "token_hint", "updated_at")
    list_filter = ("provider", "status")
    search_fields = ("workspace__name", "display_name")
    exclude = ("secrets",)
    readonly_fields = [
        f.name for f in Connection._meta.concrete_fields if f.name not in ("id", "secrets")
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("received_at", "workspace", "provider", "event", "state", "attempts")
    list_filter = ("provider", "state")
    search_fields = ("dedupe_key", "event")
    exclude = ("body",)
    readonly_fields = ("body_text",) + tuple(
        f.name for f in WebhookDelivery._meta.concrete_fields if f.name not in ("id", "body")
    )
    actions = ["replay"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="body")
    def body_text(self, obj):
        return obj.raw_body.decode("utf-8", errors="replace")

    @admin.action(description="Replay the selected failed or unmatched deliveries")
    def replay(self, request, queryset):
        count = sum(
            inbox.replay_delivery(delivery_id=pk, actor=request.user)
            for pk in queryset.values_list("pk", flat=True)
        )
        self.message_user(request, f"Replaying {count} deliveries.", messages.SUCCESS)


@admin.register(ReconcileState)
class ReconcileStateAdmin(admin.ModelAdmin):
    """How each provider's reconcile sweep stands: which workspaces are backing off and why."""

    list_display = ("workspace", "provider", "last_run_at", "consecutive_failures", "next_run_at")
    list_filter = ("provider",)
    search_fields = ("workspace__name", "last_error")
    readonly_fields = [f.name for f in ReconcileState._meta.concrete_fields if f.name != "id"]

    def has_add_permission(self, request):
        return False
