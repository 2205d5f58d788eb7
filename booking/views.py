import zoneinfo

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from booking.models import Appointment
from booking.selectors import appointments_for, appointments_of_lead
from workspaces.access import MEMBERS, workspace_view
from workspaces.models import Lead

PAGE_SIZE = 25


@workspace_view(roles=MEMBERS)
def appointment_list(request):
    workspace = request.workspace
    when = "past" if request.GET.get("when") == "past" else "upcoming"
    status = request.GET.get("status", "")
    provider = request.GET.get("provider", "")
    if status not in Appointment.Status.values:
        status = ""
    if provider not in workspace.Provider.values:
        provider = ""
    qs = appointments_for(workspace=workspace, when=when, status=status, provider=provider)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "booking/appointment_list.html",
        {
            "page": page,
            "when": when,
            "status": status,
            "provider": provider,
            "statuses": Appointment.Status.choices,
            "providers": workspace.Provider.choices,
            "tz": zoneinfo.ZoneInfo(workspace.timezone),
        },
    )


@workspace_view(roles=MEMBERS)
def lead_detail(request, lead_id):
    lead = get_object_or_404(
        Lead.objects.select_related("workspace"), pk=lead_id, workspace=request.workspace
    )
    return render(
        request,
        "booking/lead_detail.html",
        {
            "lead": lead,
            "appointments": appointments_of_lead(lead=lead),
            "tz": zoneinfo.ZoneInfo(lead.effective_timezone),
        },
    )
