from django.contrib import admin

from booking.models import Appointment


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    list_display = ["start_at", "lead", "workspace", "provider", "status", "source"]
    list_filter = ["status", "provider", "source"]
    search_fields = ["external_id", "secondary_id", "lead__email", "lead__last_name"]
    list_select_related = ["lead", "workspace"]
    date_hierarchy = "start_at"
    readonly_fields = ["created_at", "updated_at"]
    raw_id_fields = ["lead", "rescheduled_to"]
