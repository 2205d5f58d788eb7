"""The week view of a workspace's appointments: seven days in one zone, each with its meetings.

Pure once the rows are read: ``week_of`` picks the week a URL asks for, ``build_week`` lays the
appointments out by local day, so a meeting at 11 PM in New York lands on its New York day.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, Prefetch, QuerySet, Window
from django.db.models.functions import RowNumber, TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from booking.models import Appointment
from workspaces import provider_choices
from workspaces.formatting import format_time
from workspaces.models import Lead


@dataclass(frozen=True)
class Week:
    monday: date
    zone: zoneinfo.ZoneInfo

    @property
    def start(self) -> datetime:
        return datetime.combine(self.monday, time.min, tzinfo=self.zone)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.monday + timedelta(days=7), time.min, tzinfo=self.zone)

    @property
    def previous(self) -> date:
        return self.monday - timedelta(days=7)

    @property
    def next(self) -> date:
        return self.monday + timedelta(days=7)


# The most meetings a day's column draws (and the Today list); the rest are counted. A busy
# agency books hundreds a day, and a page drawing thousands of rows is neither fast nor read.
DAY_LIMIT = 12
TODAY_LIMIT = 25


@dataclass(frozen=True)
class Slot:
    """One drawn meeting with its text worked out once, in Python: done by the template (a URL
    tag, three date filters and a provider lookup per meeting) it was most of the page's time."""

    appointment: Appointment
    href: str  # the lead's page
    iso: str  # <time datetime="...">, in the current time zone as the ``date:'c'`` filter gave
    clock: str  # "9:00 AM" in the view's zone
    when: str  # "Tue Dec 1, 9:00 AM EST" in the view's zone
    lead_name: str
    status: str
    status_label: str
    provider_label: str


@dataclass
class Day:
    date: date
    is_today: bool
    appointments: list[Slot] = field(default_factory=list)
    more: int = 0  # the day's meetings not drawn (over DAY_LIMIT)


def week_of(raw: str | None, zone: zoneinfo.ZoneInfo, *, today: date | None = None) -> Week:
    """The week holding the ISO date ``raw`` (any day of it), else this week in ``zone``."""
    today = today or timezone.now().astimezone(zone).date()
    try:
        day = date.fromisoformat(raw) if raw else today
    except ValueError:
        day = today
    return Week(monday=day - timedelta(days=day.weekday()), zone=zone)


def appointments_in(
    *, workspace, start: datetime, end: datetime, status: str = "", provider: str = ""
) -> QuerySet[Appointment]:
    qs = Appointment.objects.filter(workspace=workspace, start_at__gte=start, start_at__lt=end)
    if status:
        qs = qs.filter(status=status)
    if provider:
        qs = qs.filter(provider=provider)
    return qs.select_related("lead").order_by("start_at", "id")


def first_of_each_day(
    qs: QuerySet[Appointment], zone, *, limit: int = DAY_LIMIT
) -> list[Appointment]:
    """The first ``limit`` of ``qs`` on each local day in ``zone``, each with ``day_total``
    (how many that day has), ranked in the database, so a day with 500 meetings sends 12 rows,
    not 500.

    The ranking reads only ids and start times, all in the ``appt_ws_start`` index (an
    index-only scan: a busy week's thousands of rows are never fetched from the table); then
    the drawn rows, with only the columns a slot shows, and their leads, each in one statement.
    """
    day = TruncDate("start_at", tzinfo=zone)
    ranked = (
        qs.select_related(None)
        .order_by()
        .annotate(
            day_rank=Window(RowNumber(), partition_by=[day], order_by=[F("start_at"), F("id")]),
            day_total=Window(Count("id"), partition_by=[day]),
        )
        .filter(day_rank__lte=limit)
        .values_list("pk", "day_total")
    )
    totals = dict(ranked)
    if not totals:
        return []
    leads = Lead.objects.only("id", "first_name", "last_name", "email", "phone")
    rows = list(
        Appointment.objects.filter(pk__in=totals)
        .only("id", "workspace_id", "lead_id", "provider", "status", "start_at")
        .prefetch_related(Prefetch("lead", queryset=leads))
        .order_by("start_at", "id")
    )
    for row in rows:
        row.day_total = totals[row.pk]
    return rows


def slots_of(appointments, *, zone, workspace_public_id) -> list[Slot]:
    """The drawn meetings as ``Slot``s."""
    labels = dict(provider_choices.choices())
    # One reverse() for all: the lead pages' URLs differ only by the lead's id at the end.
    sample = reverse("lead_detail", args=[workspace_public_id, 0])
    leads_url = sample[: sample.rindex("/0/") + 1]
    slots = []
    for appointment in appointments:
        start = appointment.start_at
        slots.append(
            Slot(
                appointment=appointment,
                href=f"{leads_url}{appointment.lead_id}/",
                iso=timezone.localtime(start).isoformat(),
                clock=_clock(start.astimezone(zone)),
                when=format_time(start, zone),
                lead_name=appointment.lead.display_name,
                status=appointment.status,
                status_label=appointment.get_status_display(),
                provider_label=labels.get(appointment.provider, appointment.provider),
            )
        )
    return slots


def _clock(local: datetime) -> str:
    """What the ``date:"g:i A"`` filter gives ("9:05 AM"), without its format parser."""
    half = _("PM") if local.hour > 11 else _("AM")
    return f"{local.hour % 12 or 12}:{local.minute:02d} {half}"


def build_week(week: Week, slots: list[Slot], *, today: date) -> list[Day]:
    """Lays out the ``first_of_each_day`` rows, as slots, by their local day."""
    days = [
        Day(date=week.monday + timedelta(days=n), is_today=week.monday + timedelta(days=n) == today)
        for n in range(7)
    ]
    for slot in slots:
        appointment = slot.appointment
        local = appointment.start_at.astimezone(week.zone).date()
        day = days[(local - week.monday).days]
        day.appointments.append(slot)
        day.more = appointment.day_total - len(day.appointments)
    return days
