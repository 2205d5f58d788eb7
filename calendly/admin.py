from django.contrib import admin

from calendly.models import Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    """Each workspace's Calendly webhook subscription as the last check found it (read-only:
    Repair and Disable are on the Integrations tab)."""

    list_display = ("workspace", "state", "signing", "checked_at", "repaired_at")
    list_filter = ("state", "signing")
    search_fields = ("workspace__name", "uri", "last_error")
    readonly_fields = [f.name for f in Subscription._meta.concrete_fields if f.name != "id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
