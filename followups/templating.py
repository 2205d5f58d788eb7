"""Step templates: ``{first_name}``-style placeholders from a fixed list, nothing else.

Workspace admins write these templates and leads read the result, so no template engine runs
them: a placeholder is a bare name looked up in a dict of plain strings (no attributes, no
filters, no code), an unknown one is refused when the step is saved, and ``{{`` / ``}}`` write
literal braces.
"""

from __future__ import annotations

import re
from datetime import datetime

from workspaces.formatting import format_time, zone_named

TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")

LEAD_FIELDS = {
    "first_name": "the lead's first name (or “there” when we don't know it)",
    "last_name": "the lead's last name",
    "full_name": "the lead's full name",
    "workspace_name": "your workspace's name",
}
MEETING_FIELDS = {
    "meeting_time": "the meeting, e.g. “Tue Dec 1, 10:00 AM EST” (the lead's time zone)",
    "meeting_date": "the meeting's day, e.g. “Tue Dec 1”",
    "meeting_clock": "the meeting's time of day, e.g. “10:00 AM EST”",
}
_MEETING_TRIGGERS = {"post_booking", "no_show", "rebook"}


def allowed_for(trigger: str) -> dict[str, str]:
    """Placeholders a sequence with this trigger may use, with what each becomes."""
    if trigger in _MEETING_TRIGGERS:
        return {**LEAD_FIELDS, **MEETING_FIELDS}
    return dict(LEAD_FIELDS)


def check(text: str, *, allowed: dict[str, str]) -> str:
    """The reason ``text`` can't be used as a template, or "" when it can."""
    for match in TOKEN.finditer(text):
        name = match.group(1)
        if name is None:  # {{ or }}
            continue
        name = name.strip()
        if name in allowed:
            continue
        if name in MEETING_FIELDS:
            return (
                f"{{{name}}} is only known in sequences about a meeting (booked, no-show, "
                "canceled)."
            )
        known = ", ".join(f"{{{n}}}" for n in allowed)
        return f"Unknown placeholder “{{{name}}}”. Use one of {known}."
    leftover = TOKEN.sub("", text)
    if "{" in leftover or "}" in leftover:
        return "A lone “{” or “}”: close the placeholder, or write {{ or }} for a brace."
    return ""


def render(text: str, values: dict[str, str]) -> str:
    def replace(match: re.Match) -> str:
        whole = match.group(0)
        if whole in ("{{", "}}"):
            return whole[0]
        name = match.group(1).strip()
        return values.get(name, whole)

    return TOKEN.sub(replace, text)


def values_for(*, lead, meeting_at: datetime | None = None) -> dict[str, str]:
    """The strings a template may see, the meeting written in the lead's time zone."""
    values = {
        "first_name": lead.first_name or "there",
        "last_name": lead.last_name,
        "full_name": f"{lead.first_name} {lead.last_name}".strip() or "there",
        "workspace_name": lead.workspace.name,
        "meeting_time": "",
        "meeting_date": "",
        "meeting_clock": "",
    }
    if meeting_at is not None:
        zone = zone_named(lead.timezone, lead.workspace.timezone)
        local = meeting_at.astimezone(zone)
        when = format_time(meeting_at, zone)
        values["meeting_time"] = when
        values["meeting_date"] = f"{local:%a %b} {local.day}"
        values["meeting_clock"] = when.split(", ", 1)[1]
    return values
