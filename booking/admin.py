from django.contrib import admin

from booking.models import Appointment, BookingAttempt, InboundMessage, Offer, OfferedSlot


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    list_display = ["start_at", "lead", "workspace", "provider", "status", "source"]
    list_filter = ["status", "provider", "source"]
    search_fields = ["external_id", "secondary_id", "lead__email", "lead__last_name"]
    list_select_related = ["lead", "workspace"]
    date_hierarchy = "start_at"
    readonly_fields = ["created_at", "updated_at"]
    raw_id_fields = ["lead", "rescheduled_to"]


class OfferedSlotInline(admin.TabularInline):
    model = OfferedSlot
    extra = 0
    readonly_fields = ["index", "start_at", "end_at", "provider_value"]
    can_delete = False


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    list_display = ["created_at", "lead", "workspace", "kind", "state"]
    list_filter = ["state", "kind"]
    search_fields = ["lead__email", "lead__last_name"]
    list_select_related = ["lead", "workspace"]
    raw_id_fields = ["lead"]
    readonly_fields = ["created_at", "closed_at"]
    inlines = [OfferedSlotInline]


@admin.register(BookingAttempt)
class BookingAttemptAdmin(admin.ModelAdmin):
    list_display = ["created_at", "lead", "workspace", "source", "provider", "state", "checks"]
    list_filter = ["state", "source", "provider"]
    search_fields = ["idempotency_key", "lead__email", "lead__last_name"]
    list_select_related = ["lead", "workspace"]
    raw_id_fields = ["lead", "slot", "message", "appointment", "created_by"]
    readonly_fields = ["idempotency_key", "created_at", "updated_at"]


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    list_display = ["received_at", "lead", "workspace", "channel", "provider", "autobook_outcome"]
    list_filter = ["channel", "provider", "autobook_outcome"]
    search_fields = ["provider_message_id", "lead__email", "body"]
    list_select_related = ["lead", "workspace"]
    raw_id_fields = ["lead"]
    readonly_fields = ["created_at", "autobook_claimed_at", "autobook_done_at", "reading"]
