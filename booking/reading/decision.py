"""From what a reply names to a reading: the mentions must agree on exactly one offered time,
nothing the lead said may take the yes back, and anything in doubt is said to be so.

See ``booking.reading.reader`` for the rules in order; the confidence of an acceptance is
``booking.reading.confidence``'s.
"""

from __future__ import annotations

import re

import booking.reading.words as words
from booking.reading.confidence import (
    BY_ELIMINATION,
    CONDITIONAL,
    ONLY_OFFERED_YES,
    capped,
    evidence,
)
from booking.reading.readings import (
    ACCEPT,
    AMBIGUOUS,
    COUNTER,
    EXCLUDED,
    NEARBY,
    NO_MATCH,
    QUESTION_KIND,
    REFUSE,
    Mention,
    Reading,
    blank,
    labels,
    listed,
    when,
)
from booking.reading.text import clauses

# Words a reply may hold beside the time it names and still be a choice with no "yes" in it
# ("Tuesday at 10", "2) Tue Dec 3, 10:00 AM CST"); "Monday is a holiday here" is no choice.
BARE_CHOICE_WORDS = 2
_SUBJECTS = {
    "i", "i'll", "i’ll", "i'm", "i’m", "i've", "i’ve", "we", "we'll", "we’ll", "he", "she",
    "they", "you", "it", "je", "ich", "yo", "eu", "wir", "nous", "nós",
}  # fmt: skip


def decide(prose: str, mentions: list[Mention], offered, zone, *, asks: bool, questions: bool):
    """``asks``: the reply asks about the time itself; ``questions``: it asks anything (a
    question about the meeting, "is it on Zoom?", leaves a yes standing)."""
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
        return _proposal(prose, proposals, matched, asks=questions)
    if unoffered:
        if matched:
            return Reading(AMBIGUOUS, reason=f"names {labels(live)}, not all of them offered")
        return Reading(NO_MATCH, reason=f"{unoffered[0].label} was not offered")
    if matched and any(m.declined == NEARBY for m in declined):
        return Reading(  # "Monday at 9. Actually no, Tuesday at 10": which one is meant?
            AMBIGUOUS, reason=f"names {labels(mentions)}, some of them with a no nearby"
        )
    if matched and not _chooses(prose, mentions, asks=questions):
        return Reading(NO_MATCH, reason=f"names {labels(matched)} without choosing it")
    if matched and (objection := _taken_back(prose, mentions, matched)):
        return Reading(NO_MATCH, reason=f"names {labels(matched)}, then objects: “{objection}”")
    if matched:
        return _acceptance(prose, matched, declined, offered, zone, asks=asks)
    return _no_time_named(prose, declined, offered, asks=asks, questions=questions)


def _refusal(proposals, matched) -> Reading:
    if proposals and not matched:
        return _counter(proposals, "declines the offered times and proposes another")
    if matched:
        return Reading(AMBIGUOUS, reason=f"declines, yet names {labels(matched)}")
    return Reading(REFUSE, reason="declines the offered times")


def _proposal(prose, proposals, matched, *, asks: bool) -> Reading:
    if matched:
        return Reading(
            AMBIGUOUS, reason=f"names {labels(matched)} and also {labels(proposals)}, not offered"
        )
    if asks or words.has(words.PROPOSAL, prose) or words.agrees(prose):
        return _counter(proposals, "proposes a time that was not offered")
    return Reading(NO_MATCH, reason=f"names {labels(proposals)}, which was not offered")


def _counter(proposals, why: str) -> Reading:
    instants = {m.moment.instant() for m in proposals if not m.approximate}
    instants.discard(None)
    if len(instants) == 1:
        proposed = instants.pop()
        return Reading(COUNTER, reason=f"{why}: {labels(proposals)}", proposed_time=proposed)
    pinned = "more than one time" if len(instants) > 1 else "no exact day and time"
    return Reading(COUNTER, reason=f"{why} ({labels(proposals)}; {pinned})")


