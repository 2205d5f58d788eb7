"""Building one e-mail to a lead: its own Message-ID, threading headers when it answers the
lead, plain text with a simple HTML part, and the one-click unsubscribe of RFC 8058
(``List-Unsubscribe`` with a signed https URL and a mailto, ``List-Unsubscribe-Post``) repeated
as a footer link.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from django.utils import timezone

FOOTER = "Don't want these e-mails? Unsubscribe: {url}"


@dataclass(frozen=True)
class Outgoing:
    from_email: str
    from_name: str
    to: str
    subject: str
    body: str
    unsubscribe_url: str
    unsubscribe_mailto: str
    in_reply_to: str = ""
    references: tuple[str, ...] = ()


def build(mail: Outgoing) -> EmailMessage:
    msg = EmailMessage(policy=policy.SMTP)
    domain = mail.from_email.rpartition("@")[2] or "localhost"
    msg["Message-ID"] = make_msgid(domain=domain)
    msg["Date"] = format_datetime(timezone.now())
    msg["From"] = Address(display_name=mail.from_name or "", addr_spec=mail.from_email)
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    if mail.in_reply_to:
        msg["In-Reply-To"] = mail.in_reply_to
        msg["References"] = " ".join(dict.fromkeys((*mail.references, mail.in_reply_to)))
    msg["List-Unsubscribe"] = f"<{mail.unsubscribe_url}>, <{mail.unsubscribe_mailto}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    footer = FOOTER.format(url=mail.unsubscribe_url)
    msg.set_content(f"{mail.body.rstrip()}\n\n--\n{footer}\n")
    msg.add_alternative(_html(mail.body, mail.unsubscribe_url), subtype="html")
    return msg


def _html(body: str, unsubscribe_url: str) -> str:
    paragraphs = [p.strip() for p in body.strip().split("\n\n") if p.strip()]
    rendered = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)
    link = html.escape(unsubscribe_url, quote=True)
    return (
        '<!doctype html><html><body style="font-family:sans-serif;font-size:15px">'
        f"{rendered}"
        '<p style="color:#777;font-size:12px">Don\'t want these e-mails? '
        f'<a href="{link}">Unsubscribe</a>.</p></body></html>\n'
    )
