"""The sandbox's public pages as plain server-rendered HTML: a booking page per event type, the
confirmation, and the invitee's cancel and reschedule pages. Every field has its label, the
times are one radio group per day, and a refusal is announced (``role="alert"``)."""

from __future__ import annotations

from datetime import datetime
from html import escape
from itertools import groupby
from zoneinfo import ZoneInfo

from .records import iso

STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}"
    "fieldset{border:1px solid #ccd;margin:0 0 1rem;padding:.5rem 1rem}"
    "label{display:block;margin:.4rem 0}input[type=text],input[type=email],textarea"
    "{display:block;width:100%;padding:.4rem}button{padding:.5rem 1.2rem;margin-top:1rem}"
    ".alert{border:1px solid #c00;padding:.5rem;color:#900}"
)


def document(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · Calendly sandbox</title><style>{STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )


def alert(message: str | None) -> str:
    return f'<p class="alert" role="alert">{escape(message)}</p>' if message else ""


def when(moment: datetime, zone: str) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%A, %B} {local.day}, {local:%Y} at {local:%H:%M} ({zone})"


def time_picker(starts: list[datetime], zone: str, chosen: str = "") -> str:
    """One fieldset per day, a radio button per free start (its value the UTC ISO time)."""
    if not starts:
        return "<p>No times are free in the next days.</p>"
    days = []
    local = ZoneInfo(zone)
    for day, moments in groupby(starts, key=lambda moment: moment.astimezone(local).date()):
        options = "".join(_time_option(moment, local, chosen) for moment in moments)
        days.append(f"<fieldset><legend>{day:%A, %B} {day.day}</legend>{options}</fieldset>")
    return f"<h2>Select a time ({escape(zone)})</h2>" + "".join(days)


def _time_option(moment: datetime, zone: ZoneInfo, chosen: str) -> str:
    value = iso(moment)
    # A link's time reads to the minute (``…T14:30``); a posted one in full.
    checked = " checked" if chosen and value[:16] == chosen[:16] else ""
    ident = "t-" + value.replace(":", "").replace(".", "")
    return (
        f'<label for="{ident}"><input type="radio" id="{ident}" name="start_time" '
        f'value="{value}" required{checked}> {moment.astimezone(zone):%H:%M}</label>'
    )


def text_field(name: str, label: str, value: str = "", *, kind="text", required=True) -> str:
    needed = " required" if required else ""
    return (
        f'<label for="{name}">{escape(label)}{" (required)" if required else ""}'
        f'<input type="{kind}" id="{name}" name="{name}" value="{escape(value)}"{needed}></label>'
    )


def hidden(fields: dict[str, str]) -> str:
    return "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in fields.items()
    )


def event_summary(event: dict, host_zone: str) -> str:
    start = datetime.fromisoformat(event["start_time"])
    hosts = ", ".join(escape(m["user_name"]) for m in event["event_memberships"])
    return (
        f"<dl><dt>Event</dt><dd>{escape(event['name'])}</dd>"
        f"<dt>When</dt><dd>{escape(when(start, host_zone))}</dd>"
        f"<dt>With</dt><dd>{hosts}</dd></dl>"
    )


def invitee_links(invitee: dict) -> str:
    return (
        f'<p><a href="{escape(invitee["cancel_url"])}">Cancel this event</a> · '
        f'<a href="{escape(invitee["reschedule_url"])}">Reschedule this event</a></p>'
    )


def message_page(title: str, text: str) -> str:
    return document(title, f"<h1>{escape(title)}</h1><p>{escape(text)}</p>")
