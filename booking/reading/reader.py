"""Reading a lead's reply to an offer: which offered time it accepts, if any, and how sure we are.

``read_reply`` is a pure function (no database, no network, no clock: "tomorrow" is relative to
``received_at`` in the lead's zone) with a fixed signature, so a smarter reader, a language model
say, can replace it later without touching auto-booking (``booking.autobook``).

The product promises never to book a wrong time; a missed acceptance is only a setter's task. So
the reader accepts only what points at exactly one offered time, and says "ambiguous",
"no_match" and so on, with a reason, whenever it is in doubt. In order:

1. Only what the lead wrote now is read (``booking.reading.text``): quoted history and the
   signature go first. Nothing left is ``empty``.
2. An out-of-office or automatic reply is ``auto_reply``, whatever dates it holds.
3. Option numbers ("option 2", "#2", "2)", "the second one") and bare hours ("at 10") are read by
   ``booking.reading.numbers``; days and times ("Tuesday at 2pm", "tomorrow at 10", "4pm pacific",
   "el martes a las 10") by dateparser in ``booking.reading.times``, each in the zone the lead named
   or else the lead's own.
4. Each of them points at a set of offered times. A mention inside a negative clause ("I can't
   do Monday") is declined, not chosen. A time that matches nothing offered is a counter-proposal
   when the lead is proposing ("could we do Tuesday at 2pm instead?"), else ``no_match``.
5. The rest must agree on exactly one offered time: two different ones ("Tuesday or Wednesday",
   "either 1 or 2") are ``ambiguous``; so is a bare "yes" when more than one time was offered. The
   reader never falls back to the first offered time.

Confidence: an explicit option number or an exact day-and-time match is high (0.95; 0.90 for
a bare "2", "the 2nd", a "10" without am/pm, or a "yes" to the only offered time). A day alone,
a time alone or a part of the day is weaker (0.60-0.75). A question, a hedge ("maybe"), a range
("after 3pm") caps it at 0.60; a condition ("if") or a "no" elsewhere in the reply at 0.80.
Auto-booking books only at ``HIGH_CONFIDENCE`` (0.85) or above; below it a setter gets a task
that names the option and the reason.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from booking.reading import words
from booking.reading.numbers import BARE, EXPLICIT, ORDINAL, OptionNumber, find_numbers
from booking.reading.text import clauses, own_text, segments
from booking.reading.times import Moment, find_moments

HIGH_CONFIDENCE = 0.85

# What each kind of evidence is worth (see the module docstring).
EXPLICIT_OPTION = 0.95
DAY_AND_TIME = 0.95
DAY_AND_BARE_HOUR = 0.90
BARE_OPTION = 0.90
ORDINAL_OPTION = 0.90
ONLY_OFFERED_YES = 0.90
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

OWN, NEARBY = "own", "nearby"
# Words a reply may hold beside the time it names and still be a choice with no "yes" in it
# ("Tuesday at 10", "2) Tue Dec 3, 10:00 AM CST"); "Monday is a holiday here" is no choice.
BARE_CHOICE_WORDS = 2

ACCEPT, COUNTER, REFUSE, QUESTION_KIND = "accept", "counter_proposal", "refuse", "question"
AMBIGUOUS, AUTO_REPLY, NO_MATCH, EMPTY = "ambiguous", "auto_reply", "no_match", "empty"


@dataclass(frozen=True)
class OfferedTime:
    index: int  # 1-based option number as shown to the lead
    start: datetime  # aware, UTC


@dataclass(frozen=True)
class Reading:
    kind: str  # accept | counter_proposal | refuse | question | ambiguous | auto_reply
    #            | no_match | empty
    slot_index: int | None = None  # for "accept": which OfferedTime.index
    confidence: float = 0.0  # 0..1; auto-book books only at >= HIGH_CONFIDENCE
    reason: str = ""  # short, human: why it was read this way
    proposed_time: datetime | None = None  # for "counter_proposal": aware UTC


@dataclass(frozen=True)
class _Mention:
    """Something the reply names, and the offered times (indices) it can mean."""

    label: str
    start: int
    end: int
    slots: frozenset[int]
    moment: Moment | None = None
    option: OptionNumber | None = None
    conflict: str = ""  # two readings of it point at different offered times
    declined: str = ""  # OWN: a "no" in its own part of the clause; NEARBY: in another part
    approximate: bool = False

    @property
    def unreadable(self) -> str:
        return self.moment.unreadable if self.moment else ""

    @property
    def is_time(self) -> bool:
        return self.moment is not None


def read_reply(
    text: str,
    offered: Sequence[OfferedTime],
    *,
    lead_timezone: str,
    received_at: datetime,
) -> Reading:
    """Read ``text`` (the reply as received) against the ``offered`` times. See the module
    docstring for the rules; never raises for any text."""
    own = own_text(text)
    if not own:
        return Reading(EMPTY, reason="nothing but quoted history or a signature")
    if words.has(words.AUTO_REPLY, own):
        return Reading(AUTO_REPLY, reason="an automatic or out-of-office reply")
    zone = _zone(lead_timezone)
    numbers = find_numbers(own, indices={o.index for o in offered})
    moments = find_moments(own, numbers, zone=zone or _UTC, received_at=received_at)
    if zone is None:  # the times the lead saw were in a zone we can't name: read none of them
        moments = [replace(m, unreadable="the lead's time zone is unknown") for m in moments]
        zone = _UTC
    # Intent words are read without the option numbers: "No. 2" is no "no".
    prose = _blank(own, [(o.start, o.end) for o in numbers.options])
    mentions = [_of_option(o, offered, zone) for o in numbers.options]
    mentions += [_of_moment(m, offered) for m in moments]
    starts = [m.start for m in mentions]
    mentions = [_in_context(m, prose, starts) for m in sorted(mentions, key=lambda m: m.start)]
    return _decide(prose, mentions, offered, zone, asks=words.is_question(own))


# --- what each mention can mean ----------------------------------------------------------------


def _of_option(option: OptionNumber, offered, zone) -> _Mention:
    label = f"option {option.index}"
    slots = frozenset({option.index}) & {o.index for o in offered}
    other = frozenset()
    if option.kind == ORDINAL:  # "the 2nd" may also be the 2nd of the month
        other = frozenset(o.index for o in offered if o.start.astimezone(zone).day == option.index)
    elif option.kind == BARE:  # "2 works" may also be 2 o'clock
        other = frozenset(o.index for o in offered if _twelve_hour_of(o, zone) == option.index)
    conflict = ""
    if other and other != slots:
        conflict = f"“{option.index}” may mean {label} or {_list(other, offered, zone)}"
    return _Mention(
        label=label,
        start=option.start,
        end=option.end,
        slots=slots,
        option=option,
        conflict=conflict,
    )


def _of_moment(moment: Moment, offered) -> _Mention:
    slots = frozenset() if moment.unreadable else frozenset(o for o in offered if _fits(o, moment))
    return _Mention(
        label=f"“{moment.text}”",
        start=moment.start,
        end=moment.end,
        slots=frozenset(o.index for o in slots),
        moment=moment,
    )


def _fits(offered: OfferedTime, moment: Moment) -> bool:
    local = offered.start.astimezone(moment.zone)
    if moment.day is not None and local.date() != moment.day:
        return False
    if moment.weekday is not None and local.weekday() != moment.weekday:
        return False
    if moment.clock is not None:
        if local.minute != moment.clock.minute:
            return False
        if moment.twelve_hour:
            return local.hour % 12 == moment.clock.hour % 12
        return local.hour == moment.clock.hour
    if moment.part_of_day is not None:
        return abs(local.hour - moment.part_of_day) <= 3
    return True


def _in_context(mention: _Mention, prose: str, spans: list[tuple[int, int]]) -> _Mention:
    clause = _around(mention.start, clauses(prose)) or (0, len(prose))
    parts = segments(prose, clause)
    own = _around(mention.start, parts) or clause
    return replace(
        mention,
        declined=_declined(prose, own, parts, spans),
        approximate=words.has(words.RANGE_BEFORE, prose[clause[0] : mention.start]),
    )


def _declined(prose: str, own: tuple[int, int], parts, spans) -> str:
    """A mention is declined by a "no" in its own part of the clause ("I can't do Monday"), or
    by one in a part that names nothing ("Tuesday, sadly, doesn't work"), unless its own part
    proposes or agrees ("None of those work, could we do Tuesday at 2pm?")."""
    text = prose[own[0] : own[1]]
    if words.negated(text):
        return OWN
    if words.has(words.PROPOSAL, text) or words.has(words.YES, text):
        return ""
    nearby = any(
        words.negated(prose[a:b]) and not any(a <= s < b for s in spans)
        for a, b in parts
        if (a, b) != own
    )
    return NEARBY if nearby else ""


def _around(position: int, spans) -> tuple[int, int] | None:
    return next(((a, b) for a, b in spans if a <= position < b), None)


# --- the decision ------------------------------------------------------------------------------


def _decide(prose: str, mentions: list[_Mention], offered, zone, *, asks: bool) -> Reading:
    live = [m for m in mentions if not m.declined]
    declined = [m for m in mentions if m.declined]
    unreadable = [m for m in live if m.unreadable]
    conflicts = [m for m in live if m.conflict]
    proposals = [m for m in live if m.is_time and not m.unreadable and not m.slots]
    unoffered = [m for m in live if not m.is_time and not m.slots]
    matched = [m for m in live if m.slots]

    if words.has(words.REFUSAL, prose):
        return _refusal(proposals, matched)
    if unreadable:
        return Reading(
            NO_MATCH, reason=f"{unreadable[0].unreadable}, so it matches no offered time"
        )
    if conflicts:
        return Reading(AMBIGUOUS, reason=conflicts[0].conflict)
    if proposals:
        return _proposal(prose, proposals, matched, asks=asks)
    if unoffered:
        if matched:
            return Reading(AMBIGUOUS, reason=f"names {_labels(live)}, not all of them offered")
        return Reading(NO_MATCH, reason=f"{unoffered[0].label} was not offered")
    if matched and any(m.declined == NEARBY for m in declined):
        return Reading(  # "Monday at 9. Actually no, Tuesday at 10": which one is meant?
            AMBIGUOUS, reason=f"names {_labels(mentions)}, some of them with a no nearby"
        )
    if matched and not _chooses(prose, mentions, asks=asks):
        return Reading(NO_MATCH, reason=f"names {_labels(matched)} without choosing it")
    if matched:
        return _acceptance(prose, matched, declined, offered, zone, asks=asks)
    return _no_time_named(prose, declined, offered, asks=asks)


def _refusal(proposals, matched) -> Reading:
    if proposals and not matched:
        return _counter(proposals, "declines the offered times and proposes another")
    if matched:
        return Reading(AMBIGUOUS, reason=f"declines, yet names {_labels(matched)}")
    return Reading(REFUSE, reason="declines the offered times")


def _proposal(prose, proposals, matched, *, asks: bool) -> Reading:
    if matched:
        return Reading(
            AMBIGUOUS, reason=f"names {_labels(matched)} and also {_labels(proposals)}, not offered"
        )
    if asks or words.has(words.PROPOSAL, prose) or words.has(words.YES, prose):
        return _counter(proposals, "proposes a time that was not offered")
    return Reading(NO_MATCH, reason=f"names {_labels(proposals)}, which was not offered")


def _counter(proposals, why: str) -> Reading:
    instants = {m.moment.instant() for m in proposals if not m.approximate}
    instants.discard(None)
    if len(instants) == 1:
        proposed = instants.pop()
        return Reading(COUNTER, reason=f"{why}: {_labels(proposals)}", proposed_time=proposed)
    pinned = "more than one time" if len(instants) > 1 else "no exact day and time"
    return Reading(COUNTER, reason=f"{why} ({_labels(proposals)}; {pinned})")


def _chooses(prose: str, mentions, *, asks: bool) -> bool:
    """The reply picks what it names: it agrees, proposes, chooses or asks, or it is little
    more than the time itself."""
    if asks or any(words.has(p, prose) for p in (words.YES, words.PROPOSAL, words.CHOICE)):
        return True
    rest = _blank(prose, [(m.start, m.end) for m in mentions])
    return len(re.findall(r"[^\W\d_][\w'’]*", rest)) <= BARE_CHOICE_WORDS


def _acceptance(prose, matched, declined, offered, zone, *, asks: bool) -> Reading:
    if (
        words.has(words.ALTERNATIVE, prose)
        and len(frozenset().union(*(m.slots for m in matched))) > 1
    ):
        return Reading(AMBIGUOUS, reason=f"names alternatives: {_labels(matched)}")
    common = frozenset.intersection(*(m.slots for m in matched))
    if not common:
        return Reading(AMBIGUOUS, reason=f"names different offered times: {_labels(matched)}")
    if len(common) > 1:
        return Reading(
            AMBIGUOUS, reason=f"{_labels(matched)} could be {_list(common, offered, zone)}"
        )
    (index,) = common
    slot = next(o for o in offered if o.index == index)
    confidence, evidence = _evidence(matched, slot)
    confidence, caveats = _capped(confidence, prose, matched, declined, asks=asks)
    reason = f"{evidence} → option {index}, {_when(slot, zone)}"
    if caveats:
        reason += f" ({'; '.join(caveats)})"
    return Reading(ACCEPT, slot_index=index, confidence=round(confidence, 2), reason=reason)


def _evidence(matched: list[_Mention], slot: OfferedTime) -> tuple[float, str]:
    """How strongly the mentions, together, point at ``slot``."""
    options = [m.option for m in matched if m.option is not None]
    moments = [m.moment for m in matched if m.moment is not None]
    scores = []
    for option in options:
        worth = {EXPLICIT: EXPLICIT_OPTION, ORDINAL: ORDINAL_OPTION, BARE: BARE_OPTION}
        scores.append(worth[option.kind])
    days = [m for m in moments if m.has_day]
    times = [m for m in moments if m.has_time]
    if days and times:
        exact = any(not m.twelve_hour for m in times)
        scores.append(DAY_AND_TIME if exact else DAY_AND_BARE_HOUR)
    elif times:
        scores.append(BARE_HOUR_ONLY if all(m.twelve_hour for m in times) else TIME_ONLY)
    elif days:
        scores.append(PART_OF_DAY if any(m.part_of_day is not None for m in days) else DAY_ONLY)
    confidence = max(scores)
    later = [m for m in days if m.weekday is not None and m.nearest != _day_of(slot, m.zone)]
    if later and not options:
        confidence = min(confidence, NOT_THE_NEAREST_WEEKDAY)
    return confidence, _labels(matched)


def _capped(confidence: float, prose: str, matched, declined, *, asks: bool):
    caps = [
        (asks, QUESTION, "asked as a question"),
        (words.has(words.HEDGE, prose), HEDGED, "hedged"),
        (any(m.approximate for m in matched), APPROXIMATE, "a range or an approximate time"),
        (words.has(words.CONDITIONAL, prose), CONDITIONAL, "with a condition"),
        (bool(declined) or words.negated(prose), SAYS_NO_ELSEWHERE, "says no to something"),
    ]
    caveats = []
    for applies, cap, caveat in caps:
        if applies:
            confidence = min(confidence, cap)
            caveats.append(caveat)
    return confidence, caveats


def _no_time_named(prose: str, declined, offered, *, asks: bool) -> Reading:
    if declined:
        if {i for m in declined for i in m.slots} >= {o.index for o in offered}:
            return Reading(REFUSE, reason=f"declines {_labels(declined)}")
        return Reading(NO_MATCH, reason=f"declines {_labels(declined)} without choosing another")
    if asks:
        return Reading(QUESTION_KIND, reason="asks a question and names no time")
    plain = words.NEGATION_IDIOMS.sub(" ", prose)
    if words.has(words.BARE_NO, plain):
        return Reading(REFUSE, reason="says no")
    if words.has(words.WHICHEVER, prose) and len(offered) > 1:
        return Reading(AMBIGUOUS, reason="leaves the choice of time to us")
    if not words.has(words.YES, prose):
        return Reading(NO_MATCH, reason="names no offered time")
    if words.negated(prose) or words.has(words.HEDGE, prose):
        return Reading(NO_MATCH, reason="a yes with a reservation, and no time named")
    if len(offered) == 1:
        (only,) = offered
        confidence = CONDITIONAL if words.has(words.CONDITIONAL, prose) else ONLY_OFFERED_YES
        return Reading(
            ACCEPT,
            slot_index=only.index,
            confidence=confidence,
            reason="a plain yes to the only offered time",
        )
    if not offered:
        return Reading(NO_MATCH, reason="a plain yes, but no time was offered")
    return Reading(AMBIGUOUS, reason=f"a plain yes, but {len(offered)} times were offered")


# --- helpers -----------------------------------------------------------------------------------


_UTC = zoneinfo.ZoneInfo("UTC")


def _zone(key: str) -> zoneinfo.ZoneInfo | None:
    try:
        return zoneinfo.ZoneInfo(key)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        return None


def _day_of(slot: OfferedTime, zone):
    return slot.start.astimezone(zone).date()


def _twelve_hour_of(offered: OfferedTime, zone) -> int | None:
    local = offered.start.astimezone(zone)
    if local.minute:
        return None
    return local.hour % 12 or 12


def _when(slot: OfferedTime, zone) -> str:
    local = slot.start.astimezone(zone)
    clock = local.strftime("%I:%M %p").lstrip("0")
    return f"{local:%a %b} {local.day}, {clock} {local.tzname()}"


def _list(indices, offered, zone) -> str:
    by_index = {o.index: o for o in offered}
    return " or ".join(f"option {i} ({_when(by_index[i], zone)})" for i in sorted(indices))


def _labels(mentions) -> str:
    seen = []
    for m in mentions:
        if m.label not in seen:
            seen.append(m.label)
    return " and ".join(seen)


def _blank(text: str, spans) -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


__all__ = ["HIGH_CONFIDENCE", "OfferedTime", "Reading", "read_reply"]
