"""The reply reader (booking.reading.read_reply): a table of real-looking replies, each with what
it must be read as, and the promise over the whole table: no acceptance of a wrong time.

Pure: no database, no network. Times are written as the lead sees them (its own zone).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from booking.reading import HIGH_CONFIDENCE, OfferedTime, Reading, read_reply
from tests.booking.replies import table as reply_table

CHICAGO, LOS_ANGELES, NEW_YORK = "America/Chicago", "America/Los_Angeles", "America/New_York"


def at(zone: str, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A wall-clock time in ``zone`` in 2030, as an aware UTC datetime."""
    local = dt.datetime(2030, month, day, hour, minute, tzinfo=ZoneInfo(zone))
    return local.astimezone(dt.UTC)


@dataclass(frozen=True)
class Scenario:
    """An offer as the lead received it, and when it replied."""

    zone: str
    received_at: dt.datetime
    starts: tuple[dt.datetime, ...]

    @property
    def offered(self) -> list[OfferedTime]:
        return [OfferedTime(index=i, start=s) for i, s in enumerate(self.starts, start=1)]

    def read(self, text: str) -> Reading:
        return read_reply(text, self.offered, lead_timezone=self.zone, received_at=self.received_at)


# The auto-book tests' offer: Friday 29 Nov 2030, 06:00 in Chicago.
# 1) Mon Dec 2, 9:00 AM CST   2) Tue Dec 3, 10:00 AM CST   3) Wed Dec 4, 1:00 PM CST
FRIDAY = at(CHICAGO, 11, 29, 6)
THREE = Scenario(
    CHICAGO, FRIDAY, (at(CHICAGO, 12, 2, 9), at(CHICAGO, 12, 3, 10), at(CHICAGO, 12, 4, 13))
)
# A counter-offer of one time: Tue Dec 3, 2:00 PM CST.
ONE = Scenario(CHICAGO, FRIDAY, (at(CHICAGO, 12, 3, 14),))
NOTHING = Scenario(CHICAGO, FRIDAY, ())
# The same three times, replied to on Sunday 1 Dec at 08:00: "tomorrow" is Monday.
SUNDAY = Scenario(CHICAGO, at(CHICAGO, 12, 1, 8), THREE.starts)
# Replied to on Monday 2 Dec at 07:00: "today" is option 1's day.
MONDAY = Scenario(CHICAGO, at(CHICAGO, 12, 2, 7), THREE.starts)
# Two offered times at 10 AM (Mon, Tue) and one at 3 PM (Wed).
SAME_HOUR = Scenario(
    CHICAGO, FRIDAY, (at(CHICAGO, 12, 2, 10), at(CHICAGO, 12, 3, 10), at(CHICAGO, 12, 4, 15))
)
# Two Tuesdays: 1) Tue Dec 3, 10:00 AM   2) Tue Dec 10, 10:00 AM   3) Wed Dec 4, 1:00 PM.
TWO_TUESDAYS = Scenario(
    CHICAGO, FRIDAY, (at(CHICAGO, 12, 3, 10), at(CHICAGO, 12, 10, 10), at(CHICAGO, 12, 4, 13))
)
# Later days (Mon Dec 9, Tue Dec 10, Wed Dec 11): "the 2nd" can only be an option number.
LATER = Scenario(
    CHICAGO, FRIDAY, (at(CHICAGO, 12, 9, 9), at(CHICAGO, 12, 10, 10), at(CHICAGO, 12, 11, 13))
)
# A Los Angeles lead: 1) Mon Dec 2, 9:00 AM PST   2) Tue Dec 3, 1:00 PM PST.
PACIFIC = Scenario(
    LOS_ANGELES, at(LOS_ANGELES, 11, 29, 8), (at(LOS_ANGELES, 12, 2, 9), at(LOS_ANGELES, 12, 3, 13))
)
# A New York lead offered Tue Dec 3, 10:00 AM EST (16:00 in Berlin) and Wed Dec 4, 9:00 AM EST.
EASTERN = Scenario(
    NEW_YORK, at(NEW_YORK, 11, 29, 7), (at(NEW_YORK, 12, 3, 10), at(NEW_YORK, 12, 4, 9))
)


# The issue's own case: offered Thu Dec 3, 10:00 AM EST (and Fri Dec 4, 10:00 AM EST), replied
# to on Thursday Dec 3 at 5:30 AM EST: "Thursday" is today.
_NY = ZoneInfo(NEW_YORK)
THURSDAY_TODAY = Scenario(
    NEW_YORK,
    dt.datetime(2026, 12, 3, 5, 30, tzinfo=_NY).astimezone(dt.UTC),
    (
        dt.datetime(2026, 12, 3, 10, tzinfo=_NY).astimezone(dt.UTC),
        dt.datetime(2026, 12, 4, 10, tzinfo=_NY).astimezone(dt.UTC),
    ),
)


