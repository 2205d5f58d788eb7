"""The week view of a workspace's appointments: seven days in one zone, each with its meetings.

Pure once the rows are read: ``week_of`` picks the week a URL asks for, ``build_week`` lays the
appointments out by local day, so a meeting at 11 PM in New York lands on its New York day.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
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


@dataclass
class Day:
    date: date
    is_today: bool
    appointments: list[Appointment] = field(default_factory=list)


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


def build_week(week: Week, appointments, *, today: date) -> list[Day]:
    days = [
        Day(date=week.monday + timedelta(days=n), is_today=week.monday + timedelta(days=n) == today)
        for n in range(7)
    ]
    for appointment in appointments:
        local = appointment.start_at.astimezone(week.zone).date()
        days[(local - week.monday).days].appointments.append(appointment)
    return days
