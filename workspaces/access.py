"""Who may see what. A non-member gets a 404 (we don't confirm a workspace exists); a member
without the role a page needs gets a 403."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404

from workspaces.models import Membership, Workspace

Role = Membership.Role


def workspaces_for(user):
    """Active workspaces the user may open (staff: all of them)."""
    qs = Workspace.objects.filter(is_active=True)
    if user.is_staff:
        return qs
    return qs.filter(memberships__user=user).distinct()


def roles_in(user, workspace) -> set[str]:
    if user.is_staff:
        return {Role.ADMIN, Role.SETTER, Role.INBOX_MANAGER}
    return set(
        Membership.objects.filter(user=user, workspace=workspace).values_list("role", flat=True)
    )


def get_workspace_for(user, public_id, *, roles: set[str] | None = None) -> tuple[Workspace, set]:
    try:
        workspace = Workspace.objects.get(public_id=public_id, is_active=True)
    except (Workspace.DoesNotExist, ValueError):
        raise Http404("No such workspace.") from None
    held = roles_in(user, workspace)
    if not held:
        raise Http404("No such workspace.")
    if roles and not (held & set(roles)):
        raise PermissionDenied("Your role in this workspace does not allow this page.")
    return workspace, held


def workspace_view(*, roles: set[str] | None = None):
    """Decorates a view taking ``workspace_id``: sets ``request.workspace`` and
    ``request.workspace_roles`` or answers 404/403."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, workspace_id, *args, **kwargs):
            workspace, held = get_workspace_for(request.user, workspace_id, roles=roles)
            request.workspace = workspace
            request.workspace_roles = held
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


ADMINS = {Role.ADMIN}
MEMBERS = {Role.ADMIN, Role.SETTER, Role.INBOX_MANAGER}
SETTERS = {Role.ADMIN, Role.SETTER}