@dataclass(frozen=True)
class Expect:
    kind: str
    slot: int | None = None
    high: bool | None = None  # for "accept": booked (True) or a setter's task (False)
    proposed: dt.datetime | None = None  # for "counter_proposal", when it can be pinned


def accept(slot: int, *, high: bool = True) -> Expect:
    return Expect("accept", slot=slot, high=high)


def counter(proposed: dt.datetime | None = None) -> Expect:
    return Expect("counter_proposal", proposed=proposed)


REFUSE, QUESTION, AMBIGUOUS = Expect("refuse"), Expect("question"), Expect("ambiguous")
AUTO, NO_MATCH, EMPTY = Expect("auto_reply"), Expect("no_match"), Expect("empty")
QUOTE = "\n\nOn Fri, Nov 29, 2030 at 6:00 AM Casey <casey@setterdesk.test> wrote:\n"
OFFER_QUOTED = (
    "> Here are a few times:\n> 1) Mon Dec 2, 9:00 AM CST\n> 2) Tue Dec 3, 10:00 AM CST\n"
    "> 3) Wed Dec 4, 1:00 PM CST"
)

# (id, scenario, reply, expected reading)
TABLE = [
    # --- option numbers, as digits and as words
    ("option-2", THREE, "Option 2 works for me", accept(2)),
    ("option-1", THREE, "Option 1 works for me", accept(1)),
    ("hash-3", THREE, "#3 please", accept(3)),
    ("list-marker", THREE, "2) is perfect", accept(2)),
    ("bare-digit", THREE, "2", accept(2)),
    ("bare-digit-works", THREE, "3 works", accept(3)),
    ("the-second-one", THREE, "The second one", accept(2)),
    ("first-option", THREE, "I'll take the first option", accept(1)),
    ("number-two", THREE, "number two please", accept(2)),
    ("option-three-word", THREE, "Option three works best", accept(3)),
    ("last-one", THREE, "the last one works", accept(3)),
    ("spanish-option", THREE, "La opción 2 me va bien", accept(2)),
    ("the-2nd-no-such-day-offered", LATER, "the 2nd", accept(2)),
    ("the-second-works", LATER, "the second works", accept(2)),
    ("spanish-ordinal", LATER, "la segunda", accept(2)),
    ("the-3rd-may-be-a-date", THREE, "Book me for the 3rd", AMBIGUOUS),
    ("options-listed", THREE, "Option 2 or 3 is fine", AMBIGUOUS),
    ("not-option-1-but-2", THREE, "Not option 1, option 2", accept(2, high=False)),
    ("cant-wait-is-no-no", THREE, "Can't wait! Option 2", accept(2)),
    ("thumbs-up-and-option", THREE, "Yes 👍 option 3", accept(3)),
    ("thumbs-up-alone", THREE, "👍", AMBIGUOUS),  # a yes, to which of three?
    ("option-in-past-tense", THREE, "I said option 2 last time", NO_MATCH),
    ("counted-people-not-options", THREE, "2 or 3 of my colleagues will join", NO_MATCH),
    ("counted-people-then-time", THREE, "We're 3 people, Tuesday at 10 works", accept(2)),
    (
        "numbers-in-a-long-email",
        THREE,
        "Thanks for the times. We are a team of 12 and need 30 minutes. Option 1 is fine.",
        accept(1),
    ),
    ("option-not-offered", THREE, "Option 5 please", NO_MATCH),
    ("option-with-nothing-offered", NOTHING, "Option 2 works for me", NO_MATCH),
    # "the 2nd" is option 2 or Monday the 2nd; "1" is option 1 or 1 PM (option 3)
    ("the-2nd-or-december-2nd", THREE, "the 2nd", AMBIGUOUS),
    ("bare-1-or-one-oclock", THREE, "1 works", AMBIGUOUS),
    ("option-and-its-time-agree", THREE, "Option 2, Tuesday at 10am", accept(2)),
    ("option-and-another-day", THREE, "Option 2 on Wednesday", AMBIGUOUS),
    # --- days and times
    ("weekday-and-time", THREE, "Tuesday at 10am works", accept(2)),
    ("weekday-and-bare-hour", THREE, "Tuesday at 10", accept(2)),
    ("abbreviated-weekday", THREE, "Wed 1pm is good", accept(3)),
    ("time-then-day", THREE, "10am on Tuesday please", accept(2)),
    ("month-and-day", THREE, "Dec 3 at 10:00 works", accept(2)),
    (
        "month-day-and-wrong-minutes",
        THREE,
        "Dec 3 at 10:30 works for me",
        counter(at(CHICAGO, 12, 3, 10, 30)),
    ),
    ("numeric-date", THREE, "12/4 at 1pm", accept(3)),
    ("copied-offer-line", THREE, "2) Tue Dec 3, 10:00 AM CST", accept(2)),
    ("monday-9-am", THREE, "Monday 9am sounds great", accept(1)),
    ("weekday-alone-said-as-yes", THREE, "Monday works", accept(1)),
    ("weekday-alone-not-said-as-yes", THREE, "Monday", accept(1, high=False)),
    ("time-alone-is-weaker", THREE, "10am works", accept(2, high=False)),
    ("bare-hour-alone", THREE, "Let's do 10", accept(2, high=False)),
    ("bare-hour-with-minutes", THREE, "1:00 on Wednesday", accept(3)),
    ("weekday-afternoon", THREE, "Wednesday afternoon works", accept(3, high=False)),
    ("weekday-with-wrong-part-of-day", THREE, "Wednesday morning works", counter()),
    ("noon-not-offered", THREE, "Tuesday at noon?", counter(at(CHICAGO, 12, 3, 12))),
    ("same-hour-two-days", SAME_HOUR, "10am works", AMBIGUOUS),
    ("same-hour-day-picks-it", SAME_HOUR, "Tuesday at 10am", accept(2)),
    ("same-hour-weekday-alone", SAME_HOUR, "Tuesday", accept(2, high=False)),
    ("two-tuesdays-weekday-alone", TWO_TUESDAYS, "Tuesday at 10 works", AMBIGUOUS),
    ("two-tuesdays-date-picks-it", TWO_TUESDAYS, "Tuesday Dec 10 at 10am", accept(2)),
    ("weekday-and-date-disagree", THREE, "Monday Dec 3 at 10am", NO_MATCH),
    ("bare-clock-time", THREE, "1:00 works", accept(3, high=False)),
    ("a-day-named-but-not-chosen", THREE, "Monday is a holiday here", NO_MATCH),
    (
        "long-email",
        THREE,
        "Hi Casey,\n\nThanks for sending these over. I looked at my calendar and Tuesday at 10am "
        "works best for me. Looking forward to it.\n\nJordan",
        accept(2),
    ),
    ("unreadable-day", THREE, "the 4th at 10am", NO_MATCH),
    # --- relative days
    ("tomorrow-from-sunday", SUNDAY, "tomorrow at 9 works", accept(1)),
    ("tomorrow-am", SUNDAY, "Tomorrow 9am is perfect", accept(1)),
    ("today-from-monday", MONDAY, "today at 9am works", accept(1)),
    ("tomorrow-from-monday", MONDAY, "Tomorrow at 10 please", accept(2)),
    ("tomorrow-not-offered", THREE, "tomorrow at 10 works", counter(at(CHICAGO, 11, 30, 10))),
    ("next-tuesday", THREE, "next Tuesday at 10am works", accept(2)),
    ("next-tuesday-when-two", TWO_TUESDAYS, "next Tuesday at 10am works", AMBIGUOUS),
    # --- other languages dateparser reads
    ("spanish", THREE, "el martes a las 10", accept(2)),
    ("spanish-yes", THREE, "Sí, el miércoles a la 1 me va bien", accept(3)),
    ("french", THREE, "mardi à 10h", accept(2)),
    ("french-sentence", THREE, "Lundi à 9h, c'est parfait", accept(1)),
    ("german", THREE, "Dienstag um 10 Uhr", accept(2)),
    ("german-sentence", THREE, "Mittwoch um 13:00 passt mir gut", accept(3)),
    ("portuguese", THREE, "terça às 10:00", accept(2)),
    ("spanish-counter", THREE, "¿Podemos el jueves a las 11:00?", counter(at(CHICAGO, 12, 5, 11))),
    # --- time zones named in the reply
    (
        "pacific-counter",
        THREE,
        "Wednesday at 2pm Pacific works",
        counter(at(LOS_ANGELES, 12, 4, 14)),
    ),
    ("pacific-matches-offer", THREE, "Wednesday at 11am pacific works", accept(3)),
    ("eastern-abbreviation", THREE, "Tuesday 11am EST works", accept(2)),
    ("eastern-not-offered", THREE, "Tuesday 10am EST works", counter(at(NEW_YORK, 12, 3, 10))),
    ("lead-zone-named", THREE, "Wednesday at 1pm CST", accept(3)),
    ("pt-time-only", PACIFIC, "4pm ET on Tuesday", accept(2)),
    ("pacific-lead-plain", PACIFIC, "Tuesday at 1pm", accept(2)),
    (
        "pacific-lead-eastern-miss",
        PACIFIC,
        "Tuesday at 1pm EST works",
        counter(at(NEW_YORK, 12, 3, 13)),
    ),
    ("cet", EASTERN, "Tuesday 16:00 CET works", accept(1)),
    (
        "cet-not-offered",
        EASTERN,
        "Tuesday 10:00 CET works",
        counter(at("Europe/Berlin", 12, 3, 10)),
    ),
    ("zone-said-apart", THREE, "I'm on Pacific time. Tuesday at 8am works", accept(2)),
    (
        "zone-said-apart-miss",
        THREE,
        "I'm on Pacific time; Tuesday at 10am works",
        counter(at(LOS_ANGELES, 12, 3, 10)),
    ),
    ("utc-offset", EASTERN, "Wednesday 14:00 UTC works", accept(2)),
    (
        "two-zones",
        THREE,
        "I'm on Eastern time now, on Pacific time from Monday. Tuesday at 10 works",
        NO_MATCH,
    ),
    # --- refusals and counter-proposals
    ("none-of-these", THREE, "None of these work for me, sorry", REFUSE),
    ("no-thanks", THREE, "No thanks", REFUSE),
    ("not-interested", THREE, "Not interested, please remove me from your list", REFUSE),
    ("cant-make-any", THREE, "I can't make any of those", REFUSE),
    ("bare-no", THREE, "No", REFUSE),
    (
        "none-then-counter",
        THREE,
        "None of those work, could we do Tuesday at 2pm instead?",
        counter(at(CHICAGO, 12, 3, 14)),
    ),
    (
        "counter-question",
        THREE,
        "Could we do Tuesday at 2pm instead?",
        counter(at(CHICAGO, 12, 3, 14)),
    ),
    ("counter-how-about", THREE, "How about Thursday at 3pm?", counter(at(CHICAGO, 12, 5, 15))),
    ("counter-bare-hour", THREE, "can you do 11 instead?", counter()),
    ("counter-two-times", THREE, "Could we do Thursday at 3pm or Friday at 11am?", counter()),
    (
        "counter-after-decline",
        THREE,
        "I can't do Monday, what about Thursday at 9am?",
        counter(at(CHICAGO, 12, 5, 9)),
    ),
    ("declines-one", THREE, "I can't do Monday", NO_MATCH),
    ("declines-one-sadly", THREE, "Tuesday, sadly, doesn't work", NO_MATCH),
    (
        "declines-one-picks-another",
        THREE,
        "Monday doesn't work but Tuesday at 10 does",
        accept(2, high=False),
    ),
    ("declines-with-named-time", THREE, "None of those work except maybe Tuesday at 10", AMBIGUOUS),
    (
        "declines-one-names-another",
        THREE,
        "Tuesday 10am doesn't work, Wednesday at 1pm does",
        accept(3, high=False),
    ),
    ("changes-mind", THREE, "Let's do Monday at 9am. Actually no, Tuesday at 10am.", AMBIGUOUS),
    (
        "changes-mind-no-wait",
        THREE,
        "Tuesday at 10am works. No wait, make it Wednesday at 1pm.",
        AMBIGUOUS,
    ),
    ("spanish-declines", THREE, "El martes a las 10 no puedo", NO_MATCH),
    ("french-declines", THREE, "Je ne peux pas mardi à 10h", NO_MATCH),
    (
        "german-declines-then-picks",
        THREE,
        "Dienstag um 10 Uhr passt leider nicht, aber Mittwoch um 13 Uhr",
        accept(3, high=False),
    ),
    ("none-alone", THREE, "none", REFUSE),
    (
        "counter-half-hour",
        THREE,
        "Can we do a call at 2:30 on Tuesday instead?",
        counter(at(CHICAGO, 12, 3, 14, 30)),
    ),
    ("time-not-offered-no-proposal", THREE, "My kid's recital is Thursday at 3pm", NO_MATCH),
    (
        "counter-with-nothing-offered",
        NOTHING,
        "Can we do Tuesday at 2pm?",
        counter(at(CHICAGO, 12, 3, 14)),
    ),
    # --- two times named
    ("either-one-or-two", THREE, "Either 1 or 2 works for me", AMBIGUOUS),
    ("one-or-three", THREE, "1 or 3 works", AMBIGUOUS),
    ("tuesday-or-wednesday", THREE, "Tuesday or Wednesday", AMBIGUOUS),
    ("two-full-times", THREE, "Tuesday at 10am or Wednesday at 1pm", AMBIGUOUS),
    ("two-options-and", THREE, "Options 1 and 3 both work", AMBIGUOUS),
    ("offered-and-unoffered", THREE, "Tuesday at 10am or Thursday at 3pm", AMBIGUOUS),
    # --- bare yes
    ("ok-with-three", THREE, "ok", AMBIGUOUS),
    ("sounds-good-with-three", THREE, "Sounds good!", AMBIGUOUS),
    ("both-work", THREE, "both work", AMBIGUOUS),
    ("any-time-works", THREE, "Any of those times work", AMBIGUOUS),
    ("yes-with-one", ONE, "Yes, that works", accept(1)),
    ("sure-with-one", ONE, "Sure", accept(1)),
    ("yes-with-nothing", NOTHING, "Yes", NO_MATCH),
    ("yes-if-with-one", ONE, "Yes if it's still open", accept(1, high=False)),
    ("yes-but-with-one", ONE, "Yes but not this week", NO_MATCH),
    ("yes-with-one-named", ONE, "Tuesday at 2 works", accept(1)),
    ("other-time-with-one", ONE, "Tuesday at 3 works better", counter(at(CHICAGO, 12, 3, 15))),
    # --- questions
    ("question-video", THREE, "Is this a video call or a phone call?", QUESTION),
    ("question-about", THREE, "what's it about?", QUESTION),
    ("question-no-mark", THREE, "how long is the call", QUESTION),
    ("question-about-offered", THREE, "Does Tuesday at 10 still work?", accept(2, high=False)),
    ("question-about-option", THREE, "Is option 2 still available?", accept(2, high=False)),
    ("accept-and-practical-question", THREE, "Tuesday at 10am works, is it on Zoom?", accept(2)),
    (
        "accept-and-question-about-the-time",
        THREE,
        "Tuesday at 10am works, is that your time or mine?",
        accept(2, high=False),
    ),
    # --- hedges and ranges
    ("hedge-maybe", THREE, "Maybe option 2", accept(2, high=False)),
    ("hedge-i-think", THREE, "I think Tuesday at 10 should work", accept(2, high=False)),
    ("range-after", THREE, "Anytime after 9am on Monday", accept(1, high=False)),
    # --- quoted history
    ("quoted-bare-yes", THREE, "Sounds good" + QUOTE + OFFER_QUOTED, AMBIGUOUS),
    ("quoted-with-choice", THREE, "Option 3 please" + QUOTE + OFFER_QUOTED, accept(3)),
    ("quote-only", THREE, QUOTE.strip() + "\n" + OFFER_QUOTED, EMPTY),
    ("quoted-lines-only", THREE, "> 2) Tue Dec 3, 10:00 AM CST", EMPTY),
    (
        "outlook-history",
        THREE,
        "Wednesday works for me.\n\n-----Original Message-----\nFrom: Casey\nSent: Friday, "
        "November 29, 2030 6:00 AM\nSubject: Times\n\n1) Mon Dec 2, 9:00 AM CST",
        accept(3),
    ),
    (
        "outlook-headers",
        THREE,
        "Monday at 9 is fine\n\nFrom: Casey <casey@setterdesk.test>\nDate: Fri, 29 Nov 2030\n"
        "Subject: Re: times\n2) Tue Dec 3, 10:00 AM CST",
        accept(1),
    ),
    (
        "forwarded",
        THREE,
        "Can you help?\n\n---------- Forwarded message ---------\nFrom: Casey\n"
        "2) Tue Dec 3, 10:00 AM CST",
        QUESTION,
    ),
    (
        "spanish-quote",
        THREE,
        "Perfecto\n\nEl vie, 29 nov 2030 a las 6:00, Casey escribió:\n> 2) Tue Dec 3",
        AMBIGUOUS,
    ),
    # --- signatures
    (
        "signature-dashes",
        THREE,
        "Option 1 please\n-- \nJordan Lee\nCall me: 312 555 0100",
        accept(1),
    ),
    (
        "signature-closing",
        THREE,
        "Tuesday at 10am works.\n\nBest,\nJordan\nVP Sales, Acme 2030",
        accept(2),
    ),
    ("signature-iphone", THREE, "2 works\n\nSent from my iPhone", accept(2)),
    ("signature-only", THREE, "-- \nJordan Lee\nMon-Fri 9am-5pm", EMPTY),
    ("thanks-alone", THREE, "Thanks!", NO_MATCH),
    ("closing-with-hours", THREE, "Sounds good\n\nThanks,\nJordan\nAvailable Mon 9am", AMBIGUOUS),
    # --- out of office and automatic replies
    (
        "out-of-office",
        THREE,
        "I'm out of the office until Monday 12/9 with limited access to email.",
        AUTO,
    ),
    ("automatic-reply", THREE, "Automatic reply: I am away until Tuesday Dec 3 at 10am.", AUTO),
    ("auto-reply-word", THREE, "This is an auto-reply. I will respond on Wednesday.", AUTO),
    ("currently-away", THREE, "I am currently away and will return on Monday Dec 2.", AUTO),
    ("vacation", THREE, "On vacation until Tuesday at 10. Option 2", AUTO),
    ("im-out-until", THREE, "I'm out until Monday 12/7", AUTO),
    ("spanish-ooo", THREE, "Respuesta automática: fuera de la oficina hasta el martes", AUTO),
    ("german-ooo", THREE, "Automatische Antwort: Ich bin bis Dienstag nicht im Büro.", AUTO),
    # --- chit-chat and plain words dateparser likes
    ("thanks-for-reaching-out", THREE, "Thanks for reaching out!", NO_MATCH),
    ("may-be-late", THREE, "I may be a few minutes late, we can talk then", NO_MATCH),
    ("sat-down", THREE, "I sat down with my partner and we will get back to you", NO_MATCH),
    ("in-two-hours", THREE, "call me in 2 hours", NO_MATCH),
    ("counting", THREE, "We have 2 locations and 10 staff", NO_MATCH),
    ("good-morning", THREE, "Good morning! Wednesday at 1 works", accept(3)),
    ("german-greeting", THREE, "Guten Morgen, Dienstag um 10:00 passt", accept(2)),
    ("empty", THREE, "   \n  ", EMPTY),
    # --- the classes of issue 15
    ("today-is-thursday", THURSDAY_TODAY, "Thursday at 10am works for me", accept(1)),
    ("exclusion-two-left", THREE, "all fine apart from the second", AMBIGUOUS),
    ("exclusion-list", THREE, "any is fine except monday and tuesday", accept(3, high=False)),
    ("exclusion-numbers", THREE, "all fine except 1, 3", accept(2, high=False)),
    (
        "exclusion-then-choice",
        THREE,
        "apart from Monday, Tuesday at 10 works",
        accept(2, high=False),
    ),
    ("statement-is-no-pick", THREE, "I sent the second.", NO_MATCH),
    ("day-said-to-be-out", THREE, "Tuesday's out", NO_MATCH),
    ("yes-taken-back", THREE, "Yes Tuesday works, but in my zone that's far too early", NO_MATCH),
    ("date-matching-no-offer", THREE, "March 2 works", counter()),
    ("date-alone-matching-one", THREE, "Dec 3 works", accept(2)),
    ("abbreviated-weekday-alone", THREE, "Tues. works", accept(2)),
    ("misspelled-weekday", THREE, "Wensday works for me", accept(3)),
    ("emoji-digit", THREE, "2️⃣", accept(2)),
    ("texting-tomorrow", SUNDAY, "tmrw at 9 works", accept(1)),
    ("earliest", THREE, "the earliest one", accept(1)),
    ("one-in-between", THREE, "the one in between", accept(2)),
    ("yes-and-zoom-question", ONE, "Yes! What's the zoom link?", accept(1)),
    ("portuguese-day-alone", THREE, "quarta está ótimo", accept(3)),
    ("french-abbreviated", THREE, "mar. ça me va", accept(2)),
    ("german-abbreviated", THREE, "Mi. 13 Uhr passt", accept(3)),
    (
        "html-gmail-quote",
        THREE,
        '<div dir="ltr">Option 2 works for me</div><div class="gmail_quote"><div '
        'class="gmail_attr">On Fri, Casey wrote:</div><blockquote class="gmail_quote">'
        "1) Mon Dec 2, 9:00 AM CST<br>3) Wed Dec 4, 1:00 PM CST</blockquote></div>",
        accept(2),
    ),
    (
        "html-outlook-header",
        THREE,
        '<p>Wednesday at 1pm works.</p><hr><div id="divRplyFwdMsg"><b>From:</b> Casey<br>'
        "<b>Sent:</b> Friday</div><div>1) Mon Dec 2, 9:00 AM CST</div>",
        accept(3),
    ),
    ("talk-soon-nothing-offered", NOTHING, "Thanks, talk soon", NO_MATCH),
]
IDS = [row[0] for row in TABLE]
assert len(set(IDS)) == len(IDS), "table ids must be unique"


