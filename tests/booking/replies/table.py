"""The reply table in data files: each row a reply written against an offer described relative to
the day the reply came in, so the same row is read with ``received_at`` on each of the seven
weekdays (today, tomorrow and next week all move with it).

A row (one JSON object a line in ``tuning.jsonl`` or ``heldout.jsonl``):

    {"id": "...", "offers": "days", "text": "{W2} works", "kind": "accept", "slot": 2,
     "high": true, "lang": "en", "style": "sms"}

``offers`` names an entry of ``OFFERS``. ``text`` may hold placeholders, filled in for the day of
the run. For option i: ``{Wi}`` its weekday ("Tuesday"), ``{Ai}`` abbreviated ("Tue"), ``{wi}``
and ``{ai}`` in lower case, ``{Di}`` "Dec 3", ``{Mi}`` "December 3", ``{Ni}`` "12/3", ``{Oi}``
"3rd", ``{Ti}`` "10am", ``{Hi}`` "10", ``{Ci}`` "10:00", ``{Si}`` and ``{Yi}`` a misspelled
weekday ("Wensday"); ``{Wi_es}``, ``{Wi_fr}``, ``{Wi_de}``, ``{Wi_pt}``, ``{Ai_es}`` … and
``{Di_es}`` … the weekday, its short form and the date in Spanish, French, German and
Portuguese. ``{X}`` (and ``{X_fr}`` …) is a weekday with no offered time, ``{TODAY}`` the
weekday the reply came on, ``{OFFER}`` the offer as we sent it.
``high`` (for ``accept``) says the reply is a clear acceptance: it must be booked.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).parent
SETS = ("tuning", "heldout")

# name: (lead zone, reply's local time of day, offered times as (days from today, hour, minute))
OFFERS: dict[str, tuple[str, tuple[int, int], tuple[tuple[int, int, int], ...]]] = {
    "days": ("America/New_York", (8, 0), ((1, 9, 0), (2, 10, 0), (3, 13, 0))),
    "today": ("America/New_York", (5, 30), ((0, 10, 0), (1, 15, 0), (8, 11, 0))),
    "week": ("America/New_York", (8, 0), ((0, 15, 0), (1, 11, 0), (7, 10, 0))),
    "twoday": ("America/New_York", (8, 0), ((1, 10, 0), (1, 15, 0), (2, 11, 0))),
    "samehour": ("America/New_York", (8, 0), ((1, 10, 0), (2, 10, 0), (3, 15, 0))),
    "two": ("America/New_York", (8, 0), ((1, 11, 0), (3, 16, 0))),
    "one": ("America/New_York", (8, 0), ((1, 14, 0),)),
    "none": ("America/New_York", (8, 0), ()),
    "chicago": ("America/Chicago", (7, 0), ((1, 9, 0), (2, 10, 0), (3, 13, 0))),
    "paris": ("Europe/Paris", (9, 0), ((1, 9, 0), (2, 10, 0), (3, 14, 30))),
    "berlin": ("Europe/Berlin", (9, 0), ((1, 9, 0), (2, 10, 0), (3, 14, 0))),
    "lisbon": ("Europe/Lisbon", (9, 0), ((1, 9, 0), (2, 10, 0), (3, 15, 0))),
    "madrid": ("Europe/Madrid", (9, 0), ((1, 9, 0), (2, 10, 0), (3, 13, 0))),
    "saopaulo": ("America/Sao_Paulo", (8, 0), ((1, 9, 0), (2, 10, 0), (3, 14, 0))),
}
# The seven days a row is read on: Monday 25 November 2030 to Sunday 1 December 2030.
WEEK = tuple(dt.date(2030, 11, 25) + dt.timedelta(days=n) for n in range(7))

_NAMES = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "es": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "de": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
    "pt": ("segunda", "terça", "quarta", "quinta", "sexta", "sábado", "domingo"),
}
_SHORT = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "es": ("lun", "mar", "mié", "jue", "vie", "sáb", "dom"),
    "fr": ("lun", "mar", "mer", "jeu", "ven", "sam", "dim"),
    "de": ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"),
    "pt": ("seg", "ter", "qua", "qui", "sex", "sáb", "dom"),
}
# Common misspellings of each weekday (``{Si}`` and ``{Yi}``).
_TYPOS = {
    "S": ("Mondy", "Teusday", "Wensday", "Thrusday", "Firday", "Saterday", "Sunady"),
    "Y": ("Munday", "Tuesay", "Wendsday", "Thurday", "Fridy", "Saturdy", "Sundy"),
}
_MONTHS = {  # November and December: the offers fall in them
    "es": {11: "noviembre", 12: "diciembre"},
    "fr": {11: "novembre", 12: "décembre"},
    "de": {11: "November", 12: "Dezember"},
    "pt": {11: "novembro", 12: "dezembro"},
}
_UNOFFERED_DAY = 5  # days from today: no offer set has a time on that weekday


@dataclass(frozen=True)
class Row:
    id: str
    offers: str
    text: str
    kind: str
    slot: int | None
    high: bool | None
    lang: str
    style: str


@dataclass(frozen=True)
class Case:
    """A row as read on one day."""

    row: Row
    day: dt.date
    text: str
    zone: str
    received_at: dt.datetime
    starts: tuple[dt.datetime, ...]


def rows(name: str) -> list[Row]:
    lines = (HERE / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    out = []
    for line in lines:
        if not line.strip():
            continue
        data = json.loads(line)
        out.append(
            Row(
                id=data["id"],
                offers=data["offers"],
                text=data["text"],
                kind=data["kind"],
                slot=data.get("slot"),
                high=data.get("high"),
                lang=data.get("lang", "en"),
                style=data.get("style", "sms"),
            )
        )
    return out


def cases(name: str) -> Iterator[Case]:
    for row in rows(name):
        for day in WEEK:
            yield case(row, day)


def case(row: Row, day: dt.date) -> Case:
    zone, (hour, minute), offered = OFFERS[row.offers]
    tz = ZoneInfo(zone)
    received = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=tz)
    locals_ = [
        dt.datetime.combine(day + dt.timedelta(days=d), dt.time(h, m), tzinfo=tz)
        for d, h, m in offered
    ]
    return Case(
        row=row,
        day=day,
        text=row.text.format_map(_placeholders(day, locals_)),
        zone=zone,
        received_at=received.astimezone(dt.UTC),
        starts=tuple(s.astimezone(dt.UTC) for s in locals_),
    )


def _placeholders(day: dt.date, offered: list[dt.datetime]) -> dict[str, str]:
    values = {"TODAY": _NAMES["en"][day.weekday()], "OFFER": _offer(offered)}
    values |= _day_words("X", (day + dt.timedelta(days=_UNOFFERED_DAY)).weekday())
    for i, start in enumerate(offered, start=1):
        values |= _day_words(f"W{i}", start.weekday(), short=f"A{i}")
        hour12 = start.hour % 12 or 12
        suffix = "am" if start.hour < 12 else "pm"
        minutes = f":{start.minute:02d}" if start.minute else ""
        values |= {
            f"D{i}": f"{start:%b} {start.day}",
            f"M{i}": f"{start:%B} {start.day}",
            f"N{i}": f"{start.month}/{start.day}",
            f"O{i}": _ordinal(start.day),
            f"T{i}": f"{hour12}{minutes}{suffix}",
            f"H{i}": f"{hour12}{minutes}",
            f"C{i}": f"{start:%H:%M}",
            f"D{i}_es": f"{start.day} de {_MONTHS['es'][start.month]}",
            f"D{i}_fr": f"{start.day} {_MONTHS['fr'][start.month]}",
            f"D{i}_de": f"{start.day}. {_MONTHS['de'][start.month]}",
            f"D{i}_pt": f"{start.day} de {_MONTHS['pt'][start.month]}",
        }
    return values


def _day_words(key: str, weekday: int, short: str = "") -> dict[str, str]:
    values = {key: _NAMES["en"][weekday]}
    values |= {f"{typo}{key[1:]}": names[weekday] for typo, names in _TYPOS.items() if short}
    values |= {f"{key}_{lang}": names[weekday] for lang, names in _NAMES.items()}
    short = short or f"{key}A"
    values[short] = _SHORT["en"][weekday]
    values[key.lower()] = values[key].lower()
    values[short.lower()] = values[short].lower()
    values |= {f"{short}_{lang}": names[weekday] for lang, names in _SHORT.items()}
    return values


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _offer(offered: list[dt.datetime]) -> str:
    lines = []
    for i, start in enumerate(offered, start=1):
        clock = start.strftime("%I:%M %p").lstrip("0")
        lines.append(f"{i}) {start:%a %b} {start.day}, {clock} {start.tzname()}")
    return "\n".join(lines)
