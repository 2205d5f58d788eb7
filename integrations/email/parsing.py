"""Reading one raw RFC 822 message: its ids, who sent it, its text, and whether it is a person's
answer at all (a bounce or an auto-reply never is).

The text is decoded whatever the mail client did (charsets, quoted-printable, base64); an
HTML-only mail is turned into text. Attachments are never read, and ``strip_attachments``
removes them before the message is stored.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr, parsedate_to_datetime
from html.parser import HTMLParser

REPLY, BOUNCE, AUTO_REPLY = "reply", "bounce", "auto_reply"
_ID = re.compile(r"<[^<>\s]+>")
_BULK = {"bulk", "junk", "list", "auto_reply"}
_DAEMONS = ("mailer-daemon@", "postmaster@")
_TEXT_MAX = 20_000


@dataclass(frozen=True)
class ParsedEmail:
    message_id: str
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    from_address: str
    subject: str
    text: str
    kind: str  # reply, bounce or auto_reply
    date: object = None  # an aware datetime, or None
    hard_bounce: bool = False
    bounced_address: str = ""
    bounced_message_ids: tuple[str, ...] = ()  # ids of ours quoted back in a bounce


def parse_message(raw: bytes) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(raw)


def parse(raw: bytes) -> ParsedEmail:
    msg = parse_message(raw)
    kind = classify(msg)
    hard, address = _bounce_details(msg) if kind == BOUNCE else (False, "")
    return ParsedEmail(
        message_id=(ids(_header(msg, "Message-ID")) or ("",))[0],
        in_reply_to=ids(_header(msg, "In-Reply-To")),
        references=ids(_header(msg, "References")),
        from_address=parseaddr(_header(msg, "From"))[1].strip().lower(),
        subject=_header(msg, "Subject"),
        text=body_text(msg)[:_TEXT_MAX],
        kind=kind,
        date=_date(msg),
        hard_bounce=hard,
        bounced_address=address,
        bounced_message_ids=_quoted_ids(msg) if kind == BOUNCE else (),
    )


def ids(value: str) -> tuple[str, ...]:
    """Message ids in a header, as ``<id>``."""
    return tuple(_ID.findall(value or ""))


def classify(msg: EmailMessage) -> str:
    content_type = msg.get_content_type()
    report = (msg.get_param("report-type") or "").lower()
    sender = parseaddr(_header(msg, "From"))[1].lower()
    if content_type == "multipart/report" and report == "delivery-status":
        return BOUNCE
    if any(p.get_content_type() == "message/delivery-status" for p in msg.walk()):
        return BOUNCE
    if sender.startswith(_DAEMONS):
        return BOUNCE
    auto = _header(msg, "Auto-Submitted").strip().lower()
    if auto and auto != "no":
        return AUTO_REPLY
    if _header(msg, "Precedence").strip().lower() in _BULK:
        return AUTO_REPLY
    if msg.get("X-Autoreply") or msg.get("X-Autorespond"):
        return AUTO_REPLY
    return REPLY


def body_text(msg: EmailMessage) -> str:
    """The readable text: the plain part, else the HTML part turned into text."""
    part = msg.get_body(preferencelist=("plain",))
    if part is not None:
        return _lines(_content(part)).strip()
    part = msg.get_body(preferencelist=("html",))
    if part is not None:
        return html_to_text(_lines(_content(part)))
    return ""


def _lines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def html_to_text(markup: str) -> str:
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    text = html.unescape("".join(parser.chunks))
    lines = [re.sub(r"[ \t\xa0]+", " ", line).strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def strip_attachments(msg: EmailMessage) -> EmailMessage:
    """Drop every attachment (and any non-text leaf) in place; the text and HTML parts stay."""
    for part in list(msg.walk()):
        if not part.is_multipart():
            continue
        kept = [p for p in part.get_payload() if _worth_keeping(p)]
        part.set_payload(kept)
    return msg


# Helpers


def _worth_keeping(part) -> bool:
    if part.is_multipart():
        return True
    disposition = (part.get_content_disposition() or "").lower()
    if disposition == "attachment":
        return False
    maintype = part.get_content_maintype()
    return maintype in ("text", "message")


def _content(part) -> str:
    try:
        return part.get_content()
    except (LookupError, UnicodeError, ValueError):
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", errors="replace")


def _header(msg: EmailMessage, name: str) -> str:
    try:
        return str(msg.get(name, "") or "")
    except (ValueError, TypeError, IndexError):  # a malformed header must not stop the reading
        return str(msg.get_all(name, [""])[0])


def _date(msg: EmailMessage):
    try:
        value = parsedate_to_datetime(_header(msg, "Date"))
    except (TypeError, ValueError, IndexError):
        return None
    return value if value and value.tzinfo else None


def _bounce_details(msg: EmailMessage) -> tuple[bool, str]:
    """(hard, the address that bounced) from the delivery-status part, else from its words."""
    for part in msg.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        fields = _status_fields(part)
        status = fields.get("status", "")
        action = fields.get("action", "").lower()
        address = fields.get("final-recipient", "").rpartition(";")[2].strip().lower()
        return (action == "failed" and status.startswith("5")), address
    text = body_text(msg)
    return bool(re.search(r"\b5\.\d{1,3}\.\d{1,3}\b|\b55\d\b", text)), ""


def _status_fields(part) -> dict[str, str]:
    fields: dict[str, str] = {}
    payload = part.get_payload()
    blocks = payload if isinstance(payload, list) else []
    for block in blocks:
        for name, value in block.items():
            fields.setdefault(name.lower(), str(value).strip())
    if not blocks:
        for line in str(payload).splitlines():
            name, sep, value = line.partition(":")
            if sep:
                fields.setdefault(name.strip().lower(), value.strip())
    return fields


def _quoted_ids(msg: EmailMessage) -> tuple[str, ...]:
    """Message-IDs in the returned message (or its headers) a bounce carries."""
    found: list[str] = []
    for part in msg.walk():
        content_type = part.get_content_type()
        if content_type == "message/rfc822":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            if hasattr(inner, "get"):
                found.extend(ids(str(inner.get("Message-ID", ""))))
        elif content_type == "text/rfc822-headers":
            found.extend(re.findall(r"(?im)^message-id:\s*(<[^<>\s]+>)", _content(part)))
    return tuple(dict.fromkeys(found))


class _TextExtractor(HTMLParser):
    _BREAKS = {"br", "p", "div", "tr", "li", "blockquote", "h1", "h2", "h3", "table"}
    _SKIP = {"style", "script", "head", "title"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BREAKS:
            self.chunks.append("\n")

    def handle_endtag(self, tag):
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1
        elif tag in self._BREAKS:
            self.chunks.append("\n")

    def handle_data(self, data):
        if not self._skipping:
            self.chunks.append(data)
