from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from workspaces.access import workspaces_for


@login_required
def home(request):
    workspaces = list(workspaces_for(request.user))
    if len(workspaces) == 1:
        return redirect("appointment_list", workspace_id=workspaces[0].public_id)
    return render(request, "workspaces/home.html", {"workspaces": workspaces})


def lead_list(request):  # filled below in this commit series
    raise NotImplementedError


def lead_detail(request):
    raise NotImplementedError
