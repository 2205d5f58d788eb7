"""Reads of appointments for pages and APIs. Each returns a queryset with its joins done, so a
page costs the same number of queries for 1 row or 100."""

from django.db.models import QuerySet
from django.utils import timezone

from booking.models import Appointment


def appointments_for(
    *, workspace, when: str = "upcoming", status: str = "", provider: str = ""
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
    return qs


def appointments_of_lead(*, lead) -> QuerySet[Appointment]:
    return lead.appointments.select_related("rescheduled_to").order_by("-start_at", "-id")


def live_appointment_of(*, lead) -> Appointment | None:
    """The lead's booked meeting still to come (or without a known time), if any: a lead who has
    one needs no offer of times."""
    live = lead.appointments.filter(status=Appointment.Status.BOOKED)
    live = live.exclude(start_at__lt=timezone.now())
    return live.order_by("start_at", "id").first()
