"""What the reader works with and hands back: an offered time, a reading of a reply, and a
mention (something the reply names, with the offered times it can mean)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from booking.reading.moments import Moment
from booking.reading.numbers import OptionNumber

ACCEPT, COUNTER, REFUSE, QUESTION_KIND = "accept", "counter_proposal", "refuse", "question"
AMBIGUOUS, AUTO_REPLY, NO_MATCH, EMPTY = "ambiguous", "auto_reply", "no_match", "empty"
# Why a mention is declined: a "no" in its own part of the clause, in another part of it, or
# an exclusion ("all fine apart from the second").
OWN, NEARBY, EXCLUDED = "own", "nearby", "excluded"


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
class Mention:
    """Something the reply names, and the offered times (indices) it can mean."""

    label: str
    start: int
    end: int
    slots: frozenset[int]
    moment: Moment | None = None
    option: OptionNumber | None = None
    conflict: str = ""  # two readings of it point at different offered times
    declined: str = ""  # OWN, NEARBY or EXCLUDED
    approximate: bool = False

    @property
    def unreadable(self) -> str:
        return self.moment.unreadable if self.moment else ""

    @property
    def is_time(self) -> bool:
        return self.moment is not None


def when(slot: OfferedTime, zone) -> str:
    local = slot.start.astimezone(zone)
    clock = local.strftime("%I:%M %p").lstrip("0")
    return f"{local:%a %b} {local.day}, {clock} {local.tzname()}"


def listed(indices, offered, zone) -> str:
    by_index = {o.index: o for o in offered}
    return " or ".join(f"option {i} ({when(by_index[i], zone)})" for i in sorted(indices))


def labels(mentions) -> str:
    seen = []
    for m in mentions:
        if m.label not in seen:
            seen.append(m.label)
    return " and ".join(seen)


def blank(text: str, spans) -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)