@pytest.mark.parametrize(("scenario", "text", "expected"), [r[1:] for r in TABLE], ids=IDS)
def test_reply_is_read_as_expected(scenario: Scenario, text: str, expected: Expect):
    reading = scenario.read(text)
    assert reading.reason, "every reading says why"
    assert (reading.kind, reading.slot_index) == (expected.kind, expected.slot), reading.reason
    if expected.kind == "accept":
        assert (reading.confidence >= HIGH_CONFIDENCE) is expected.high, reading
    else:
        assert reading.slot_index is None and reading.confidence < HIGH_CONFIDENCE
    if expected.kind == "counter_proposal":
        assert reading.proposed_time == expected.proposed, reading.reason


def test_the_whole_table_has_zero_wrong_slot_acceptances():
    wrong = []
    for name, scenario, text, expected in TABLE:
        reading = scenario.read(text)
        if reading.kind != "accept":
            continue
        if expected.kind != "accept" or reading.slot_index != expected.slot:
            wrong.append(f"{name}: {text!r} accepted option {reading.slot_index}")
    assert wrong == []


def test_the_table_covers_every_kind_and_is_large():
    kinds = {expected.kind for *_, expected in TABLE}
    assert kinds == {
        "accept",
        "counter_proposal",
        "refuse",
        "question",
        "ambiguous",
        "auto_reply",
        "no_match",
        "empty",
    }
    assert len(TABLE) >= 60


