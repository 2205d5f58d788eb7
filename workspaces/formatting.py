"""How times are written to leads and setters: "Tue Dec 1, 10:00 AM EST", in a given zone.

One place for it, so an offer, a reminder and a booking confirmation quote a meeting the same way.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime

UTC = zoneinfo.ZoneInfo("UTC")


def zone_named(*names: str | None) -> zoneinfo.ZoneInfo:
    """The first of ``names`` that is a real IANA zone (a lead's, then its workspace's...), else
    UTC: a bad zone name stored somewhere must not stop a reminder from being written."""
    for name in names:
        if not name:
            continue
        try:
            return zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
            continue
    return UTC


def format_time(moment: datetime, zone: zoneinfo.ZoneInfo | str) -> str:
    """'Tue Dec 1, 10:00 AM EST' in ``zone`` (a ZoneInfo or a zone name)."""
    if isinstance(zone, str):
        zone = zone_named(zone)
    try:
        local = moment.astimezone(zone)
    except (OverflowError, ValueError):  # a stored time at the calendar's edge: show it in UTC
        local = moment.astimezone(UTC)
    clock = local.strftime("%I:%M %p").lstrip("0")
    return f"{local:%a %b} {local.day}, {clock} {local.tzname()}"
