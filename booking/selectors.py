"""Reads of appointments for pages and APIs. Each returns a queryset with its joins done, so a
page costs the same number of queries for 1 row or 100."""

from django.db import connection
from django.db.models import Max, QuerySet
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
    """(e-mail, name) of everyone who hosts one of the workspace's appointments, by name.

    A loose index scan: each step asks the ``(workspace, host_email, host_name)`` index for the
    next e-mail after the last one, so this costs one probe per host, not a read of every
    appointment (a DISTINCT would read all of them)."""
    table = connection.ops.quote_name(Appointment._meta.db_table)
    sql = f"""
        WITH RECURSIVE emails(email) AS (
            SELECT MIN(host_email) FROM {table} WHERE workspace_id = %s AND host_email > ''
            UNION ALL
            SELECT (SELECT MIN(host_email) FROM {table}
                    WHERE workspace_id = %s AND host_email > emails.email)
            FROM emails WHERE emails.email IS NOT NULL
        )
        SELECT email, (SELECT MAX(host_name) FROM {table}
                       WHERE workspace_id = %s AND host_email = emails.email)
        FROM emails WHERE email IS NOT NULL
    """  # noqa: S608 (the table name is ours; the values are parameters)
    with connection.cursor() as cursor:
        cursor.execute(sql, [workspace.pk] * 3)
        rows = [(email, name or "") for email, name in cursor.fetchall()]
    return sorted(rows, key=lambda row: (row[1] or row[0]).lower())


def appointments_of_lead(*, lead) -> QuerySet[Appointment]:
    return lead.appointments.select_related("rescheduled_to").order_by("-start_at", "-id")


def live_appointment_of(*, lead) -> Appointment | None:
    """The lead's booked meeting still to come (or without a known time), if any: a lead who has
    one needs no offer of times."""
    live = lead.appointments.filter(status=Appointment.Status.BOOKED)
    live = live.exclude(start_at__lt=timezone.now())
    return live.order_by("start_at", "id").first()


def appointments_version(*, workspace) -> str:
    """Changes whenever an appointment of the workspace is added or changes (both set its
    ``updated_at``): a page polling for news compares it with the one it was drawn with, and is
    redrawn only when it moved. One probe of the ``(workspace, updated_at)`` index, where a
    count would read every row; appointments are never deleted but with their lead or
    workspace, and a lead deleted from the admin is not news a poll must show at once."""
    last = Appointment.objects.filter(workspace=workspace).aggregate(last=Max("updated_at"))
    return f"{last['last'].timestamp():.6f}" if last["last"] else "0"
