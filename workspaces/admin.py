from functools import partial

from django.contrib import admin
from django.db import transaction

from workspaces import outbox
from workspaces.models import (
    AuditEvent,
    Lead,
    LeadIdentity,
    Membership,
    OutboundEmail,
    Workspace,
)


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


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    """Every account e-mail: queued, sent, or failed with the mail server's reason."""

    list_display = ["created_at", "kind", "to", "workspace", "state", "attempts", "last_error"]
    list_filter = ["state", "kind"]
    search_fields = ["to", "workspace__name"]
    list_select_related = ["workspace"]
    readonly_fields = [f.name for f in OutboundEmail._meta.fields]
    actions = ["send_again"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Send the selected failed e-mails again")
    def send_again(self, request, queryset):
        ids = list(queryset.filter(state=OutboundEmail.State.FAILED).values_list("pk", flat=True))
        OutboundEmail.objects.filter(pk__in=ids).update(
            state=OutboundEmail.State.QUEUED, attempts=0, next_attempt_at=None
        )
        for pk in ids:
            transaction.on_commit(partial(outbox.enqueue, pk))
        self.message_user(request, f"{len(ids)} e-mail(s) queued again.")