# --- the data-file table (tests/booking/replies/), read on each of the seven weekdays -----------


def _read_case(case: reply_table.Case) -> Reading:
    offered = [OfferedTime(index=i, start=s) for i, s in enumerate(case.starts, start=1)]
    # The clock stands at the reply's arrival: the reader must get "today" from received_at.
    with time_machine.travel(case.received_at, tick=False):
        return read_reply(case.text, offered, lead_timezone=case.zone, received_at=case.received_at)


def _books_wrongly(case: reply_table.Case, reading: Reading) -> bool:
    books = reading.kind == "accept" and reading.confidence >= HIGH_CONFIDENCE
    right = case.row.kind == "accept" and reading.slot_index == case.row.slot
    return books and not right


def _as_expected(case: reply_table.Case, reading: Reading) -> bool:
    row = case.row
    if (reading.kind, reading.slot_index) != (row.kind, row.slot) or not reading.reason:
        return False
    if row.kind == "accept":
        return (reading.confidence >= HIGH_CONFIDENCE) is row.high
    return reading.confidence < HIGH_CONFIDENCE


@pytest.mark.parametrize("day", reply_table.WEEK, ids=[f"{d:%A}" for d in reply_table.WEEK])
def test_every_tuning_reply_reads_as_expected_whatever_the_weekday(day):
    wrong = []
    for row in reply_table.rows("tuning"):
        case = reply_table.case(row, day)
        reading = _read_case(case)
        if not _as_expected(case, reading):
            wrong.append(f"{row.id} {case.text!r}: {reading}")
    assert wrong == []


