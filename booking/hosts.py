"""Who hosts an appointment and what was booked, as the provider says: each host's name and
e-mail, and the workspace member whose login e-mail is the first host's, so a setter who is
also a host finds "my appointments". A provider may change the host after booking (a round
robin's reassignment), so this is rewritten whenever the provider says so."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

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
    hosts = [Host(name=h.name.strip(), email=h.email.strip().lower()) for h in hosts]
    first = hosts[0] if hosts else Host(name="", email="")
    wanted = {
        "hosts": [{"name": h.name, "email": h.email} for h in hosts],
        "host_name": first.name[:255],
        "host_email": first.email[:254],
        "host_user": _member(workspace, first.email),
    }
    if event_type_name:
        wanted["event_type_name"] = event_type_name[:255]
    changed = 0
    for appointment in appointments.filter(workspace=workspace):
        if all(getattr(appointment, key) == value for key, value in wanted.items()):
            continue
        for key, value in wanted.items():
            setattr(appointment, key, value)
        appointment.save(update_fields=[*wanted, "updated_at"])
        changed += 1
    return changed


def hosted_by(qs: QuerySet[Appointment], email: str) -> QuerySet[Appointment]:
    """The appointments ``email`` hosts (alone, or as one of a collective's hosts)."""
    email = email.strip().lower()
    return qs.filter(Q(host_email=email) | Q(hosts__contains=[{"email": email}]))


def _member(workspace: Workspace, email: str):
    if not email:
        return None
    return (
        get_user_model()
        .objects.filter(email__iexact=email, memberships__workspace=workspace)
        .distinct()
        .first()
    )
