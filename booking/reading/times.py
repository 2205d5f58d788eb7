"""The days and times a reply names ("Tuesday at 2pm", "tomorrow at 10", "Dec 3 at 10:30",
"4pm pacific", "el martes a las 10", "mardi à 10h", "Dienstag um 10 Uhr"), read by dateparser.

dateparser's ``search_dates`` finds "dates" in plain words ("we" is Wednesday, "may be" is May,
"out" is October in Portuguese, a French "10h" is ten hours from now), so a hit counts only when
dateparser itself shows it names something: a clock time that does not move with the reference
time, a weekday written out, a relative day ("tomorrow"), or a date with its day number. A hit
that names a day we cannot pin down ("the 4th at 10am") is kept as ``unreadable`` so it can
never be mistaken for a time-only answer.

Bare hours ("at 10") come from ``booking.reading.numbers`` and are paired here with the day next to
them. Time zones named in the reply ("4pm pacific", "16:00 CET") are taken out before dateparser
reads the text and applied here, so a time is always read in the zone the lead named, else in the
lead's own.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

from dateparser.conf import Settings
from dateparser.date import DateDataParser
from dateparser.languages.loader import default_loader
from dateparser.search import search_dates

from booking.reading.numbers import Numbers
from booking.reading.words import GREETINGS

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

_ZONE_NAMES = {
    "pacific": "America/Los_Angeles",
    "mountain": "America/Denver",
    "central": "America/Chicago",
    "eastern": "America/New_York",
    "alaska": "America/Anchorage",
    "hawaii": "Pacific/Honolulu",
}
# Abbreviations name the region's zone, so "4pm EST" in July is 4 PM New York time: leads
# write EST all year, and reading it strictly would put them an hour off what they meant.
_ZONE_ABBREVIATIONS = {
    **dict.fromkeys(("PT", "PST", "PDT"), "America/Los_Angeles"),
    **dict.fromkeys(("MT", "MST", "MDT"), "America/Denver"),
    **dict.fromkeys(("CT", "CST", "CDT"), "America/Chicago"),
    **dict.fromkeys(("ET", "EST", "EDT"), "America/New_York"),
    **dict.fromkeys(("AKST", "AKDT"), "America/Anchorage"),
    "HST": "Pacific/Honolulu",
    **dict.fromkeys(("GMT", "UTC"), "UTC"),
    "BST": "Europe/London",
    **dict.fromkeys(("CET", "CEST", "MEZ", "MESZ"), "Europe/Berlin"),
    **dict.fromkeys(("EET", "EEST"), "Europe/Athens"),
    **dict.fromkeys(("WET", "WEST"), "Europe/Lisbon"),
}
_ZONE = re.compile(
    r"(?<![\w])(?:"
    r"(?P<offset>(?:UTC|GMT)\s?(?P<sign>[+-])(?P<hours>\d{1,2})(?::?(?P<minutes>\d{2}))?)"
    r"|(?P<name>pacific|mountain|central|eastern|alaska|hawaii)(?:\s+(?:standard|daylight))?"
    r"(?P<time>\s+time)?"
    r"|(?P<abbr>" + "|".join(sorted(_ZONE_ABBREVIATIONS, key=len, reverse=True)) + r")"
    r")(?![\w])",
    re.IGNORECASE,
)
_ZONE_GAP = re.compile(r"^[\s(]*$")  # between a time and its zone: "4pm (PT)", "4pm pacific"


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


def find_moments(
    text: str, numbers: Numbers, *, zone: ZoneInfo, received_at: datetime
) -> list[Moment]:
    """Every day/time ``text`` names, in order, with bare hours paired to the day beside them."""
    # Midnight of the day the reply came: "1:00" is a time today, not tomorrow because 1 AM
    # has passed. Relative days ("tomorrow") only need the date.
    base = datetime.combine(received_at.astimezone(zone).date(), time())
    zones = list(_ZONE.finditer(text))
    masked = _mask(text, [*numbers.spans(), *(z.span() for z in zones), *_greetings(text)])
    moments = _dateparser_moments(masked, text, base, zone)
    moments += [
        Moment(
            text=text[h.start : h.end],
            start=h.start,
            end=h.end,
            zone=zone,
            clock=time(h.hour % 24),
            twelve_hour=h.hour <= 12,
        )
        for h in numbers.hours
    ]
    moments = _paired(sorted(moments, key=lambda m: m.start), masked)
    return _with_zones(moments, text, zones)


# --- dateparser -----------------------------------------------------------------------------


def _dateparser_moments(masked: str, text: str, base: datetime, zone: ZoneInfo) -> list[Moment]:
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
    if not moment.has_day and not moment.has_time and not moment.unreadable:
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
    if weekday is not None:
        return replace(moment, weekday=weekday, nearest=day)
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


def _paired(moments: list[Moment], masked: str) -> list[Moment]:
    """Join a day and a time written next to each other ("Tuesday at 10", "at 10 on Tuesday")."""
    out: list[Moment] = []
    for moment in moments:
        previous = out[-1] if out else None
        if previous is not None and _pair(previous, moment, masked):
            out[-1] = _joined(previous, moment)
        else:
            out.append(moment)
    return out


def _pair(a: Moment, b: Moment, masked: str) -> bool:
    if a.unreadable or b.unreadable:
        return False
    day_and_time = (a.has_day and not a.has_time and b.has_time and not b.has_day) or (
        b.has_day and not b.has_time and a.has_time and not a.has_day
    )
    return day_and_time and _connects(masked[a.end : b.start])


_CONNECTORS = {
    "at", "on", "the", "around", "um", "am", "a", "las", "la", "à", "alle", "às", "as", "om",
    "el", "le", "de", "der", "den", "del", "ab", "o'clock", "uhr",
}  # fmt: skip


def _connects(gap: str) -> bool:
    words = re.findall(r"[\w'’]+", gap.lower())
    return len(gap) <= 20 and all(w in _CONNECTORS for w in words)


def _joined(a: Moment, b: Moment) -> Moment:
    day, clock = (a, b) if a.has_day else (b, a)
    return replace(
        day,
        text=f"{a.text} … {b.text}",
        start=a.start,
        end=b.end,
        clock=clock.clock,
        twelve_hour=clock.twelve_hour,
        part_of_day=None,
    )


def _with_zones(moments: list[Moment], text: str, zones) -> list[Moment]:
    """A zone right after (or inside) a time is that time's; a zone named on its own ("I'm on
    Pacific time") is every other time's. Two such zones make every time unreadable."""
    attached: dict[int, tzinfo] = {}
    loose: list[tzinfo] = []
    for found in zones:
        zone = _zone_of(found)
        if zone is None:
            continue
        owner = next(
            (
                i
                for i, m in enumerate(moments)
                if m.has_time
                and (m.start <= found.start() < m.end or _zone_follows(text, m, found))
            ),
            None,
        )
        if owner is not None and owner not in attached:
            attached[owner] = zone
        elif _stands_alone(found):
            loose.append(zone)
    distinct_loose = {getattr(z, "key", str(z)) for z in loose}
    out = []
    for i, moment in enumerate(moments):
        if i in attached:
            moment = replace(moment, zone=attached[i])
        elif len(distinct_loose) == 1:
            moment = replace(moment, zone=loose[0])
        elif len(distinct_loose) > 1:
            moment = replace(moment, unreadable="the reply names more than one time zone")
        out.append(moment)
    return out


