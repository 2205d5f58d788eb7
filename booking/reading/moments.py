"""A day and/or time a reply names (``Moment``), and how moments written side by side join:
"Tuesday" and "at 10" are one time, "Wednesday, 27 November" one day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, tzinfo


@dataclass(frozen=True)
class Moment:
    """One day and/or time the reply names, with the zone it is meant in.

    A day is either ``day`` (an explicit or relative date) or ``weekday`` (0 = Monday, a weekday
    on its own; ``nearest`` is the coming one). ``twelve_hour`` says am/pm was not given, so
    ``clock`` 10:00 may also be 22:00. ``part_of_day`` is the hour dateparser gives "morning" or
    "afternoon". ``unreadable`` says why a named day could not be pinned down.
    """

    text: str
    start: int
    end: int
    zone: tzinfo
    day: date | None = None
    weekday: int | None = None
    nearest: date | None = None
    clock: time | None = None
    twelve_hour: bool = False
    part_of_day: int | None = None
    unreadable: str = ""

    @property
    def has_day(self) -> bool:
        return self.day is not None or self.weekday is not None

    @property
    def has_time(self) -> bool:
        return self.clock is not None

    def instant(self) -> datetime | None:
        """The one aware time this names, when it names a day and a time (a bare hour is read
        as business hours: 7-11 in the morning, 12-6 in the afternoon)."""
        if self.clock is None or not self.has_day or self.unreadable:
            return None
        day = self.day or self.nearest
        hour = self.clock.hour
        if self.twelve_hour and 1 <= hour <= 6:
            hour += 12
        wall = datetime.combine(day, self.clock.replace(hour=hour))
        return wall.replace(tzinfo=self.zone).astimezone(UTC)


def paired(moments: list[Moment], masked: str) -> list[Moment]:
    """Join a day and a time written next to each other ("Tuesday at 10", "at 10 on Tuesday",
    "Wednesday afternoon"), and a weekday with the date beside it ("Wed Nov 27"), which must
    agree. A part of the day with no day beside it ("morning") names nothing on its own."""
    out: list[Moment] = []
    for moment in moments:
        previous = out[-1] if out else None
        if previous is not None and _same_day(previous, moment, masked):
            out[-1] = _dated(previous, moment)
        elif previous is not None and _pair(previous, moment, masked):
            out[-1] = _joined(previous, moment)
        else:
            out.append(moment)
    return [m for m in out if m.has_day or m.has_time or m.unreadable]


def _same_day(a: Moment, b: Moment, masked: str) -> bool:
    if a.unreadable or b.unreadable or a.has_time and b.has_time:
        return False
    weekday_and_date = (a.weekday is not None and b.day is not None) or (
        a.day is not None and b.weekday is not None
    )
    return weekday_and_date and _connects(masked[a.end : b.start])


def _dated(a: Moment, b: Moment) -> Moment:
    dated, named = (a, b) if a.day is not None else (b, a)
    timed = a if a.has_time else b
    joined = replace(
        dated,
        text=f"{a.text} {b.text}",
        start=a.start,
        end=b.end,
        clock=timed.clock,
        twelve_hour=timed.twelve_hour,
    )
    if named.weekday != dated.day.weekday():
        return replace(joined, unreadable=f"“{joined.text}” names a weekday and a date that differ")
    return joined


def _pair(a: Moment, b: Moment, masked: str) -> bool:
    if a.unreadable or b.unreadable:
        return False
    day_and_time = (a.has_day and not _timed(a) and _timed(b) and not b.has_day) or (
        b.has_day and not _timed(b) and _timed(a) and not a.has_day
    )
    return day_and_time and _connects(masked[a.end : b.start])


def _timed(moment: Moment) -> bool:
    return moment.has_time or moment.part_of_day is not None


_CONNECTORS = {
    "at", "on", "the", "around", "um", "am", "a", "las", "la", "à", "alle", "às", "as", "om",
    "el", "le", "de", "der", "den", "del", "ab", "o'clock", "uhr",
}  # fmt: skip


def _connects(gap: str) -> bool:
    words = re.findall(r"[\w'’]+", gap.lower())
    return len(gap) <= 20 and all(w in _CONNECTORS for w in words)


def _joined(a: Moment, b: Moment) -> Moment:
    day, clock = (a, b) if a.has_day else (b, a)  # the clock may be a part of the day
    return replace(
        day,
        text=f"{a.text} … {b.text}",
        start=a.start,
        end=b.end,
        clock=clock.clock,
        twelve_hour=clock.twelve_hour,
        part_of_day=None if clock.has_time else clock.part_of_day,
    )
