"""Numbers in a reply: which are option numbers ("option 2", "#2", "2)", "the second one",
"number two", a bare "2 works", and places in time: "the earliest", "the latest", "the one in
between") and which are bare hours ("at 10", "10 Uhr", "let's do 11", "15h").

dateparser reads a lone "10" as October, so bare numbers are settled here, before it sees the
text, and masked out of what it reads. Everything else about dates and times is left to it
(``booking.reading.times``). The patterns are kept to numbers on purpose.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from booking.reading.days import MONTH_WORD
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
_LAST = (
    "last", "último", "última", "ultimo", "ultima", "dernier", "dernière", "letzte", "letzten",
    "letzter",
)  # fmt: skip
_ORDINALS |= {
    "primeiro": 1, "primeira": 1, "segundo": 2, "terceiro": 3, "terceira": 3, "quarto": 4,
}  # fmt: skip
# "a segunda" is Monday in Portuguese: without a noun after it, it names no option.
_WEEKDAY_ORDINALS = {("a", "segunda")}

_NUMBER = r"(\d{1,2}|" + "|".join(_WORD_NUMBERS) + r")"
_ORDINAL = r"(" + "|".join([*_ORDINALS, *_LAST]) + r")"
_PICK_NOUN = (
    r"one|option|choice|slot|time slot|opci[oó]n|opção|opcao|opzione|cr[ée]neau|horaire|"
    r"hor[aá]rio|termin|uhrzeit|zeit"
)
_OPTION_WORD = (
    r"(?:options?|opt\.?|choices?|slots?|numbers?|no\.|nr\.?|num\.?|opci[oó]n|opção|opzione|"
    r"optie|num[ée]ro|nummer|variante)"
)
_EXPLICIT = [
    re.compile(r"(?<!\w)" + _OPTION_WORD + r"\s*#?\s*" + _NUMBER + r"(?!\w)", re.I),
    re.compile(r"#\s*(\d{1,2})(?!\w)"),
    re.compile(r"(?<![\w)])\(?(\d{1,2})\)"),  # "2)" or "(2)", as the offer lists them
    re.compile(r"(?<!\w)" + _ORDINAL + r"\s+(?:" + _PICK_NOUN + r")(?!\w)", re.I),
]
# Places in time ("the earliest", "the later one", "the one in between"): where each points is
# settled against the offered times in time order.
EARLIEST, LATEST, MIDDLE = "earliest", "latest", "middle"
_PLACES = [
    # (place, words, how many offered times they can be said of)
    (EARLIEST, r"earliest|soonest|first available", range(2, 99)),
    (LATEST, r"latest", range(2, 99)),
    (EARLIEST, r"earlier(?=\s+(?:" + _PICK_NOUN + r"))", (2,)),  # "the earlier one" of two
    (LATEST, r"later(?=\s+(?:" + _PICK_NOUN + r"))", (2,)),
    (MIDDLE, r"middle(?=\s+(?:" + _PICK_NOUN + r"))|one\s+in\s+(?:the\s+)?(?:middle|between)|"
     r"in[- ]between(?:\s+one)?", (3,)),
]  # fmt: skip
_PLACE = [
    (place, re.compile(r"(?<![\w-])(?:the\s+)?(?:" + words + r")(?:\s+(?:" + _PICK_NOUN
                       + r"))?(?!\w)", re.I), counts)
    for place, words, counts in _PLACES
]  # fmt: skip
_AT_THE = re.compile(r"\bat\s+(?:the\s+)?$", re.I)  # "by 3pm at the latest" picks nothing
_LISTED = re.compile(
    r"\s*(?:,|&|\+|and|or|y|o|et|ou|und|oder)\s*(?:#\s*)?" + _NUMBER + r"(?!\w)", re.I
)
_ARTICLE_ORDINAL = re.compile(
    r"(?<!\w)(the|la|el|le|lo|die|der|den|das|o|a)\s+" + _ORDINAL + r"(?!\w)", re.I
)
# A whole reply that is only an ordinal word: "first", "Second please".
_LONE_ORDINAL = re.compile(r"^\W*" + _ORDINAL + r"(?:\s+(?:please|pls|plz))?\W*$", re.I)
_DIGITS = re.compile(r"(?<![\w#$€£:/.,-])(\d{1,2})(?![\w:/%)]|[.,-]\d)")

# A bare number reads as an hour after these ("at 10", "a las 10", "um 10") or before these
# ("10 o'clock", "10 Uhr", "10 h").
_HOUR_BEFORE = re.compile(
    r"(?:\bat|@|\baround|\babout|\bum|\bà|\ba\s+las?|\balle|\bàs|\bás|\bas|\bom|\bvers|\bgegen)"
    r"\s*$",
    re.I,
)
_HOUR_AFTER = re.compile(r"^\s*(?:o['’]?\s?clock|oclock|uhr|uur|h|heures?|horas?|hrs?)(?!\w)", re.I)
# "15h", "9h30", "14h00": a clock time in French, Portuguese, Spanish, read as written.
_H_CLOCK = re.compile(r"(?<![\w:/.])([01]?\d|2[0-3])\s?h(?:([0-5]\d))?(?!\w)", re.I)
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
_NOT_AN_END = set("+*/=&@$€£%#'’\"(_")
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
    minute: int = 0
    exact: bool = False  # written on a 24-hour clock ("15h", "9h30"): 9 is 9 AM, not 9 PM


@dataclass(frozen=True)
class Numbers:
    options: tuple[OptionNumber, ...]
    hours: tuple[BareHour, ...]

    def spans(self) -> list[tuple[int, int]]:
        return [(n.start, n.end) for n in (*self.options, *self.hours)]


def find_numbers(text: str, *, indices: Sequence[int]) -> Numbers:
    """The option numbers and bare hours in ``text``. ``indices`` are the offered option numbers
    in time order: a bare "10" with options 1-3 is an hour, a bare "2" is option 2."""
    last = max(indices, default=0)
    options = _explicit_options(text, last) + _article_ordinals(text, last)
    options += _places(text, list(indices), [(o.start, o.end) for o in options])
    options += _lone_ordinal(text, last, options)
    hours = _h_clocks(text, [(o.start, o.end) for o in options])
    taken = [(o.start, o.end) for o in options] + [(h.start, h.end) for h in hours]
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
    """ "the second", "la última", "den ersten": a place in the list, unless a date follows
    ("the 2nd of December"). Written as a word it is no day of the month."""
    found = []
    for match in _ARTICLE_ORDINAL.finditer(text):
        article, word = match.group(1).lower(), match.group(2).lower()
        if (article, word) in _WEEKDAY_ORDINALS or not _choice_follows(text, match.end()):
            continue
        index = _index(word, last)
        if index is not None:
            kind = ORDINAL if word[0].isdigit() else EXPLICIT
            found.append(OptionNumber(index, *match.span(), kind=kind))
    return found


def _lone_ordinal(text: str, last: int, options: list[OptionNumber]) -> list[OptionNumber]:
    match = _LONE_ORDINAL.match(text)
    if options or match is None or match.group(1).lower() in _WORD_NUMBERS:
        return []
    index = _index(match.group(1), last)
    kind = ORDINAL if match.group(1)[0].isdigit() else EXPLICIT
    return [OptionNumber(index, *match.span(1), kind=kind)] if index else []


def _places(text: str, by_time: list[int], taken) -> list[OptionNumber]:
    found = []
    for place, pattern, counts in _PLACE:
        if len(by_time) not in counts:
            continue
        for match in pattern.finditer(text):
            if _overlaps(*match.span(), taken) or _AT_THE.search(text[: match.start()]):
                continue
            if not _choice_follows(text, match.end()):
                continue
            index = {EARLIEST: by_time[0], LATEST: by_time[-1], MIDDLE: by_time[1]}[place]
            found.append(OptionNumber(index, *match.span(), kind=EXPLICIT))
            taken = [*taken, match.span()]
    return found


def _h_clocks(text: str, taken) -> list[BareHour]:
    return [
        BareHour(int(m.group(1)), *m.span(), minute=int(m.group(2) or 0), exact=True)
        for m in _H_CLOCK.finditer(text)
        if not _overlaps(*m.span(), taken)
    ]


def _bare_number(text, start, end, number, indices, spans) -> OptionNumber | BareHour | None:
    before, after = text[:start], text[end:]
    if _TIME_SUFFIX.match(after) or _next_to_a_month(before, after):
        return None  # "10 am" is dateparser's to read; "Dec 3", "28. November" are dates
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


_MONTH_BEFORE = re.compile(r"(?:" + MONTH_WORD.pattern + r")\.?\s*(?:the\s+)?$", re.I)
_MONTH_AFTER = re.compile(
    r"^(?:st|nd|rd|th|er|º)?\.?\s*(?:of\s+|de\s+)?(?:" + MONTH_WORD.pattern + r")", re.I
)


def _next_to_a_month(before: str, after: str) -> bool:
    return bool(_MONTH_BEFORE.search(before[-20:]) or _MONTH_AFTER.match(after))


def _choice_follows(text: str, end: int) -> bool:
    """Nothing but punctuation follows, or a word that goes with a choice ("2 works"). After
    "or"/"and" another choice must follow: "1 or 3 works" has two, "2 or 3 of my colleagues"
    none."""
    rest = text[end:]
    listed = re.match(r"\s*[,/&]\s*", rest)
    if listed and (number := _NEXT_NUMBER.match(text, end + listed.end())):
        return _choice_follows(text, number.end())  # "except 1, 3": a list goes on
    stripped = rest.lstrip(" \t,")
    if not stripped or stripped[0] in ".!?;:\n)-–—":
        return True
    if not stripped[0].isalnum() and stripped[0] not in _NOT_AN_END:
        return True  # an emoji or a symbol: "3 👍"
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