def _chooses(prose: str, mentions, *, asks: bool) -> bool:
    """The reply picks what it names: it agrees, proposes, chooses or asks, or it is little
    more than the time itself."""
    if asks or words.agrees(prose) or words.has(words.PROPOSAL, prose):
        return True
    rest = blank(prose, [(m.start, m.end) for m in mentions])
    said = re.findall(r"[^\W\d_][\w'’]*", rest)
    # "I sent the second" tells, it does not pick: a subject makes it a statement.
    return len(said) <= BARE_CHOICE_WORDS and not any(w.lower() in _SUBJECTS for w in said)


def _taken_back(prose: str, mentions, matched) -> str:
    """A clause after the chosen time that names nothing and objects to it ("Yes Tuesday works,
    but in my zone that's far too early") takes the yes back."""
    chosen_end = max(m.end for m in matched)
    for start, end in clauses(prose):
        if start < chosen_end or any(start <= m.start < end for m in mentions):
            continue
        if words.negated(prose[start:end]):
            return prose[start:end].strip()
    return ""


def _acceptance(prose, matched, declined, offered, zone, *, asks: bool) -> Reading:
    slots = frozenset().union(*(m.slots for m in matched))
    if words.has(words.ALTERNATIVE, prose) and len(slots) > 1:
        return Reading(AMBIGUOUS, reason=f"names alternatives: {labels(matched)}")
    common = frozenset.intersection(*(m.slots for m in matched))
    if not common:
        return Reading(AMBIGUOUS, reason=f"names different offered times: {labels(matched)}")
    if len(common) > 1:
        return Reading(
            AMBIGUOUS, reason=f"{labels(matched)} could be {listed(common, offered, zone)}"
        )
    (index,) = common
    slot = next(o for o in offered if o.index == index)
    confidence, named = evidence(prose, matched, slot)
    confidence, caveats = capped(confidence, prose, matched, declined, asks=asks)
    reason = f"{named} → option {index}, {when(slot, zone)}"
    if caveats:
        reason += f" ({'; '.join(caveats)})"
    return Reading(ACCEPT, slot_index=index, confidence=round(confidence, 2), reason=reason)


def _no_time_named(prose: str, declined, offered, *, asks: bool, questions: bool) -> Reading:
    if declined:
        return _declined_only(prose, declined, offered)
    if asks or (questions and not words.has(words.YES, prose)):
        return Reading(QUESTION_KIND, reason="asks a question and names no time")
    plain = words.NEGATION_IDIOMS.sub(" ", prose)
    if words.has(words.BARE_NO, plain):
        return Reading(REFUSE, reason="says no")
    if words.has(words.WHICHEVER, prose) and len(offered) > 1:
        return Reading(AMBIGUOUS, reason="leaves the choice of time to us")
    if not words.agrees(prose):
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


def _declined_only(prose: str, declined, offered) -> Reading:
    """Only declined or ruled-out times are named. "All fine apart from the second" leaves the
    others: one of them is read as meant (never booked), two are ambiguous."""
    ruled_out = {i for m in declined for i in m.slots}
    if ruled_out >= {o.index for o in offered}:
        return Reading(REFUSE, reason=f"declines {labels(declined)}")
    excludes = any(m.declined == EXCLUDED for m in declined)
    if not excludes or not (words.agrees(prose) or words.has(words.WHOLE, prose)):
        return Reading(NO_MATCH, reason=f"declines {labels(declined)} without choosing another")
    left = sorted(o.index for o in offered if o.index not in ruled_out)
    if len(left) > 1:
        return Reading(AMBIGUOUS, reason=f"rules out {labels(declined)} and leaves options {left}")
    return Reading(
        ACCEPT,
        slot_index=left[0],
        confidence=BY_ELIMINATION,
        reason=f"rules out {labels(declined)}, which leaves option {left[0]} (by elimination)",
    )
