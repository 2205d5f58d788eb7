"""The days and times a reply names ("Tuesday at 2pm", "tomorrow at 10", "Dec 3 at 10:30",
"4pm pacific", "el martes a las 10", "mardi à 10h", "Dienstag um 10 Uhr", "quinta às 15h").

Weekdays and day-and-month dates are read by ``booking.reading.days``, option numbers and bare
hours by ``booking.reading.numbers``, time zones by ``booking.reading.zones``; each is masked out
of the text before dateparser reads the rest (times, "tomorrow", "12/4", weekdays in Italian and
Dutch). dateparser's ``search_dates`` finds "dates" in plain words ("we" is Wednesday, "may be"
is May, a French "10h" is ten hours from now), so a hit counts only when dateparser itself shows
it names something: a clock time that does not move with the reference time, a weekday written
out, a relative day ("tomorrow"), or a date with its day number. A hit that names a day we
cannot pin down ("the 4th at 10am") is kept as ``unreadable`` so it can never be mistaken for a
time-only answer.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from dateparser.conf import Settings
from dateparser.date import DateDataParser
from dateparser.languages.loader import default_loader
from dateparser.search import search_dates

from booking.reading.days import Day, find_days
from booking.reading.moments import Moment, paired
from booking.reading.numbers import Numbers
from booking.reading.words import GREETINGS
from booking.reading.zones import find_zones, with_zones

logger = logging.getLogger(__name__)

# The languages a reply is read in. Fewer languages make dateparser faster and find fewer
# false "dates" in English words; these are the ones our leads write in.
LANGUAGES = ("en", "es", "fr", "de", "pt", "it", "nl")

# A second reference time, 45 days and some minutes on: a clock time that moves with it is a
# duration ("in 2 hours", "10h"), and a day that stays put relative to both names no day.
_OTHER_BASE = timedelta(days=45, minutes=17, seconds=23)
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)  # fmt: skip
_AM_PM = re.compile(r"\d\s?(?:[ap]\.?\s?m\b\.?)|(?<!\w)(?:noon|midnight|midday)(?!\w)", re.I)
_NUMERIC_DATE = re.compile(r"\d[/.-]\d")
_LETTERS = re.compile(r"[^\W\d_]+")
_MIN_WEEKDAY_LETTERS = 4  # "we", "sat", "sun", "mar" are words too; "Tues" and "Friday" are days
_MIN_WEEKDAY_LETTERS_WITH_TIME = 3  # "Wed 10am"


def find_moments(
    text: str, numbers: Numbers, *, zone: ZoneInfo, received_at: datetime
) -> list[Moment]:
    """Every day/time ``text`` names, in order, with bare hours paired to the day beside them."""
    # Midnight of the day the reply came: "1:00" is a time today, not tomorrow because 1 AM
    # has passed. Relative days ("tomorrow") only need the date.
    base = datetime.combine(received_at.astimezone(zone).date(), time())
    zones = find_zones(text)
    masked = _mask(text, [*((o.start, o.end) for o in numbers.options), *(z.span() for z in zones),
                          *_greetings(text)])  # fmt: skip
    days = find_days(masked, today=base.date())  # hours stay: "Do 14 Uhr" is a day
    masked = _mask(masked, [*numbers.spans(), *((d.start, d.end) for d in days)])
    moments = _dateparser_moments(masked, text, base, zone)
    moments += [_of_day(d, text, zone) for d in days]
    moments += [
        Moment(
            text=text[h.start : h.end],
            start=h.start,
            end=h.end,
            zone=zone,
            clock=time(h.hour % 24, h.minute),
            twelve_hour=h.hour <= 12 and not h.exact,
        )
        for h in numbers.hours
    ]
    moments = paired(sorted(moments, key=lambda m: m.start), masked)
    return with_zones(moments, text, zones)


def _of_day(day: Day, text: str, zone: ZoneInfo) -> Moment:
    found = text[day.start : day.end]
    return Moment(
        text=found, start=day.start, end=day.end, zone=zone, day=day.day,
        weekday=day.weekday, nearest=day.nearest, part_of_day=day.part_of_day,
    )  # fmt: skip


# --- dateparser -----------------------------------------------------------------------------


# What is left for dateparser once days, numbers and zones are masked: without a digit or one of
# these words it can name no time, and it is spared the work (most of a reply's reading time).
_LEFT_FOR_DATEPARSER = re.compile(
    r"\d|today|tonight|tomorrow|yesterday|noon|midnight|midday|week|month|hoy|ma[ñn]ana|pasado|"
    r"hoje|amanh[ãa]|aujourd|demain|soir|heute|morgen|oggi|domani|vandaag|next|this|coming|"
    r"pr[oó]xim|prochain|n[äa]chst|siguiente|semana|semaine|woche|mittag|midi|mediod[ií]a",
    re.IGNORECASE,
)


def _dateparser_moments(masked: str, text: str, base: datetime, zone: ZoneInfo) -> list[Moment]:
    if not _LEFT_FOR_DATEPARSER.search(masked):
        return []
    try:
        return _search(masked, text, base, zone)
    except Exception:  # dateparser on untrusted text: a crash must not retry the task forever
        logger.exception("dateparser failed on a reply of %d characters", len(text))
        unread = "the days and times in the reply could not be read"
        return [Moment(text=text, start=0, end=len(text), zone=zone, unreadable=unread)]


def _search(masked: str, text: str, base: datetime, zone: ZoneInfo) -> list[Moment]:
    hits = search_dates(
        masked,
        languages=list(LANGUAGES),
        settings={"RELATIVE_BASE": base, "PREFER_DATES_FROM": "future"},
        add_detected_language=True,
    )
    moments, cursor = [], 0
    for found, _, language in hits or []:
        span = _locate(masked, found, cursor)
        if span is None:
            continue
        cursor = span[1]
        moment = _read(found, language, base, zone, span)
        if moment is not None:
            moments.append(replace(moment, text=_label(text[span[0] : span[1]])))
    return moments


def _label(found: str) -> str:
    """The hit as the lead wrote it, without the filler dateparser takes along ("and", "just")."""
    words = found.split()
    while len(words) > 1 and words[0].lower() in _FILLER:
        words.pop(0)
    return " ".join(words)


_FILLER = {"and", "about", "just", "of", "by", "from", "y", "et", "und"}


def _locate(masked: str, found: str, cursor: int) -> tuple[int, int] | None:
    """Where a hit is in the text: dateparser hands it back with its spaces squeezed."""
    words = found.split()
    if not words:
        return None
    pattern = re.compile(r"\s+".join(map(re.escape, words)))
    match = pattern.search(masked, cursor)
    return match.span() if match else None


def _read(found: str, language: str, base: datetime, zone: ZoneInfo, span) -> Moment | None:
    """What one dateparser hit names, or None when it names nothing we can use."""
    first, second = _parse(found, language, base), _parse(found, language, base + _OTHER_BASE)
    if first is None or second is None:
        return None
    words = _translated(found, language)
    clock = _clock(first, second)
    if first.period == "time" and clock is None:
        return None
    moment = Moment(text=found, start=span[0], end=span[1], zone=zone)
    if clock is not None:
        moment = replace(moment, clock=clock, twelve_hour=_twelve_hour(found, clock))
    if first.period == "part_of_day":
        moment = replace(moment, part_of_day=first.date_obj.hour)
    moment = _with_day(moment, found, language, words, base, first, second)
    if not (moment.has_day or moment.has_time or moment.unreadable or moment.part_of_day):
        return None
    return moment


def _with_day(moment, found, language, words, base, first, second) -> Moment:
    day = first.date_obj.date()
    weekday = _weekday_written(found, language, with_time=moment.has_time)
    explicit = (words & set(_MONTHS) and any(c.isdigit() for c in found)) or bool(
        _NUMERIC_DATE.search(found)
    )
    if explicit:
        if weekday is not None and weekday != day.weekday():
            return replace(moment, unreadable=f"“{found}” names a weekday and a date that differ")
        return replace(moment, day=day)
    if "day" in words:  # dateparser writes "today" as "0 day ago", "tomorrow" as "in 1 day"
        return replace(moment, day=day)
    if weekday is not None:  # the coming one, today's included ("Thursday" on a Thursday)
        ahead = (weekday - base.weekday()) % 7
        return replace(moment, weekday=weekday, nearest=base.date() + timedelta(days=ahead))
    names_a_day = (day - base.date()).days != 0 or (
        second.date_obj.date() - (base + _OTHER_BASE).date()
    ).days != 0
    if names_a_day and (moment.has_time or any(c.isdigit() for c in found)):
        return replace(moment, unreadable=f"“{found}” names a day that could not be read")
    return moment


def _clock(first, second) -> time | None:
    """The clock time, when it stays put as the reference time moves (not a duration)."""
    if first.period != "time":
        return None
    one, other = first.date_obj.time(), second.date_obj.time()
    return one.replace(second=0, microsecond=0) if one == other else None


def _twelve_hour(found: str, clock: time) -> bool:
    return clock.hour <= 12 and not _AM_PM.search(found)


def _weekday_written(found: str, language: str, *, with_time: bool) -> int | None:
    """The weekday a word of ``found`` names when written out (not "we" or "sat")."""
    shortest = _MIN_WEEKDAY_LETTERS_WITH_TIME if with_time else _MIN_WEEKDAY_LETTERS
    named = set()
    for word in _LETTERS.findall(found):
        if len(word) < shortest:
            continue
        named |= {i for i, name in enumerate(_WEEKDAYS) if name in _translated(word, language)}
    return named.pop() if len(named) == 1 else None


def _parse(found: str, language: str, base: datetime):
    data = _parser(language, base).get_date_data(found)
    return data if data.date_obj is not None else None


@lru_cache(maxsize=64)
def _parser(language: str, base: datetime) -> DateDataParser:
    return DateDataParser(
        languages=[language],
        settings={
            "RELATIVE_BASE": base,
            "PREFER_DATES_FROM": "future",
            "RETURN_TIME_AS_PERIOD": True,
        },
    )


@lru_cache(maxsize=4096)
def _translated(found: str, language: str) -> frozenset[str]:
    """dateparser's English rendering of ``found``'s words ("martes" -> "tuesday")."""
    locale = default_loader.get_locale(language)
    english = locale.translate(found.lower(), keep_formatting=False, settings=_SETTINGS)
    return frozenset(english.split())


_SETTINGS = Settings()


# --- bare hours, zones, masking ---------------------------------------------------------------


def _greetings(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in GREETINGS.finditer(text)]


def _mask(text: str, spans) -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)
