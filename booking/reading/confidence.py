"""How sure a reading is: what each kind of evidence is worth, and the wording that caps it.

An explicit option number, a place in time ("the earliest") or an exact day-and-time match is
high (0.95); a bare "2", "the 2nd", a day with a bare hour, a yes to the only offered time, or a
day alone said as a yes ("Friday works", "let's do Tuesday") when one offered time is on it is
0.90. A day alone said without a yes, a time alone or a part of the day is weaker (0.60-0.75). A
question about the time, a hedge ("maybe"), a range ("after 3pm") caps it at 0.60; a condition
("if") or a "no" elsewhere in the reply at 0.80. Auto-booking books only at ``HIGH_CONFIDENCE``.
"""

from __future__ import annotations

import booking.reading.words as words
from booking.reading.numbers import BARE, EXPLICIT, ORDINAL
from booking.reading.readings import Mention, OfferedTime, labels

HIGH_CONFIDENCE = 0.85

EXPLICIT_OPTION = 0.95
DAY_AND_TIME = 0.95
DAY_AND_BARE_HOUR = 0.90
BARE_OPTION = 0.90
ORDINAL_OPTION = 0.90
ONLY_OFFERED_YES = 0.90
DAY_SAID_AS_YES = 0.90
TIME_ONLY = 0.75
DAY_ONLY = 0.70
BARE_HOUR_ONLY = 0.65
PART_OF_DAY = 0.60
# Caps.
NOT_THE_NEAREST_WEEKDAY = 0.70  # "Tuesday" when the offered Tuesday is not the coming one
QUESTION = 0.60
HEDGED = 0.60
APPROXIMATE = 0.60
CONDITIONAL = 0.80
SAYS_NO_ELSEWHERE = 0.80
BY_ELIMINATION = 0.80  # "any but the first", with two offered: the other one

_OPTION_WORTH = {EXPLICIT: EXPLICIT_OPTION, ORDINAL: ORDINAL_OPTION, BARE: BARE_OPTION}


def evidence(prose: str, matched: list[Mention], slot: OfferedTime) -> tuple[float, str]:
    """How strongly the mentions, together, point at ``slot``."""
    options = [m.option for m in matched if m.option is not None]
    moments = [m.moment for m in matched if m.moment is not None]
    scores = [_OPTION_WORTH[option.kind] for option in options]
    days = [m for m in moments if m.has_day]
    times = [m for m in moments if m.has_time]
    if days and times:
        exact = any(not m.twelve_hour for m in times)
        scores.append(DAY_AND_TIME if exact else DAY_AND_BARE_HOUR)
    elif times:
        scores.append(BARE_HOUR_ONLY if all(m.twelve_hour for m in times) else TIME_ONLY)
    elif days:
        scores.append(_day_alone(prose, days))
    confidence = max(scores)
    later = [
        m
        for m in days
        if m.weekday is not None and m.nearest != slot.start.astimezone(m.zone).date()
    ]
    if later and not options:
        confidence = min(confidence, NOT_THE_NEAREST_WEEKDAY)
    return confidence, labels(matched)


def _day_alone(prose: str, days) -> float:
    if any(m.part_of_day is not None for m in days):
        return PART_OF_DAY
    return DAY_SAID_AS_YES if words.agrees(prose) else DAY_ONLY


def capped(confidence: float, prose: str, matched, declined, *, asks: bool):
    caps = [
        (asks, QUESTION, "asked as a question"),
        (words.has(words.HEDGE, prose), HEDGED, "hedged"),
        (any(m.approximate for m in matched), APPROXIMATE, "a range or an approximate time"),
        (words.has(words.CONDITIONAL, prose), CONDITIONAL, "with a condition"),
        (bool(declined) or words.negated(prose), SAYS_NO_ELSEWHERE, "says no to something"),
        (words.rules_out(prose), SAYS_NO_ELSEWHERE, "rules something out"),
    ]
    caveats = []
    for applies, cap, caveat in caps:
        if applies:
            confidence = min(confidence, cap)
            caveats.append(caveat)
    return confidence, caveats
