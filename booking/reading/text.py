"""What the lead wrote now: a reply without its quoted history and signature, cut into clauses.

A reply to an offer usually carries the offer itself below it (e-mail clients quote it), and the
offer is full of times. Reading those would turn "Sounds good" into an acceptance of whatever
the quote lists, so everything after the first history marker goes, as do quoted (``>``) lines
and the signature. An HTML reply is made text first (``booking.reading.markup``), its quote
blocks left out. What is left is written out the way the rest of the reader reads it: keycap
emoji digits as digits ("2️⃣" is "2"), texting shorthand for days as the words ("tmrw" is
"tomorrow"). Pure string work: no dates are read here.
"""

from __future__ import annotations

import re

from booking.reading.markup import html_to_text, looks_like_html

# A line that starts the quoted history: everything from it on was not written now.
_HISTORY_STARTS = [
    # Gmail / Apple Mail, in the languages dateparser reads too ("El … escribió:", "Am … schrieb").
    r"on\b.{0,300}?\bwrote\s*:",
    r"el\b.{0,300}?\bescribi[oó]\s*:",
    r"le\b.{0,300}?\ba [ée]crit\s*:",
    r"am\b.{0,300}?\bschrieb\b.{0,200}?:",
    r"-{2,}\s*original message\s*-{2,}",
    r"-{2,}\s*(?:forwarded|weitergeleitete|mensaje reenviado|message transf[ée]r[ée]).{0,40}-{2,}",
    r"begin forwarded message\s*:",
    r"_{8,}",  # Outlook's rule above the quoted headers
]
_HISTORY = re.compile(
    r"^[ \t]*(?:" + "|".join(_HISTORY_STARTS) + r")", re.IGNORECASE | re.MULTILINE | re.DOTALL
)
# Outlook's header block: "From: …" with "Sent:"/"Date:" within the next few lines.
_HEADER_BLOCK = re.compile(
    r"^[ \t]*(?:from|de|von)\s*:.*(?:\n.*){0,3}?\n"
    r"[ \t]*(?:sent|date|enviado|envoy[ée]|gesendet)\s*:",
    re.IGNORECASE | re.MULTILINE,
)
_QUOTED_LINE = re.compile(r"^[ \t]*>.*$\n?", re.MULTILINE)

# The signature: a "-- " line, a mobile client's footer, or a closing ("Best,\nCasey").
_SIGNATURE_DELIMITER = re.compile(r"^[ \t]*--[ \t]*$", re.MULTILINE)
_CLIENT_FOOTER = re.compile(
    r"^[ \t]*(?:sent from my|sent from (?:mail|outlook|yahoo)|get outlook for|sent via|"
    r"enviado desde mi|envoy[ée] de mon|von meinem .{0,30} gesendet|gesendet von).*$",
    re.IGNORECASE | re.MULTILINE,
)
_CLOSING = re.compile(
    r"(?:best|best regards|regards|kind regards|warm regards|warmly|many thanks|thanks|"
    r"thank you|thx|cheers|sincerely|yours|all the best|talk soon|saludos|un saludo|atentamente|"
    r"gracias|cordialement|bien à vous|merci|grüße|viele grüße|liebe grüße|"
    r"mit freundlichen grüßen|lg|vg|danke)[ \t]*[,.!]?",
    re.IGNORECASE,
)
_SIGNATURE_TAIL_LINES = 5  # a closing is a signature only when little (a name, a phone) follows
_SIGNATURE_LINE_LENGTH = 60

_CLAUSE_BREAK = re.compile(
    r"(?<!\b[ap])(?<!\b[ap]\.m)[.!?;\n]+(?!\d)|\b(?:but|however|though|although|except|"
    r"apart from|other than|besides|pero|excepto|salvo|mais|sauf|aber|sondern|au[ßs]er)\b",
    re.IGNORECASE,
)

_SEGMENT_BREAK = re.compile(r",|\s[-–—]\s")

