from django.contrib import admin

from workspaces.models import AuditEvent, Lead, LeadIdentity, Membership, Workspace


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ["name", "external_id", "booking_provider", "auto_book_enabled", "is_active"]
    list_filter = ["booking_provider", "auto_book_enabled", "is_active"]
    search_fields = ["name", "external_id", "public_id"]
    readonly_fields = ["public_id", "created_at", "updated_at"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "workspace", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "workspace__name"]
    autocomplete_fields = ["user", "workspace"]


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = ["display_name", "email", "phone", "workspace", "status", "booked_slot"]
    list_filter = ["status", "source", "workspace"]
    search_fields = ["first_name", "last_name", "email", "phone"]
    list_select_related = ["workspace"]
    readonly_fields = ["booked_slot", "created_at", "updated_at"]


@admin.register(LeadIdentity)
class LeadIdentityAdmin(admin.ModelAdmin):
    list_display = ["lead", "provider", "external_id", "workspace"]
    list_filter = ["provider"]
    search_fields = ["external_id", "lead__email"]
    list_select_related = ["lead", "workspace"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "workspace", "action", "actor_label"]
    list_filter = ["action"]
    search_fields = ["workspace__name", "actor_label", "action"]
    list_select_related = ["workspace"]

    def has_change_permission(self, request, obj=None):
        return False  # the audit log is append-only
