"""The words that say what a reply is doing: declining, asking, agreeing, proposing, hedging,
or being written by a machine. English first, with the common Spanish, French, German and
Portuguese forms.

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
    r"resposta autom[aá]tica",
    r"fora do escrit[oó]rio",
    r"(?:estou|estarei) (?:de f[ée]rias|ausente|fora)",
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
    r"nenhum(?:a)?(?: (?:desses|destes|dos|das|deles)(?: \w+)?)? (?:funciona|serve|d[áa]|me serve)",
    r"n[ãa]o tenho interesse",
    r"sem interesse",
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
    r"n[ãa]o",
    r"nem",
    r"nenhum(?:a)?",
    r"ne",
    # Objections to an offered time, its zone or its day: they decline it as surely as a no.
    r"too (?:early|late|soon|far|close)",
    r"(?:early|late) for me",
    r"middle of the night",
    r"(?:a|an|big|real) (?:problem|issue|conflict|clash)",
    r"(?:tough|tricky|difficult|hard|awkward) (?:for me|for us|that day)",
    r"(?:is|'s|’s) (?:tough|tricky|difficult|hard|awkward)",
    r"trop (?:t[ôo]t|tard)",
    r"zu (?:fr[üu]h|sp[äa]t)",
    r"(?:demasiado|muy) (?:temprano|tarde)",
    r"muito (?:cedo|tarde)",
    r"(?:cedo|tarde) demais",
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
    r"if nothing (?:else )?(?:comes|pops) up",
)
# The reply as a whole is just "no".
BARE_NO = re.compile(r"^\W*(?:no|nope|nah|non|nein)\b", re.IGNORECASE)

# Asking rather than telling.
QUESTION_START = re.compile(
    r"^\W*(?:is|are|was|do|does|did|what|when|where|who|whom|why|how|can(?! do)|could|will|"
    r"would|should|shall|qu[ée]|qui[eé]n|c[oó]mo|cu[aá]ndo|d[oó]nde|est-ce|wie|wann|wo|wer|was|"
    r"warum|worum|quem|qual|quando|onde|o que|do que|por que|qui|quoi|pourquoi|quand|o[uù]|"
    r"comment)(?=\s)(?!\s+(?:\d|(?:às|as|à|a\s+las?|um|at)\b))",  # "Do 14 Uhr": Thursday at 2
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
    r"gerne?",
    r"geht klar",
    r"einverstanden",
    r"klingt gut",
    r"machen wir",
    r"in ordnung",
    r"perfekt",
    r"[çc]a me (?:va|convient)",
    r"me convient",
    r"c[’']est (?:bon|parfait|ok)",
    r"ok pour",
    r"va pour",
    r"volontiers",
    r"entendu",
    r"me (?:va|viene) bien",
    r"de acuerdo",
    r"sim",
    r"combinado",
    r"fechado",
    r"pode ser",
    r"perfeito",
    r"[óo]timo",
    r"beleza",
    r"(?:est[áa]|t[áa]|fica) (?:bom|[óo]timo|perfeito|certo)",
    r"funciona(?: para mim| pra mim)?",
    r"serve",
    r"de acordo",
    r"👍|👌|✅",
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
    r"^\W*[^\W\d_]+\.?,?\s+then\W*$",  # "Wednesday then"
    r"it is",
    r"(?:i[’']ll|i will|let[’']?s|lets|gonna|going to) (?:go with|take|do)",
    r"lets do",
    r"that one",
    r"(?:is|'s|’s|are|looks?|sounds?|seems?) (?:good|great|fine|perfect|best|ideal|ok|okay|"
    r"excellent|awesome)",
    r"(?:good|great|fine|perfect) (?:for|with) (?:me|us)",
    r"great|excellent|awesome|ideal",
    r"entonces",
    r"ist (?:gut|super|perfekt|ok)",
    r"super|prima",
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
    r"wahrscheinlich",
    r"talvez",
    r"acho que",
    r"provavelmente",
    r"probablement",
    r"creo que",
)
# ("si" is left out: without its accent Spanish "sí" looks the same.)
CONDITIONAL = _words(r"if", r"unless", r"assuming", r"provided", r"wenn", r"falls")

# A range or an approximation around a time ("after 3pm", "around 10"): not a choice of it.
RANGE_BEFORE = re.compile(
    r"(?:after|before|between|from|until|till|by|around|(?<!how )(?<!what )about|anytime|"
    r"any time|later than|earlier than|no later than|no earlier than|despu[eé]s de|antes de|"
    r"apr[eè]s|avant|nach|vor|ab|bis)\W*$",
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


# The whole of what was offered ("any", "all of them"): with one of them ruled out, the rest.
WHOLE = _words(
    r"any(?:thing|one|time)?", r"all", r"everything", r"every(?: one)?", r"the rest", r"others",
    r"todos?", r"todas?", r"tous", r"toutes?", r"alle", r"qualquer",
)  # fmt: skip

# Right before a time it rules out: "apart from", "anything but", "sauf", "außer".
_EXCLUDING = re.compile(
    r"(?:\bexcept(?:\s+for)?|\bapart\s+from|\bother\s+than|\bbesides|\baside\s+from|"
    r"\b(?:any(?:thing|one|time)?|all|everything|every\s+\w+)\s+but(?:\s+not)?|\bsauf|"
    r"\bà\s+part|\bau[ßs]er|\bexcepto|\bsalvo|\bmenos|\bexceto|\btirando)"
    r"\s*(?:on\s+|for\s+)?$",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?\n]")

# A question about the meeting itself, not its time: it leaves a yes standing.
PRACTICAL = _words(
    r"link", r"zoom", r"google meet", r"meet", r"teams", r"skype", r"webex", r"invite",
    r"invitation", r"calendar", r"dial(?:-in)?", r"(?:phone )?number", r"call (?:me|you)",
    r"prepare", r"bring", r"agenda", r"how long", r"duration", r"who", r"whom", r"video",
    r"phone call", r"address", r"location", r"where", r"parking", r"record(?:ed|ing)?",
    r"about", r"enlace", r"lien", r"einladung", r"convite", r"quem", r"wer", r"qui[eé]n",
)  # fmt: skip
# …unless it is about the time after all: its zone, its day, moving it.
_ABOUT_THE_TIME = _words(
    r"time ?zone", r"your time", r"my time", r"local time", r"what time", r"which time",
    r"that time", r"eastern", r"pacific", r"central", r"mountain", r"[ecmp][sd]?t", r"gmt",
    r"utc", r"cet", r"earlier", r"later", r"reschedule", r"move", r"push", r"still",
    r"available", r"open", r"free", r"instead", r"day", r"date",
)  # fmt: skip
_QUESTION_SENTENCE = re.compile(r"[^.!?\n]*(?:\?|$)")


def has(pattern: re.Pattern, text: str) -> bool:
    return pattern.search(text) is not None


def negated(text: str) -> bool:
    """``text`` says no to something, idioms such as "no problem" aside."""
    plain = NEGATION_IDIOMS.sub(" ", text)
    return has(NEGATION, plain) or has(_RULED_OUT, plain)


# "Tuesday's out", "Tuesday is taken", "that sucks": a day or time said to be impossible.
_RULED_OUT = re.compile(
    r"(?:\bis|\bare|[’']s|\bwas)\s+(?:out|bad|taken|full|booked|impossible|terrible|awful|"
    r"a no|no good|rough)(?!\w)|\bsucks?\b|\bno good\b",
    re.IGNORECASE,
)


def is_question(text: str) -> bool:
    return "?" in text or has(QUESTION_START, text)


def agrees(text: str) -> bool:
    """``text`` says yes or picks ("works", "let's do", "please", "ça me va", "passt"), greetings
    such as "good morning" aside."""
    plain = GREETINGS.sub(" ", text)
    return has(YES, plain) or has(CHOICE, plain) or has(_IS_GOOD, plain)


_IS_GOOD = re.compile(r"[’']s\s+(?:good|great|fine|perfect|best|ok|okay)(?!\w)", re.IGNORECASE)


_EXCLUDING_ANYWHERE = re.compile(_EXCLUDING.pattern.removesuffix("$"), re.IGNORECASE)


def rules_out(text: str) -> bool:
    """``text`` rules something out somewhere ("…except 1, 3"), whatever it names."""
    return any(excluded(text[: m.end()]) for m in _EXCLUDING_ANYWHERE.finditer(text))


def excluded(before: str) -> bool:
    """What follows ``before`` is ruled out ("all fine apart from …"), unless the sentence is a
    no ("none of those except …" picks it)."""
    found = _EXCLUDING.search(before)
    if found is None:
        return False
    head = before[: found.start()]
    ends = list(_SENTENCE_END.finditer(head))
    head = head[ends[-1].end() :] if ends else head
    return not (negated(head) or has(REFUSAL, head))


def asks_about_time(text: str, spans) -> bool:
    """A question in ``text`` is about the time, not only about the meeting: it names a time
    (``spans``), or it is no practical question ("what's the zoom link?")."""
    for sentence in re.finditer(r"[^.!?\n]+[.!?\n]*", text):
        start, end = sentence.span()
        said = sentence.group(0)
        if "?" not in said and not has(QUESTION_START, said):
            continue
        parts = list(re.finditer(r"[^,;]+", said))
        if len(parts) > 1 and has(QUESTION_START, parts[-1].group(0)):  # "Tuesday works, is…?"
            start, said = start + parts[-1].start(), parts[-1].group(0)
        names_a_time = any(start <= a < end for a, _ in spans)
        if names_a_time or not has(PRACTICAL, said) or has(_ABOUT_THE_TIME, said):
            return True
    return False
