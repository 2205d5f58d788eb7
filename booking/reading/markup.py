"""An HTML reply as the text the lead wrote: tags gone, entities decoded, and the quoting that
mail clients put in HTML left out, since the quoted offer is full of our own times.

GHL hands e-mail replies over as HTML. What goes: ``<blockquote>`` (Gmail's, Apple Mail's
``type="cite"``, Thunderbird's), Gmail's ``gmail_quote`` block and Yahoo's ``yahoo_quoted``,
Thunderbird's ``moz-cite-prefix`` line, and everything from Outlook's reply header on
(``divRplyFwdMsg``, ``appendonsend``, or its border-top header block), which it does not wrap.
Read with the standard library's ``html.parser``, never with patterns over the markup.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# A reply is read as HTML only when it holds markup a mail client writes.
_LOOKS_LIKE_HTML = re.compile(
    r"<(?:html|body|div|p|br|span|blockquote|table|font|b|i|a)\b[^>]*>", re.IGNORECASE
)
_VOID = {"br", "hr", "img", "meta", "link", "input", "wbr", "col", "area", "base", "source"}
_BLOCK = {
    "p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6",
    "pre", "hr", "section", "article", "header", "footer",
}  # fmt: skip
_HIDDEN = {"style", "script", "head", "title", "template"}
# Quotes, and Gmail's signature block (a signature is never the lead's answer).
_QUOTE_CLASSES = {
    "gmail_quote", "yahoo_quoted", "moz-cite-prefix", "gmail_extra", "gmail_signature",
}  # fmt: skip
# Where Outlook's quoted message starts: nothing after it was written now.
_OUTLOOK_IDS = {"divrplyfwdmsg", "appendonsend", "x_divrplyfwdmsg", "x_appendonsend"}
_OUTLOOK_HEADER_STYLE = re.compile(r"border-top\s*:\s*solid", re.IGNORECASE)


def looks_like_html(text: str) -> bool:
    return _LOOKS_LIKE_HTML.search(text) is not None


def html_to_text(markup: str) -> str:
    """The text of ``markup`` without mail clients' quotes, a line per block."""
    parser = _Reader()
    parser.feed(markup)
    parser.close()
    text = "".join(parser.out).replace("\xa0", " ")
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []  # tags opened and not yet closed
        self.skipping: int | None = None  # depth at which a quote or hidden element opened
        self.done = False  # Outlook's quoted message has begun

    def handle_starttag(self, tag, attrs):
        if self.done:
            return
        if tag in _BLOCK:
            self.out.append("\n")
        if tag in _VOID:
            return
        self.open.append(tag)
        if self.skipping is None and _starts_quote(tag, dict(attrs)):
            if _starts_outlook_quote(dict(attrs)):
                self.done = True
                return
            self.skipping = len(self.open)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if self.done or tag in _VOID or tag not in self.open:
            return
        while self.open:  # close whatever was left open inside it, as browsers do
            closed = self.open.pop()
            if self.skipping is not None and len(self.open) < self.skipping:
                self.skipping = None
            if closed == tag:
                break
        if tag in _BLOCK:
            self.out.append("\n")

    def handle_data(self, data):
        if not self.done and self.skipping is None:
            self.out.append(data)


def _starts_quote(tag: str, attrs: dict) -> bool:
    classes = set((attrs.get("class") or "").lower().split())
    return (
        tag in _HIDDEN
        or tag == "blockquote"
        or bool(classes & _QUOTE_CLASSES)
        or _starts_outlook_quote(attrs)
    )


def _starts_outlook_quote(attrs: dict) -> bool:
    if (attrs.get("id") or "").lower() in _OUTLOOK_IDS:
        return True
    return bool(_OUTLOOK_HEADER_STYLE.search(attrs.get("style") or ""))
