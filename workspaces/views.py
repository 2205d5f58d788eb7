from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render

from workspaces.access import MEMBERS, workspace_view, workspaces_for
from workspaces.models import Lead


@login_required
def home(request):
    workspaces = list(workspaces_for(request.user))
    if len(workspaces) == 1:
        return redirect("appointment_list", workspace_id=workspaces[0].public_id)
    return render(request, "workspaces/home.html", {"workspaces": workspaces})


@workspace_view(roles=MEMBERS)
def lead_list(request):
    qs = Lead.objects.filter(workspace=request.workspace).order_by("-updated_at", "-id")
    query = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    if query:
        qs = qs.filter(
            Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
            | Q(email__icontains=query)
            | Q(phone__icontains=query)
        )
    if status in Lead.Status.values:
        qs = qs.filter(status=status)
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "workspaces/lead_list.html",
        {"page": page, "q": query, "status": status, "statuses": Lead.Status.choices},
    )