@pytest.mark.parametrize("day", reply_table.WEEK, ids=[f"{d:%A}" for d in reply_table.WEEK])
@pytest.mark.parametrize("name", reply_table.SETS)
def test_no_set_books_a_wrong_time_whatever_the_weekday(name, day):
    wrong = []
    for row in reply_table.rows(name):
        case = reply_table.case(row, day)
        reading = _read_case(case)
        if _books_wrongly(case, reading):
            wrong.append(f"{row.id} {case.text!r}: {reading}")
    assert wrong == []


def test_the_data_table_is_large_and_mixed():
    rows = {name: reply_table.rows(name) for name in reply_table.SETS}
    everything = [r for name in rows for r in rows[name]]
    assert len(everything) >= 400
    assert len({r.id for r in everything}) == len(everything), "row ids are unique"
    assert len({r.text for r in everything}) > 0.95 * len(everything)
    for name, some in rows.items():
        assert {r.lang for r in some} == {"en", "es", "fr", "de", "pt"}, name
        assert {r.style for r in some} == {"sms", "email"}, name
        assert {r.kind for r in some} >= {"accept", "refuse", "question", "ambiguous"}, name
        assert sum(r.kind == "accept" and r.high for r in some) >= 0.3 * len(some), name
        assert all(r.offers in reply_table.OFFERS for r in some), name


