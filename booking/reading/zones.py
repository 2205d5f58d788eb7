"""Time zones a reply names ("4pm pacific", "16:00 CET", "UTC+1", "I'm on Pacific time"): found
before dateparser reads the text (and masked out of it), then applied to the moments, so a time
is read in the zone the lead named, else in the lead's own.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from booking.reading.moments import Moment

_ZONE_NAMES = {
    "pacific": "America/Los_Angeles",
    "mountain": "America/Denver",
    "central": "America/Chicago",
    "eastern": "America/New_York",
    "alaska": "America/Anchorage",
    "hawaii": "Pacific/Honolulu",
}
# Abbreviations name the region's zone, so "4pm EST" in July is 4 PM New York time: leads
# write EST all year, and reading it strictly would put them an hour off what they meant.
_ZONE_ABBREVIATIONS = {
    **dict.fromkeys(("PT", "PST", "PDT"), "America/Los_Angeles"),
    **dict.fromkeys(("MT", "MST", "MDT"), "America/Denver"),
    **dict.fromkeys(("CT", "CST", "CDT"), "America/Chicago"),
    **dict.fromkeys(("ET", "EST", "EDT"), "America/New_York"),
    **dict.fromkeys(("AKST", "AKDT"), "America/Anchorage"),
    "HST": "Pacific/Honolulu",
    **dict.fromkeys(("GMT", "UTC"), "UTC"),
    "BST": "Europe/London",
    **dict.fromkeys(("CET", "CEST", "MEZ", "MESZ"), "Europe/Berlin"),
    **dict.fromkeys(("EET", "EEST"), "Europe/Athens"),
    **dict.fromkeys(("WET", "WEST"), "Europe/Lisbon"),
}
_ZONE = re.compile(
    r"(?<![\w])(?:"
    r"(?P<offset>(?:UTC|GMT)\s?(?P<sign>[+-])(?P<hours>\d{1,2})(?::?(?P<minutes>\d{2}))?)"
    r"|(?P<name>pacific|mountain|central|eastern|alaska|hawaii)(?:\s+(?:standard|daylight))?"
    r"(?P<time>\s+time)?"
    r"|(?P<abbr>" + "|".join(sorted(_ZONE_ABBREVIATIONS, key=len, reverse=True)) + r")"
    r")(?![\w])",
    re.IGNORECASE,
)
_ZONE_GAP = re.compile(r"^[\s(]*$")  # between a time and its zone: "4pm (PT)", "4pm pacific"


def find_zones(text: str) -> list[re.Match]:
    return list(_ZONE.finditer(text))


def with_zones(moments: list[Moment], text: str, zones) -> list[Moment]:
    """A zone right after (or inside) a time is that time's; a zone named on its own ("I'm on
    Pacific time") is every other time's. Two such zones make every time unreadable."""
    attached: dict[int, tzinfo] = {}
    loose: list[tzinfo] = []
    for found in zones:
        zone = _zone_of(found)
        if zone is None:
            continue
        owner = next(
            (
                i
                for i, m in enumerate(moments)
                if m.has_time
                and (m.start <= found.start() < m.end or _zone_follows(text, m, found))
            ),
            None,
        )
        if owner is not None and owner not in attached:
            attached[owner] = zone
        elif _stands_alone(found):
            loose.append(zone)
    distinct_loose = {getattr(z, "key", str(z)) for z in loose}
    out = []
    for i, moment in enumerate(moments):
        if i in attached:
            moment = replace(moment, zone=attached[i])
        elif len(distinct_loose) == 1:
            moment = replace(moment, zone=loose[0])
        elif len(distinct_loose) > 1:
            moment = replace(moment, unreadable="the reply names more than one time zone")
        out.append(moment)
    return out


def _zone_follows(text: str, moment: Moment, found: re.Match) -> bool:
    return found.start() >= moment.end and bool(_ZONE_GAP.match(text[moment.end : found.start()]))


def _zone_of(found: re.Match) -> tzinfo | None:
    if found.group("offset"):
        sign = -1 if found.group("sign") == "-" else 1
        hours, minutes = int(found.group("hours")), int(found.group("minutes") or 0)
        if hours > 14 or minutes > 59:
            return None
        return timezone(sign * timedelta(hours=hours, minutes=minutes))
    if found.group("name"):
        return ZoneInfo(_ZONE_NAMES[found.group("name").lower()])
    abbr = found.group("abbr")
    # Two-letter abbreviations only in capitals: "et" is French for "and".
    if len(abbr) <= 2 and abbr != abbr.upper():
        return None
    return ZoneInfo(_ZONE_ABBREVIATIONS[abbr.upper()])


def _stands_alone(found: re.Match) -> bool:
    """A zone not next to a time counts only when it can't be another word: "Pacific time",
    "EST", "UTC+1" (not "central", "est" or "PT")."""
    if found.group("offset") or found.group("time"):
        return True
    abbr = found.group("abbr")
    return bool(abbr) and len(abbr) >= 3 and abbr == abbr.upper()
