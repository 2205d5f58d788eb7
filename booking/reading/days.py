"""Days a reply names in words we read ourselves: weekdays (written out, abbreviated or
misspelled, in every language the reader supports) and day-and-month dates ("Nov 27",
"December 3rd", "28 de novembro", "27 novembre", "28. November").

dateparser reads these unevenly ("Tue works" is no day to it, "28. November" is "28" and a
November a year away, "quinta às 15h" is the 15th), so they are settled here and masked out of
what it reads (``booking.reading.times``). A weekday means the coming one, today's included:
"Thursday" on a Thursday is today.

Short forms that are words too ("sat", "sun", "mar", "qui", "Do") count only where a day is
plainly meant: followed by a dot, a time, or a word of agreement ("Sat works", "jeu. ça marche",
"Do 14 Uhr"). A misspelling counts only in English, starting with the right letter and closer
to one weekday than to any other ("Wensday", "Thrusday").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_FULL = {
    0: "monday lunes lundi montag segunda segunda-feira lunedì lunedi maandag",
    1: "tuesday martes mardi dienstag terça terca terça-feira terca-feira martedì martedi dinsdag",
    2: "wednesday miércoles miercoles mercredi mittwoch quarta quarta-feira mercoledì mercoledi "
    "woensdag",
    3: "thursday jueves jeudi donnerstag quinta quinta-feira giovedì giovedi donderdag",
    4: "friday viernes vendredi freitag sexta sexta-feira venerdì venerdi vrijdag",
    5: "saturday sábado sabado samedi samstag sonnabend sabato zaterdag",
    6: "sunday domingo dimanche sonntag domenica zondag",
}
# Short forms that are no other word in the languages we read.
_SAFE_SHORT = {0: "", 1: "tue tues", 2: "mié mie miér", 3: "thu thur thurs jue", 4: "fri",
               5: "sáb sab", 6: ""}  # fmt: skip
# Short forms that are also words ("mon" is French for "my", "sat" and "sun" are English).
_WORDLIKE_SHORT = {
    0: "mon lun seg", 1: "mar ter", 2: "wed mer qua", 3: "jeu qui", 4: "ven vie sex",
    5: "sat sam", 6: "sun dim dom",
}  # fmt: skip
# Parts of the day, as the hour they centre on; they count only beside a day ("Wednesday
# afternoon"), joined to it in ``booking.reading.moments``.
_PARTS_OF_DAY = {
    "morning": 9, "afternoon": 15, "evening": 19, "night": 21, "matin": 9, "après-midi": 15,
    "apres-midi": 15, "soir": 19, "vormittag": 10, "nachmittag": 15, "abend": 19, "manhã": 9,
    "manha": 9, "tarde": 15, "noite": 21, "noche": 21,
}  # fmt: skip
_GERMAN_SHORT = {"mo": 0, "di": 1, "mi": 2, "do": 3, "fr": 4, "sa": 5, "so": 6}
_ENGLISH = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_MONTH_NAMES = {
    1: "january jan enero ene janvier janv januar jän janeiro",
    2: "february feb febrero février fevrier févr fevr februar fevereiro fev",
    3: "march mar marzo mars märz maerz março marco",
    4: "april apr abril avril avr",
    5: "may mayo mai maio",
    6: "june jun junio juin juni junho",
    7: "july jul julio juillet juil juli julho",
    8: "august aug agosto août aout ago",
    9: "september sept sep septiembre setiembre septembre setembro set",
    10: "october oct octubre octobre oktober okt outubro out",
    11: "november nov noviembre novembre novembro",
    12: "december dec diciembre dic décembre decembre déc dezember dez dezembro",
}


def _table(names: dict[int, str]) -> dict[str, int]:
    return {word: key for key, words in names.items() for word in words.split()}


_WEEKDAY_WORDS = _table(_FULL)
_SAFE = _table(_SAFE_SHORT)
_WORDLIKE = _table(_WORDLIKE_SHORT)
_MONTHS = _table(_MONTH_NAMES)
# Month names that are words too ("may", "out" in Portuguese): a date only when capitalised.
_WORDLIKE_MONTHS = {"may", "mar", "set", "out", "ago", "dez", "jun", "sept", "dic"}
MONTH_WORD = re.compile(
    r"(?<!\w)(?:" + "|".join(sorted(map(re.escape, _MONTHS), key=len, reverse=True)) + r")(?!\w)",
    re.IGNORECASE,
)
_MONTH = r"(?P<month>" + "|".join(sorted(map(re.escape, _MONTHS), key=len, reverse=True)) + r")"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th|er|º|ª|\.)?"
_DATES = [
    re.compile(r"(?<![\w/])" + _MONTH + r"\.?\s+(?:the\s+)?" + _DAY + r"(?![\w/:])", re.I),
    re.compile(
        r"(?<![\w/.:])(?:the\s+)?" + _DAY + r"\s*(?:of\s+|de\s+)?" + _MONTH + r"(?!\w)", re.I
    ),
]
# "the 27th": the next day with that number, this month or the next.
_DAY_OF_MONTH = re.compile(r"(?<![\w/.:])(?:the\s+)?([0-3]?\d)(?:st|nd|rd|th)(?!\w)", re.I)
_TOKEN = re.compile(r"[^\W\d_]+(?:-(?:feira|midi))?", re.UNICODE)
_LATER = re.compile(
    r"(?:\bnext|\bpr[oó]xim[oa]|\bprochain|\bn[äa]chste[nr]?|\bsiguiente)\s+$", re.I
)
# After a word-like short form: what shows a day is meant.
_DAY_MEANT = re.compile(
    r"^(?:\.|\s*[,]?\s*(?:\d|(?:at|@|um|à|às|as|a\s+las?|alle|om)\s*\d|works?\b|wk[s]?\b|ok\b|"
    r"okay\b|please\b|pls\b|plz\b|good\b|gd\b|fine\b|great\b|perfect\b|then\b|passt\b|geht\b|"
    r"(?:or|and|ou|oder|o|y|e|et|und|/|-)\s|ça\b|ca\b|c['’]est\b|me\s+(?:va|viene|convient)\b|funciona\b|fechado\b|perfeito\b|"
    r"serve\b|bitte\b|est[aá]\s+(?:bom|[oó]timo|bien|perfeito)\b|"
    r"(?:is|ist|est|es)\s+(?:good|fine|great|perfect|best|ok|gut|bon|parfait|bien|perfecto)\b"
    r"|[?!]|$))",
    re.IGNORECASE,
)
_GERMAN_MEANT = re.compile(r"^(?:\.|\s*,?\s*\d{1,2}(?::\d{2}|\s?uhr\b|h\b))", re.IGNORECASE)
_SUNDAY_MEANT = re.compile(r"^(?:\.|\s*\d{1,2}\s?uhr\b)", re.IGNORECASE)
_MIN_TYPO_LETTERS = 5
_WIDE_TYPO_LETTERS = 7  # from this long a misspelling may be two edits off


@dataclass(frozen=True)
class Day:
    start: int
    end: int
    weekday: int | None = None  # 0 = Monday; ``nearest`` is the coming one, today included
    nearest: date | None = None
    day: date | None = None  # a day-and-month date
    part_of_day: int | None = None  # "afternoon": the hour it centres on


def find_days(text: str, *, today: date) -> list[Day]:
    """The weekdays, dates and parts of the day in ``text``, in order."""
    found = [d for d in (_date(m, today) for p in _DATES for m in p.finditer(text)) if d]
    taken = [(d.start, d.end) for d in found]
    for match in _DAY_OF_MONTH.finditer(text):
        if not any(a < match.end() and match.start() < b for a, b in taken):
            day = _day_of_month(int(match.group(1)), today)
            if day is not None:
                found.append(Day(*match.span(), day=day))
                taken.append(match.span())
    for token in _TOKEN.finditer(text):
        if any(a < token.end() and token.start() < b for a, b in taken):
            continue
        part = _PARTS_OF_DAY.get(token.group(0).lower())
        if part is not None:
            found.append(Day(*token.span(), part_of_day=part))
            continue
        weekday = _weekday(text, token)
        if weekday is not None:
            found.append(_weekday_day(text, token, weekday, today))
    return sorted(found, key=lambda d: d.start)


def _date(match: re.Match, today: date) -> Day | None:
    month, day = _MONTHS[match.group("month").lower()], int(match.group("day"))
    name = match.group("month")
    if name.lower() in _WORDLIKE_MONTHS and not name[0].isupper():
        return None
    for year in (today.year, today.year + 1):
        try:
            when = date(year, month, day)
        except ValueError:
            return None
        if when >= today - timedelta(days=1):
            return Day(*match.span(), day=when)
    return None


def _day_of_month(number: int, today: date) -> date | None:
    month, year = today.month + (number < today.day), today.year
    if month > 12:
        month, year = 1, year + 1
    try:
        return date(year, month, number)
    except ValueError:
        return None


def _weekday(text: str, token: re.Match) -> int | None:
    word = token.group(0)
    lower = word.lower()
    after = text[token.end() :]
    if lower in _WEEKDAY_WORDS:
        return _WEEKDAY_WORDS[lower]
    if lower in _SAFE:
        return _SAFE[lower]
    if lower in _WORDLIKE and _DAY_MEANT.match(after):
        return _WORDLIKE[lower]
    german = lower in _GERMAN_SHORT and word[0].isupper() and _GERMAN_MEANT.match(after)
    if german and (lower != "so" or _SUNDAY_MEANT.match(after)):  # "So 10:00 works" is English
        return _GERMAN_SHORT[lower]
    return _misspelled(lower)


def _weekday_day(text: str, token: re.Match, weekday: int, today: date) -> Day:
    start, end = token.span()
    if text[end : end + 1] == ".":
        end += 1
    ahead = (weekday - today.weekday()) % 7
    later = _LATER.search(text[:start])
    if later:
        start = later.start()
        if ahead == 0:
            ahead = 7
    return Day(start, end, weekday=weekday, nearest=today + timedelta(days=ahead))


def _misspelled(word: str) -> int | None:
    if len(word) < _MIN_TYPO_LETTERS or not word.isascii():
        return None
    allowed = 2 if len(word) >= _WIDE_TYPO_LETTERS else 1
    distances = sorted(
        (_distance(word, name), i) for i, name in enumerate(_ENGLISH) if name[0] == word[0]
    )
    if not distances or distances[0][0] > allowed:
        return None
    if len(distances) > 1 and distances[1][0] == distances[0][0]:
        return None
    return distances[0][1]


def _distance(a: str, b: str) -> int:
    """Edits (insert, delete, replace, swap two neighbours) from ``a`` to ``b``."""
    rows = [list(range(len(b) + 1))]
    for i, x in enumerate(a, start=1):
        row = [i]
        for j, y in enumerate(b, start=1):
            cost = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + (x != y))
            if i > 1 and j > 1 and x == b[j - 2] and a[i - 2] == y:
                cost = min(cost, rows[-2][j - 2] + 1)
            row.append(cost)
        rows.append(row)
    return rows[-1][-1]