def test_offers_run_from_today_to_next_week_on_every_weekday():
    weekdays = {
        reply_table.case(reply_table.rows("tuning")[0], d).day.weekday() for d in reply_table.WEEK
    }
    assert weekdays == set(range(7))
    _, _, offered = reply_table.OFFERS["today"]
    assert {days for days, _, _ in offered} >= {0, 1, 8}


def test_a_reply_is_read_in_a_few_milliseconds():
    THREE.read("warm up: Tuesday at 10")  # dateparser loads its language data once
    started = time.perf_counter()
    for _, scenario, text, _ in TABLE:
        scenario.read(text)
    per_reply = (time.perf_counter() - started) / len(TABLE)
    assert per_reply < 0.05, f"{per_reply * 1000:.1f} ms per reply"


def test_counter_proposal_times_are_aware_utc():
    reading = THREE.read("Could we do Tuesday at 2pm instead?")
    assert reading.proposed_time.utcoffset() == dt.timedelta(0)
    assert reading.proposed_time == dt.datetime(2030, 12, 3, 20, 0, tzinfo=dt.UTC)


def test_with_an_unknown_lead_zone_only_option_numbers_count():
    def read(text):
        return read_reply(text, THREE.offered, lead_timezone="Mars/Olympus", received_at=FRIDAY)

    assert (read("Option 2").kind, read("Option 2").slot_index) == ("accept", 2)
    assert read("Tuesday at 10am").kind == "no_match"


