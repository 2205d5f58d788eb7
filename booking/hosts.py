"""Who hosts an appointment and what was booked, as the provider says: each host's name and
e-mail, and the workspace member whose login e-mail is the first host's, so a setter who is
also a host finds "my appointments". A provider may change the host after booking (a round
robin's reassignment), so this is rewritten whenever the provider says so."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet, Subquery

from booking.models import Appointment
from workspaces.models import Workspace


@dataclass(frozen=True)
class Host:
    name: str
    email: str


def record_hosts(
    *,
    workspace: Workspace,
    appointments: QuerySet[Appointment],
    hosts: list[Host],
    event_type_name: str = "",
) -> int:
    """Set the hosts (and, when given, the event type's name) of the workspace's
    ``appointments``; rows that already say so are left alone. Returns how many changed."""
    wanted = _wanted(hosts, event_type_name)
    wanted["host_user"] = _member(workspace, wanted["host_email"])
    changed = 0
    for appointment in appointments.filter(workspace=workspace):
        if all(getattr(appointment, key) == value for key, value in wanted.items()):
            continue
        for key, value in wanted.items():
            setattr(appointment, key, value)
        appointment.save(update_fields=[*wanted, "updated_at"])
        changed += 1
    return changed


def fields_for_new(*, workspace: Workspace, hosts: list[Host], event_type_name: str = "") -> dict:
    """The same fields for an appointment about to be inserted, the host's membership looked up
    by the INSERT itself (a subquery: no statement of its own). Insert with
    ``returning=("host_user",)`` to read the member's id back."""
    wanted = _wanted(hosts, event_type_name)
    email = wanted["host_email"]
    member = _members(workspace, email).order_by("pk").values("pk")[:1] if email else None
    wanted["host_user_id"] = Subquery(member) if member is not None else None
    return wanted


def _wanted(hosts: list[Host], event_type_name: str) -> dict:
    hosts = [Host(name=h.name.strip(), email=h.email.strip().lower()) for h in hosts]
    first = hosts[0] if hosts else Host(name="", email="")
    wanted = {
        "hosts": [{"name": h.name, "email": h.email} for h in hosts],
        "host_name": first.name[:255],
        "host_email": first.email[:254],
    }
    if event_type_name:
        wanted["event_type_name"] = event_type_name[:255]
    return wanted


def hosted_by(qs: QuerySet[Appointment], email: str) -> QuerySet[Appointment]:
    """The appointments ``email`` hosts (alone, or as one of a collective's hosts)."""
    email = email.strip().lower()
    return qs.filter(Q(host_email=email) | Q(hosts__contains=[{"email": email}]))


def _member(workspace: Workspace, email: str):
    if not email:
        return None
    return _members(workspace, email).distinct().first()


def _members(workspace: Workspace, email: str):
    return get_user_model().objects.filter(email__iexact=email, memberships__workspace=workspace)
