"""The words that say what a reply is doing: declining, asking, agreeing, proposing, hedging,
or being written by a machine. English first, with the common Spanish, French and German forms.

Only intent lives here. Dates and times are read by ``booking.reading.times`` (dateparser) and
option numbers by ``booking.reading.numbers``; nothing here looks at a date.
"""

from __future__ import annotations

import re


def _words(*phrases: str) -> re.Pattern:
    """One pattern matching any phrase as whole words, case-insensitively."""
    return re.compile(r"(?<!\w)(?:" + "|".join(phrases) + r")(?!\w)", re.IGNORECASE)


_NT = r"(?:n[’']t| not)"  # don't / do not, won't / will not …
_CANT = r"(?:can[’']t|cannot|can not)"

# An out-of-office or automatic reply. Its dates say when someone is back, never a choice.
AUTO_REPLY = _words(
    r"automatic reply",
    r"auto[- ]?reply",
    r"autoreply",
    r"auto[- ]?response",
    r"automated (?:message|response|reply)",
    r"out of (?:the )?office",
    r"out-of-office",
    r"OOO",
    r"(?:I[’']m|I am) (?:currently )?(?:away|out|on (?:vacation|holiday|leave|PTO))",
    r"(?:I[’']m|I am) out (?:until|till|through|of)",
    r"(?:I will|I[’']ll) be (?:out|away) (?:of|until|till|from|through)",
    r"on (?:vacation|holiday|annual leave|parental leave|maternity leave|leave) until",
    r"(?:limited|no) access to (?:my )?e-?mail",
    r"away from (?:my desk|the office)",
    r"(?:will|I[’']ll) (?:return|be back) on",
    r"upon my return",
    r"respuesta autom[aá]tica",
    r"fuera de la oficina",
    r"r[ée]ponse automatique",
    r"absent(?:e)? du bureau",
    r"automatische antwort",
    r"abwesenheitsnotiz",
    r"au[ßs]er haus",
    r"nicht im b[üu]ro",
)

# The lead asks us to stop writing: the whole reply (carriers' STOP words and their like),
# never a phrase inside a longer message ("stop by", "please don't end the call early").
OPT_OUT = re.compile(
    r"^\W*(?:stop(?: ?all)?|unsubscribe|end|quit|opt[ -]?out|remove me(?: from (?:this|your)"
    r" list)?|(?:please )?(?:stop|don[’']?t|do not) (?:texting|messaging|emailing|contacting|"
    r"text|message|email|contact) me(?: again| anymore)?)\W*$",
    re.IGNORECASE,
)

# A clear no to the offer as a whole.
REFUSAL = _words(
    r"(?:none|neither|nothing|not one|no one) of (?:these|those|them|the (?:\w+ )?(?:times|options|"
    r"slots|dates|above))",
    r"(?:none|neither|nothing) (?:works?|is good|fits?|suits?)",
    r"(?:these|those|they|them|the times) (?:do|will|wo)" + _NT + r" work",
    r"no,? thanks?(?: you)?",
    r"not interested",
    r"no longer interested",
    _CANT + r" make (?:any|it|those|these|them)",
    _CANT + r" do (?:any|those|these|them)",
    r"not (?:a good time|right now|now)",
    r"unsubscribe",
    r"^\W*(?:stop|none|neither|nope|nah)\W*$",  # the whole reply ("I'll stop by" is no no)
    r"remove me",
    r"ninguno|ninguna",
    r"no me interesa",
    r"aucun(?:e)?",
    r"pas int[ée]ress[ée](?:e)?",
    r"keine?r?(?: de[rn])? (?:termine?|passt)",
    r"kein interesse",
)

# A no inside a clause: whatever the clause names is declined ("I can't do Tuesday").
NEGATION = _words(
    r"\w+n[’']t",
    r"cannot",
    r"not",
    r"no",
    r"nope",
    r"nah",
    r"never",
    r"neither",
    r"nor",
    r"none",
    r"nothing",
    r"unable",
    r"unavailable",
    r"busy",
    r"cancel",
    r"nunca",
    r"pas",
    r"jamais",
    r"nicht",
    r"kein(?:e|en)?",
    r"nie",
)
# Phrases that contain a negation word but say yes.
NEGATION_IDIOMS = _words(
    r"no problem",
    r"not a problem",
    r"no worries",
    r"no rush",
    r"no doubt",
    r"why not",
    r"can[’']t wait",
    r"cannot wait",
    r"no hay problema",
    r"pas de probl[eè]me",
    r"kein problem",
)
# The reply as a whole is just "no".
BARE_NO = re.compile(r"^\W*(?:no|nope|nah|non|nein)\b", re.IGNORECASE)

# Asking rather than telling.
QUESTION_START = re.compile(
    r"^\W*(?:is|are|was|do|does|did|what|when|where|who|whom|why|how|can(?! do)|could|will|"
    r"would|should|shall|qu[ée]|c[oó]mo|cu[aá]ndo|d[oó]nde|est-ce|wie|wann|wo)(?=\s)",
    re.IGNORECASE,
)