def test_a_date_parser_crash_is_read_as_no_match_never_as_the_option_alone(monkeypatch):
    from booking.reading import times as reply_times

    def crash(*args, **kwargs):
        raise ValueError("year 0 is out of range")

    monkeypatch.setattr(reply_times, "search_dates", crash)
    reading = THREE.read("Option 2, Monday at 9am")
    assert (reading.kind, reading.slot_index) == ("no_match", None)
    assert "could not be read" in reading.reason


# --- properties ---------------------------------------------------------------------------------

_REPLY_WORDS = st.sampled_from(
    [
        "yes", "ok", "option", "2", "#3", "the second one", "Tuesday", "at", "10", "10am", "4pm",
        "pacific", "EST", "tomorrow", "none", "of", "these", "work", "?", "or", "1", "Dec 3",
        "12/4", "mardi", "à", "10h", "el", "martes", "a las", "Dienstag", "um", "Uhr", ">",
        "On Fri wrote:", "\n", "-- ", "Sent from my iPhone", "not", "can't", "instead", "maybe",
    ]
)  # fmt: skip
_PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@_PROPERTY_SETTINGS
@given(text=st.text(max_size=200))
def test_arbitrary_text_never_raises_and_accepts_nothing_when_nothing_was_offered(text):
    reading = NOTHING.read(text)
    assert reading.kind != "accept" and reading.slot_index is None
    assert 0.0 <= reading.confidence <= 1.0
    assert THREE.read(text).slot_index in {None, 1, 2, 3}