def _zone_follows(text: str, moment: Moment, found: re.Match) -> bool:
    return found.start() >= moment.end and bool(_ZONE_GAP.match(text[moment.end : found.start()]))


def _zone_of(found: re.Match) -> tzinfo | None:
    if found.group("offset"):
        sign = -1 if found.group("sign") == "-" else 1
        hours, minutes = int(found.group("hours")), int(found.group("minutes") or 0)
        if hours > 14 or minutes > 59:
            return None
        return timezone(sign * timedelta(hours=hours, minutes=minutes))
    if found.group("name"):
        return ZoneInfo(_ZONE_NAMES[found.group("name").lower()])
    abbr = found.group("abbr")
    # Two-letter abbreviations only in capitals: "et" is French for "and".
    if len(abbr) <= 2 and abbr != abbr.upper():
        return None
    return ZoneInfo(_ZONE_ABBREVIATIONS[abbr.upper()])


def _stands_alone(found: re.Match) -> bool:
    """A zone not next to a time counts only when it can't be another word: "Pacific time",
    "EST", "UTC+1" (not "central", "est" or "PT")."""
    if found.group("offset") or found.group("time"):
        return True
    abbr = found.group("abbr")
    return bool(abbr) and len(abbr) >= 3 and abbr == abbr.upper()


def _greetings(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in GREETINGS.finditer(text)]


def _mask(text: str, spans) -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)
