"""The week view of a workspace's appointments: seven days in one zone, each with its meetings.

Pure once the rows are read: ``week_of`` picks the week a URL asks for, ``build_week`` lays the
appointments out by local day, so a meeting at 11 PM in New York lands on its New York day.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, QuerySet, Window
from django.db.models.functions import RowNumber, TruncDate
from django.utils import timezone

from booking.models import Appointment


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


@dataclass
class Day:
    date: date
    is_today: bool
    appointments: list[Appointment] = field(default_factory=list)
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


def first_of_each_day(qs: QuerySet[Appointment], zone, *, limit: int = DAY_LIMIT):
    """The first ``limit`` of ``qs`` on each local day in ``zone``, each with ``day_total``
    (how many that day has), ranked in the database, so a day with 500 meetings sends 12 rows,
    not 500. The leads come in a second statement, for those rows only."""
    day = TruncDate("start_at", tzinfo=zone)
    return (
        qs.select_related(None)
        .annotate(
            day_rank=Window(RowNumber(), partition_by=[day], order_by=[F("start_at"), F("id")]),
            day_total=Window(Count("id"), partition_by=[day]),
        )
        .filter(day_rank__lte=limit)
        .prefetch_related("lead")
    )


def build_week(week: Week, appointments, *, today: date) -> list[Day]:
    """Lays out ``first_of_each_day`` rows by their local day."""
    days = [
        Day(date=week.monday + timedelta(days=n), is_today=week.monday + timedelta(days=n) == today)
        for n in range(7)
    ]
    for appointment in appointments:
        local = appointment.start_at.astimezone(week.zone).date()
        day = days[(local - week.monday).days]
        day.appointments.append(appointment)
        day.more = appointment.day_total - len(day.appointments)
    return days
