from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from workspaces.access import MEMBERS, workspace_view, workspaces_for
from workspaces.lead_list import page_of, search
from workspaces.models import Lead


@login_required
def home(request):
    workspaces = list(workspaces_for(request.user))
    if len(workspaces) == 1:
        return redirect("appointment_list", workspace_id=workspaces[0].public_id)
    return render(request, "workspaces/home.html", {"workspaces": workspaces})


@workspace_view(roles=MEMBERS)
def lead_list(request):
    """Leads, most recently updated first, a page at a time by keyset (``after``/``before``,
    see ``workspaces.lead_list``). An old ``?page=N`` link shows the first page."""
    qs = Lead.objects.filter(workspace=request.workspace)
    query = " ".join(request.GET.get("q", "").split())
    status = request.GET.get("status", "")
    qs = search(qs, query)
    if status in Lead.Status.values:
        qs = qs.filter(status=status)
    page = page_of(qs, after=request.GET.get("after", ""), before=request.GET.get("before", ""))
    return render(
        request,
        "workspaces/lead_list.html",
        {
            "page": page,
            "q": query,
            "status": status,
            "statuses": Lead.Status.choices,
            "filters": urlencode({k: v for k, v in {"q": query, "status": status}.items() if v}),
        },
    )
