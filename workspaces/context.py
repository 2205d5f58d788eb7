from workspaces.access import workspaces_for


def workspace_nav(request):
    """The workspace switcher and the current workspace's menu, on every page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_workspaces": workspaces_for(user).only("public_id", "name"),
        "current_workspace": getattr(request, "workspace", None),
        "current_roles": getattr(request, "workspace_roles", set()),
    }
