"""Reads of appointments for pages and APIs. Each returns a queryset with its joins done, so a
page costs the same number of queries for 1 row or 100."""

from django.db.models import Count, Max, QuerySet
from django.utils import timezone

from booking.hosts import hosted_by
from booking.models import Appointment


def appointments_for(
    *, workspace, when: str = "upcoming", status: str = "", provider: str = "", host: str = ""
) -> QuerySet[Appointment]:
    qs = Appointment.objects.filter(workspace=workspace).select_related("lead")
    now = timezone.now()
    if when == "past":
        qs = qs.filter(start_at__lt=now).order_by("-start_at", "-id")
    else:
        qs = qs.filter(start_at__gte=now).order_by("start_at", "id")
    if status:
        qs = qs.filter(status=status)
    if provider:
        qs = qs.filter(provider=provider)
    if host:
        qs = hosted_by(qs, host)
    return qs


def hosts_of(*, workspace) -> list[tuple[str, str]]:
    """(e-mail, name) of everyone who hosts one of the workspace's appointments, by name."""
    rows = (
        Appointment.objects.filter(workspace=workspace)
        .exclude(host_email="")
        .values_list("host_email", "host_name")
        .distinct()
    )
    return sorted(dict(rows).items(), key=lambda row: (row[1] or row[0]).lower())


def appointments_of_lead(*, lead) -> QuerySet[Appointment]:
    return lead.appointments.select_related("rescheduled_to").order_by("-start_at", "-id")


def live_appointment_of(*, lead) -> Appointment | None:
    """The lead's booked meeting still to come (or without a known time), if any: a lead who has
    one needs no offer of times."""
    live = lead.appointments.filter(status=Appointment.Status.BOOKED)
    live = live.exclude(start_at__lt=timezone.now())
    return live.order_by("start_at", "id").first()


def appointments_version(*, workspace) -> str:
    """Changes whenever an appointment of the workspace is added or changes: a page polling for
    news compares it with the one it was drawn with, and is redrawn only when it moved."""
    seen = Appointment.objects.filter(workspace=workspace).aggregate(
        count=Count("id"), last=Max("updated_at")
    )
    last = seen["last"].timestamp() if seen["last"] else 0
    return f"{seen['count']}-{last:.6f}"