@_PROPERTY_SETTINGS
@given(text=st.lists(_REPLY_WORDS, max_size=12).map(" ".join))
def test_reply_like_text_never_accepts_when_nothing_was_offered(text):
    reading = NOTHING.read(text)
    assert reading.kind != "accept" and reading.slot_index is None


@_PROPERTY_SETTINGS
@given(text=st.lists(_REPLY_WORDS, max_size=12).map(" ".join))
def test_any_acceptance_names_an_offered_option(text):
    reading = THREE.read(text)
    assert reading.kind in {
        "accept", "counter_proposal", "refuse", "question", "ambiguous", "auto_reply", "no_match",
        "empty",
    }  # fmt: skip
    if reading.kind == "accept":
        assert reading.slot_index in {1, 2, 3} and 0.0 < reading.confidence <= 1.0
    else:
        assert reading.slot_index is None


@_PROPERTY_SETTINGS
@given(text=st.text(max_size=120))
def test_arbitrary_text_below_a_quote_header_changes_nothing(text):
    """What follows "On … wrote:" is history: the lead's own line decides the reading."""
    reading = THREE.read("Option 3 please" + QUOTE + text)
    assert (reading.kind, reading.slot_index) == ("accept", 3)


@_PROPERTY_SETTINGS
@given(text=st.text(max_size=150), tag=st.sampled_from(["div", "p", "blockquote", "span", "b"]))
def test_arbitrary_html_never_raises_and_a_quoted_offer_is_never_read(text, tag):
    """Whatever the markup holds, reading it never fails, and the offer quoted in a Gmail
    quote block is never the lead's answer."""
    THREE.read(f"<{tag}>{text}</{tag}>")
    quoted = (
        f'<div class="gmail_quote"><blockquote class="gmail_quote">{text}<br>'
        "1) Mon Dec 2, 9:00 AM CST<br>2) Tue Dec 3, 10:00 AM CST</blockquote></div>"
    )
    reading = THREE.read("<div>Option 3 please</div>" + quoted)
    assert (reading.kind, reading.slot_index) == ("accept", 3)
