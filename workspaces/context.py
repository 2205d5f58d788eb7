from django.urls import NoReverseMatch, reverse

from workspaces.access import ADMINS, MEMBERS, workspaces_for

# (label, url name, roles that see it). Pages live in several apps; a name that is not
# installed is skipped, so this module needs to know none of them.
NAV = [
    ("Appointments", "appointment_list", MEMBERS),
    ("Leads", "lead_list", MEMBERS),
    ("Tasks", "task_list", MEMBERS),
    ("Sequences", "sequence_list", ADMINS),
    ("Integrations", "integrations_tab", ADMINS),
]


def workspace_nav(request):
    """The workspace switcher and the current workspace's menu, on every page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Worked out once per request: a page that renders parts of itself on their own (the
    # Integrations tab's cards) runs the context processors once per part.
    # (Kept with the workspace and roles it was for, in case a page renders before choosing.)
    workspace = getattr(request, "workspace", None)
    roles = getattr(request, "workspace_roles", set())
    found = request.__dict__.get("_workspace_nav")
    if found is None or found[0] is not workspace or found[1] != roles:
        nav = {
            "nav_workspaces": workspaces_for(user).only("public_id", "name"),
            "current_workspace": workspace,
            "current_roles": roles,
            "workspace_links": _links(workspace, roles, request.path) if workspace else [],
        }
        found = request._workspace_nav = (workspace, set(roles), nav)
    return found[2]


def _links(workspace, roles, path):
    links = []
    for label, name, allowed in NAV:
        if not roles & allowed:
            continue
        try:
            url = reverse(name, args=[workspace.public_id])
        except NoReverseMatch:
            continue
        links.append({"label": label, "url": url, "current": path.startswith(url)})
    return links