# A plain yes, which names no time.
YES = _words(
    r"yes",
    r"yeah",
    r"yep",
    r"yup",
    r"sure",
    r"ok",
    r"okay",
    r"k",
    r"kk",
    r"sounds (?:good|great|perfect|fine)",
    r"(?:that|this|it) works",
    r"works(?: for me)?",
    r"perfect",
    r"confirmed",
    r"book it",
    r"let[’']?s do it",
    r"deal",
    r"go ahead",
    r"absolutely",
    r"definitely",
    r"s[ií]",
    r"vale",
    r"perfecto",
    r"claro",
    r"oui",
    r"d[’']accord",
    r"parfait",
    r"[çc]a marche",
    r"ja",
    r"passt",
    r"gerne",
)

# Leaving the choice to us: with more than one time offered, that picks none of them.
WHICHEVER = _words(
    r"both",
    r"either(?: one)?(?= works?| is| would| suits| fine| ok)",
    r"(?:any|all) of (?:them|those|these|the (?:times|options|above))",
    r"any (?:one|time|day)",
    r"anytime",
    r"whichever",
    r"whatever",
    r"cualquiera",
    r"n[’']importe (?:lequel|laquelle|quand)",
    r"egal",
    r"beide",
)

# Proposing something: with a time that was not offered, a counter-proposal.
PROPOSAL = _words(
    r"instead",
    r"how about",
    r"what about",
    r"(?:could|can|would|shall) (?:we|you|i)",
    r"would .{0,40}work",
    r"(?:does|do|would|will) .{0,40}work",
    r"is .{0,40}(?:possible|available|open|free|ok|okay)",
    r"i (?:can|could) (?:only )?(?:do|make)",
    r"(?:i[’']m|i am) (?:free|available|around)",
    r"(?:works|work) (?:better|best)",
    r"better for me",
    r"prefer",
    r"rather",
    r"let[’']?s (?:do|say|make it)",
    r"maybe",
    r"possible",
    r"works?",
    r"good",
    r"fine",
    r"(?:¿)?(?:podemos|podr[ií]amos|puede|mejor)",
    r"(?:on peut|pourrait|plut[oô]t|possible)",
    r"(?:k[öo]nnen wir|k[öo]nnten wir|lieber|stattdessen|geht auch)",
)

# Choosing: what a reply says around the time it picks ("Tuesday at 10 please").
CHOICE = _words(
    r"please",
    r"pls",
    r"plz",
    r"book",
    r"take",
    r"go with",
    r"choose",
    r"pick",
    r"see you",
    r"i[’']ll (?:do|be there)",
    r"me va",
    r"me viene",
    r"por favor",
    r"c[’']est",
    r"je prends",
    r"s[’']il (?:vous|te) pla[iî]t",
    r"nehme",
    r"bitte",
)

# Unsure: a time named with these is never enough to book.
HEDGE = _words(
    r"maybe",
    r"perhaps",
    r"probably",
    r"possibly",
    r"might",
    r"i think",
    r"i guess",
    r"should (?:be )?(?:work|fine|ok)",
    r"tentative(?:ly)?",
    r"let me check",
    r"i[’']ll (?:check|confirm|let you know)",
    r"pencil",
    r"not sure",
    r"quiz[aá]s?",
    r"tal vez",
    r"peut-[êe]tre",
    r"vielleicht",
)
# ("si" is left out: without its accent Spanish "sí" looks the same.)
CONDITIONAL = _words(r"if", r"unless", r"assuming", r"provided", r"wenn", r"falls")

# A range or an approximation around a time ("after 3pm", "around 10"): not a choice of it.
RANGE_BEFORE = re.compile(
    r"(?:after|before|between|from|until|till|by|around|about|anytime|any time|later than|"
    r"earlier than|no later than|no earlier than|despu[eé]s de|antes de|apr[eè]s|avant|nach|"
    r"vor|ab|bis)\W*$",
    re.IGNORECASE,
)

# Two things offered as alternatives: with two different times, the reply is ambiguous.
ALTERNATIVE = _words(r"or", r"either", r"o", r"ou", r"oder", r"/")

# Greetings that dateparser would read as days ("Guten Morgen" is "tomorrow" to it).
GREETINGS = _words(
    r"good (?:morning|afternoon|evening|day)",
    r"guten (?:morgen|tag|abend)",
    r"buen(?:os|as) (?:d[ií]as|tardes|noches)",
    r"bonjour|bonsoir|bonne journ[ée]e",
    r"have a (?:good|great|nice) (?:day|weekend|week|one)",
)


def has(pattern: re.Pattern, text: str) -> bool:
    return pattern.search(text) is not None


def negated(text: str) -> bool:
    """``text`` says no to something, idioms such as "no problem" aside."""
    return has(NEGATION, NEGATION_IDIOMS.sub(" ", text))


def is_question(text: str) -> bool:
    return "?" in text or has(QUESTION_START, text)