# "2️⃣" (digit, variation selector, combining keycap) is a list marker: "#2". "②" is a 2.
_KEYCAP = re.compile(r"([0-9#])\ufe0f?\u20e3")
_CIRCLED = {chr(0x2460 + n): str(n + 1) for n in range(9)} | {
    chr(0x2776 + n): str(n + 1) for n in range(9)
}
_CIRCLED_DIGIT = re.compile("[" + "".join(_CIRCLED) + "]")
# Texting shorthand for the days a reply names; "tom" only before a time ("tom at 9").
_SHORTHAND = {
    "tomorrow": r"tmrw?|tmr|tmw|tmro|tmoro|2mor+ow?|2moro|2mrw|tomoz|tomm?or+ow|tomorow|"
    r"(?-i:tom)(?=\s+(?:at|@|am|pm|morning|afternoon|\d))",  # "Tom at 9" is a person
    "today": r"2day|tdy|tday",
    "tonight": r"2nite|tonite",
    "for": r"4(?=\s+(?:me|u|you|us)\b)",
    "good": r"gd|gud",
    "you": r"u(?=\s)",
}
_SHORTHANDS = [
    (re.compile(r"(?<![\w@.])(?:" + pattern + r")(?![\w@])", re.IGNORECASE), word)
    for word, pattern in _SHORTHAND.items()
]


def own_text(text: str) -> str:
    """The part of ``text`` the lead wrote now: no quoted history, no quoted lines, no
    signature. An empty string when nothing of its own is left."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    if looks_like_html(text):
        text = html_to_text(text)
    text = _cut_at(text, _HISTORY)
    text = _cut_at(text, _HEADER_BLOCK)
    text = _QUOTED_LINE.sub("", text)
    text = _cut_at(text, _SIGNATURE_DELIMITER)
    text = _cut_at(text, _CLIENT_FOOTER)
    return _written_out(_without_closing(text).strip())


def _written_out(text: str) -> str:
    text = _KEYCAP.sub(lambda m: m.group(1) if m.group(1) == "#" else "#" + m.group(1), text)
    text = _CIRCLED_DIGIT.sub(lambda m: _CIRCLED[m.group(0)], text)
    for pattern, word in _SHORTHANDS:
        text = pattern.sub(word, text)
    return text


def clauses(text: str) -> list[tuple[int, int]]:
    """Spans of ``text``'s clauses: sentences, and the halves of a "…, but …". Commas do not
    split ("Tuesday, sadly, doesn't work" is one clause), so a negation keeps its scope."""
    spans, start = [], 0
    for found in _CLAUSE_BREAK.finditer(text):
        if found.start() > start:
            spans.append((start, found.start()))
        start = found.end()
    if start < len(text):
        spans.append((start, len(text)))
    return [(a, b) for a, b in spans if text[a:b].strip()]


def segments(text: str, span: tuple[int, int]) -> list[tuple[int, int]]:
    """The comma-separated parts of the clause at ``span`` ("None of those work, could we do
    Tuesday?" has two)."""
    start, end = span
    parts, cursor = [], start
    for found in _SEGMENT_BREAK.finditer(text, start, end):
        parts.append((cursor, found.start()))
        cursor = found.end()
    parts.append((cursor, end))
    return parts


def _cut_at(text: str, marker: re.Pattern) -> str:
    found = marker.search(text)
    return text[: found.start()] if found else text


def _without_closing(text: str) -> str:
    """Drop a closing line and the short lines after it ("Best,\\nCasey\\n555 0100"). The first
    line of the reply is never a closing: "Thanks!" alone is what the lead wrote."""
    lines = text.split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return ""
    for i in range(first + 1, len(lines)):
        if not _CLOSING.fullmatch(lines[i].strip()):
            continue
        tail = [line for line in lines[i + 1 :] if line.strip()]
        short = all(len(line.strip()) <= _SIGNATURE_LINE_LENGTH for line in tail)
        if len(tail) <= _SIGNATURE_TAIL_LINES and short:
            return "\n".join(lines[:i])
    return text
