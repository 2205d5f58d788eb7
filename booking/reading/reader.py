"""Reading a lead's reply to an offer: which offered time it accepts, if any, and how sure we are.

``read_reply`` is a pure function (no database, no network, no clock: "tomorrow" is relative to
``received_at`` in the lead's zone) with a fixed signature, so a smarter reader, a language model
say, can replace it later without touching auto-booking (``booking.autobook``).

The product promises never to book a wrong time; a missed acceptance is only a setter's task. So
the reader accepts only what points at exactly one offered time, and says "ambiguous",
"no_match" and so on, with a reason, whenever it is in doubt. In order:

1. Only what the lead wrote now is read (``booking.reading.text``): an HTML reply is made text
   with its quote blocks left out (``booking.reading.markup``), then quoted history and the
   signature go. Nothing left is ``empty``.
2. An out-of-office or automatic reply is ``auto_reply``, whatever dates it holds.
3. Option numbers ("option 2", "#2", "2)", "the second one", "the earliest") and bare hours
   ("at 10", "15h") are read by ``booking.reading.numbers``; weekdays and dates ("Tue", "Wensday",
   "28 de novembro") by ``booking.reading.days``; the rest of days and times ("tomorrow at 10",
   "4pm pacific") by dateparser in ``booking.reading.times``, each in the zone the lead named
   or else the lead's own.
4. Each of them points at a set of offered times. A mention inside a negative clause ("I can't
   do Monday") is declined, not chosen; so is one ruled out ("all fine apart from the second").
   A time that matches nothing offered is a counter-proposal when the lead is proposing ("could
   we do Tuesday at 2pm instead?"), else ``no_match``.
5. The rest must agree on exactly one offered time (``booking.reading.decision``): two different
   ones ("Tuesday or Wednesday", "either 1 or 2") are ``ambiguous``; so is a bare "yes" when more
   than one time was offered. An objection after the yes ("…but that's far too early for me")
   takes it back. The reader never falls back to the first offered time.

How sure it is comes from ``booking.reading.confidence``. Auto-booking books only at
``HIGH_CONFIDENCE`` (0.85) or above; below it a setter gets a task that names the option and
the reason.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

import booking.reading.words as words
from booking.reading.confidence import HIGH_CONFIDENCE
from booking.reading.decision import decide
from booking.reading.moments import Moment
from booking.reading.numbers import BARE, ORDINAL, OptionNumber, find_numbers
from booking.reading.readings import (
    AUTO_REPLY,
    EMPTY,
    EXCLUDED,
    NEARBY,
    OWN,
    Mention,
    OfferedTime,
    Reading,
    blank,
    listed,
)
from booking.reading.text import clauses, own_text, segments
from booking.reading.times import find_moments


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
    by_time = [o.index for o in sorted(offered, key=lambda o: (o.start, o.index))]
    numbers = find_numbers(own, indices=by_time)
    moments = find_moments(own, numbers, zone=zone or _UTC, received_at=received_at)
    if zone is None:  # the times the lead saw were in a zone we can't name: read none of them
        moments = [replace(m, unreadable="the lead's time zone is unknown") for m in moments]
        zone = _UTC
    # Intent words are read without the option numbers: "No. 2" is no "no".
    prose = blank(own, [(o.start, o.end) for o in numbers.options])
    mentions = [_of_option(o, offered, zone) for o in numbers.options]
    mentions += [_of_moment(m, offered) for m in moments]
    starts = [m.start for m in mentions]
    mentions = [_in_context(m, prose, starts) for m in sorted(mentions, key=lambda m: m.start)]
    mentions = _listed_exclusions(mentions, prose)
    spans = [(m.start, m.end) for m in mentions]
    return decide(
        prose,
        mentions,
        offered,
        zone,
        asks=words.asks_about_time(own, spans),
        questions=words.is_question(own),
    )


# --- what each mention can mean ----------------------------------------------------------------


def _of_option(option: OptionNumber, offered, zone) -> Mention:
    label = f"option {option.index}"
    slots = frozenset({option.index}) & {o.index for o in offered}
    other = frozenset()
    if option.kind == ORDINAL:  # "the 2nd" may also be the 2nd of the month
        other = frozenset(o.index for o in offered if o.start.astimezone(zone).day == option.index)
    elif option.kind == BARE:  # "2 works" may also be 2 o'clock
        other = frozenset(o.index for o in offered if _twelve_hour_of(o, zone) == option.index)
    conflict = ""
    if other and other != slots:
        conflict = f"“{option.index}” may mean {label} or {listed(other, offered, zone)}"
    return Mention(
        label=label,
        start=option.start,
        end=option.end,
        slots=slots,
        option=option,
        conflict=conflict,
    )


def _of_moment(moment: Moment, offered) -> Mention:
    slots = frozenset() if moment.unreadable else frozenset(o for o in offered if _fits(o, moment))
    return Mention(
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


def _in_context(mention: Mention, prose: str, spans: list[tuple[int, int]]) -> Mention:
    clause = _around(mention.start, clauses(prose)) or (0, len(prose))
    parts = segments(prose, clause)
    own = _around(mention.start, parts) or clause
    declined = EXCLUDED if words.excluded(prose[: mention.start]) else ""
    return replace(
        mention,
        declined=declined or _declined(prose, own, parts, spans),
        approximate=words.has(words.RANGE_BEFORE, prose[clause[0] : mention.start]),
    )


# Joins a list ("Monday and Tuesday", "1 or 2"); a comma alone may start the choice instead
# ("apart from Monday, Tuesday works").
_LIST_GAP = re.compile(
    r"^\s*,?\s*(?:&|/|\b(?:and|or|nor|y|o|et|ou|und|oder|e)\b)\s*(?:the\s+)?$", re.IGNORECASE
)


def _listed_exclusions(mentions: list[Mention], prose: str) -> list[Mention]:
    """What is listed after a ruled-out time is ruled out too: "all fine except Monday and
    Tuesday", "apart from 1 and 2"."""
    out: list[Mention] = []
    for mention in mentions:
        previous = out[-1] if out else None
        if previous is not None and previous.declined == EXCLUDED:
            gap = prose[previous.end : mention.start]
            numbers = previous.option is not None and mention.option is not None
            if _LIST_GAP.match(gap) or (numbers and gap.strip() == ","):  # "except 1, 3"
                mention = replace(mention, declined=EXCLUDED)
        out.append(mention)
    return out


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


_UTC = zoneinfo.ZoneInfo("UTC")


def _zone(key: str) -> zoneinfo.ZoneInfo | None:
    try:
        return zoneinfo.ZoneInfo(key)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        return None


def _twelve_hour_of(offered: OfferedTime, zone) -> int | None:
    local = offered.start.astimezone(zone)
    if local.minute:
        return None
    return local.hour % 12 or 12


__all__ = ["HIGH_CONFIDENCE", "OfferedTime", "Reading", "read_reply"]
