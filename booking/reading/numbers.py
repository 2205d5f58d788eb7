"""Numbers in a reply: which are option numbers ("option 2", "#2", "2)", "the second one",
"number two", a bare "2 works") and which are bare hours ("at 10", "10 Uhr", "let's do 11").

dateparser reads a lone "10" as October, so bare numbers are settled here, before it sees the
text, and masked out of what it reads. Everything else about dates and times is left to it
(``booking.reading.times``). The patterns are kept to numbers on purpose.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from booking.reading.text import clauses

EXPLICIT, ORDINAL, BARE = "explicit", "ordinal", "bare"

_WORD_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "uno": 1, "dos": 2, "tres": 3, "cuatro": 4,
    "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4,
    "eins": 1, "zwei": 2, "drei": 3, "vier": 4,
}  # fmt: skip
_ORDINALS = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3,
    "fourth": 4, "4th": 4, "fifth": 5, "5th": 5, "sixth": 6, "6th": 6,
    "primera": 1, "primero": 1, "primer": 1, "segunda": 2, "segundo": 2,
    "tercera": 3, "tercero": 3, "cuarta": 4, "cuarto": 4,
    "première": 1, "premier": 1, "deuxième": 2, "seconde": 2, "troisième": 3, "quatrième": 4,
    "erste": 1, "ersten": 1, "erster": 1, "zweite": 2, "zweiten": 2, "zweiter": 2,
    "dritte": 3, "dritten": 3, "dritter": 3, "vierte": 4, "vierten": 4,
}  # fmt: skip
_LAST = ("last", "último", "última", "dernier", "dernière", "letzte", "letzten")

_NUMBER = r"(\d{1,2}|" + "|".join(_WORD_NUMBERS) + r")"
_ORDINAL = r"(" + "|".join([*_ORDINALS, *_LAST]) + r")"
_OPTION_WORD = (
    r"(?:options?|opt\.?|choices?|slots?|numbers?|no\.|nr\.?|num\.?|opci[oó]n|opção|opzione|"
    r"optie|num[ée]ro|nummer|variante)"
)
_EXPLICIT = [
    re.compile(r"(?<!\w)" + _OPTION_WORD + r"\s*#?\s*" + _NUMBER + r"(?!\w)", re.I),
    re.compile(r"#\s*(\d{1,2})(?!\w)"),
    re.compile(r"(?<![\w)])\(?(\d{1,2})\)"),  # "2)" or "(2)", as the offer lists them
    re.compile(
        r"(?<!\w)" + _ORDINAL + r"\s+(?:one|option|choice|slot|opci[oó]n|termin)(?!\w)", re.I
    ),
]
_LISTED = re.compile(
    r"\s*(?:,|&|\+|and|or|y|o|et|ou|und|oder)\s*(?:#\s*)?" + _NUMBER + r"(?!\w)", re.I
)
_ARTICLE_ORDINAL = re.compile(
    r"(?<!\w)(?:the|la|el|le|lo|die|der|den|das)\s+" + _ORDINAL + r"(?!\w)", re.I
)
_DIGITS = re.compile(r"(?<![\w#$€£:/.,-])(\d{1,2})(?![\w:/%)]|[.,-]\d)")

# A bare number reads as an hour after these ("at 10", "a las 10", "um 10") or before these
# ("10 o'clock", "10 Uhr", "10 h").
_HOUR_BEFORE = re.compile(
    r"(?:\bat|@|\baround|\babout|\bum|\bà|\ba\s+las?|\balle|\bàs|\bás|\bas|\bom|\bvers|\bgegen)"
    r"\s*$",
    re.I,
)
_HOUR_AFTER = re.compile(r"^\s*(?:o['’]?\s?clock|oclock|uhr|uur|h|heures?|horas?|hrs?)(?!\w)", re.I)
_TIME_SUFFIX = re.compile(r"^\s*(?:[ap]\.?\s?m\b\.?)", re.I)  # "10 am" is dateparser's to read
# A number after these counts something else ("in 5", "for 2 people").
_NOT_A_CHOICE_BEFORE = re.compile(
    r"(?:\bin|\bfor|\bwithin|\bnext|\blast|\bonly|\bjust|\bof|\btop|\bx|\bunder|\bover)\s*$", re.I
)
# A bare number is a choice only when the clause goes on with one of these, or ends.
_CHOICE_FOLLOWERS = {
    "works", "work", "is", "please", "pls", "plz", "or", "and", "for", "instead", "then",
    "sounds", "would", "ok", "okay", "fine", "good", "perfect", "great", "thanks", "thank",
    "thx", "ty", "it", "o", "ou", "oder", "y", "und", "et", "me", "es", "está", "est", "passt",
    "por", "bitte", "geht", "va", "suits", "it's", "both",
}  # fmt: skip
_CONJUNCTIONS = {"or", "and", "o", "ou", "oder", "y", "und", "et"}
_NEXT_NUMBER = re.compile(r"\s*(?:#\s*)?" + _NUMBER + r"(?!\w)", re.I)
_SHORT_CLAUSE_WORDS = 8  # a bare "2" counts only in a short clause ("Either 1 or 2 works for me")
_WORD = re.compile(r"[^\W\d_][\w'’]*|\d+", re.UNICODE)


@dataclass(frozen=True)
class OptionNumber:
    index: int
    start: int
    end: int
    kind: str  # EXPLICIT ("option 2", "#2", "2)", "the second one"), ORDINAL ("the 2nd"), BARE


@dataclass(frozen=True)
class BareHour:
    """An hour said without minutes or am/pm: "10" is 10:00 or 22:00."""

    hour: int
    start: int
    end: int


@dataclass(frozen=True)
class Numbers:
    options: tuple[OptionNumber, ...]
    hours: tuple[BareHour, ...]

    def spans(self) -> list[tuple[int, int]]:
        return [(n.start, n.end) for n in (*self.options, *self.hours)]


def find_numbers(text: str, *, indices: Collection[int]) -> Numbers:
    """The option numbers and bare hours in ``text``. ``indices`` are the offered option numbers:
    a bare "10" with options 1-3 is an hour, a bare "2" is option 2."""
    last = max(indices, default=0)
    options = _explicit_options(text, last) + _article_ordinals(text, last)
    taken = [(o.start, o.end) for o in options]
    hours = []
    spans = clauses(text)
    for found in _DIGITS.finditer(text):
        start, end = found.span(1)
        if _overlaps(start, end, taken):
            continue
        reading = _bare_number(text, start, end, int(found.group(1)), indices, spans)
        if isinstance(reading, OptionNumber):
            options.append(reading)
        elif isinstance(reading, BareHour):
            hours.append(reading)
    options.sort(key=lambda o: o.start)
    return Numbers(options=tuple(options), hours=tuple(hours))


def _explicit_options(text: str, last: int) -> list[OptionNumber]:
    found: list[OptionNumber] = []
    for pattern in _EXPLICIT:
        for match in pattern.finditer(text):
            if _overlaps(*match.span(), [(o.start, o.end) for o in found]):
                continue
            index = _index(match.group(1), last)
            if index is not None:
                found.append(OptionNumber(index, *match.span(), kind=EXPLICIT))
                found += _listed_after(text, match.end(), last)
    return found


def _listed_after(text: str, end: int, last: int) -> list[OptionNumber]:
    """The numbers listed after "options 1": "options 1 and 3", "option 1, 2 or 3"."""
    found = []
    while (more := _LISTED.match(text, end)) is not None:
        index = _index(more.group(1), last)
        if index is None:
            break
        found.append(OptionNumber(index, more.start(1), more.end(1), kind=EXPLICIT))
        end = more.end()
    return found


def _article_ordinals(text: str, last: int) -> list[OptionNumber]:
    found = []
    for match in _ARTICLE_ORDINAL.finditer(text):
        word = match.group(1).lower()
        if word in _LAST or not _choice_follows(text, match.end()):
            continue  # "the last" needs "one"; "the 2nd of December" is a date
        found.append(OptionNumber(_ORDINALS[word], *match.span(), kind=ORDINAL))
    return found


def _bare_number(text, start, end, number, indices, spans) -> OptionNumber | BareHour | None:
    before, after = text[:start], text[end:]
    if _TIME_SUFFIX.match(after):
        return None
    suffix = _HOUR_AFTER.match(after)
    if suffix or _HOUR_BEFORE.search(before):
        if number > 23:
            return None
        return BareHour(number, start, end + (suffix.end() if suffix else 0))
    if _NOT_A_CHOICE_BEFORE.search(before) or not _choice_follows(text, end):
        return None
    clause = next(((a, b) for a, b in spans if a <= start < b), (0, len(text)))
    if len(_WORD.findall(text[clause[0] : clause[1]])) > _SHORT_CLAUSE_WORDS:
        return None
    if number in indices:
        return OptionNumber(number, start, end, kind=BARE)
    if 1 <= number <= 23:
        return BareHour(number, start, end)
    return None


def _choice_follows(text: str, end: int) -> bool:
    """Nothing but punctuation follows, or a word that goes with a choice ("2 works"). After
    "or"/"and" another choice must follow: "1 or 3 works" has two, "2 or 3 of my colleagues"
    none."""
    rest = text[end:]
    stripped = rest.lstrip(" \t,")
    if not stripped or stripped[0] in ".!?;:\n)-–—":
        return True
    word = _WORD.match(stripped)
    if word is None or word.group(0).lower() not in _CHOICE_FOLLOWERS:
        return False
    if word.group(0).lower() not in _CONJUNCTIONS:
        return True
    after = end + (len(rest) - len(stripped)) + word.end()
    number = _NEXT_NUMBER.match(text, after)
    return number is not None and _choice_follows(text, number.end())


def _index(token: str, last: int) -> int | None:
    token = token.lower()
    if token.isdigit():
        return int(token)
    if token in _LAST:
        return last or None
    return _WORD_NUMBERS.get(token) or _ORDINALS.get(token)


def _overlaps(start: int, end: int, spans) -> bool:
    return any(start < b and a < end for a, b in spans)
