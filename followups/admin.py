from django.contrib import admin

from followups.models import Enrollment, OutboundMessage, SentStep, Sequence, Step, Task


class StepInline(admin.TabularInline):
    model = Step
    extra = 0
    fields = ["position", "delay_minutes", "channel", "subject", "body"]


@admin.register(Sequence)
class SequenceAdmin(admin.ModelAdmin):
    list_display = ["name", "workspace", "trigger", "is_active", "updated_at"]
    list_filter = ["trigger", "is_active"]
    search_fields = ["name", "workspace__name"]
    list_select_related = ["workspace"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [StepInline]


class SentStepInline(admin.TabularInline):
    model = SentStep
    extra = 0
    fields = ["step", "outcome", "due_at", "detail", "message", "task", "created_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ["lead", "sequence", "workspace", "state", "end_reason", "next_due_at"]
    list_filter = ["state", "end_reason", "sequence__trigger"]
    search_fields = ["lead__email", "lead__last_name", "sequence__name", "appointment_id"]
    list_select_related = ["lead", "sequence", "workspace"]
    raw_id_fields = ["lead", "sequence"]
    readonly_fields = ["created_at", "updated_at", "ended_at"]
    date_hierarchy = "created_at"
    inlines = [SentStepInline]


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["title", "lead", "workspace", "kind", "state", "due_at", "done_at"]
    list_filter = ["state", "kind"]
    search_fields = ["title", "detail", "dedupe_key", "lead__email", "lead__last_name"]
    list_select_related = ["lead", "workspace"]
    raw_id_fields = ["lead", "assignee", "done_by", "enrollment"]
    readonly_fields = ["dedupe_key", "created_at", "updated_at"]
    date_hierarchy = "due_at"


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "lead", "workspace", "channel", "state", "sent_via", "sent_at"]
    list_filter = ["state", "channel", "sent_via"]
    search_fields = ["provider_message_id", "dedupe_key", "lead__email", "body"]
    list_select_related = ["lead", "workspace"]
    raw_id_fields = ["lead", "enrollment"]
    readonly_fields = [
        "provider_message_id",
        "attempts",
        "claimed_at",
        "dedupe_key",
        "created_at",
        "sent_at",
    ]
    date_hierarchy = "created_at"
