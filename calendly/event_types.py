"""Which Calendly event type a workspace books into: the one an admin names by its URI or its
public booking link, among the event types Calendly listed for the token."""

from __future__ import annotations

from urllib.parse import urlsplit

from followups.errors import InvalidSetting

from .types import EventType


def resolve_event_type(
    event_types: list[EventType], wanted: str, *, field: str = "event_type", owner: str = ""
) -> EventType | None:
    """The event type ``wanted`` names: its URI, or its public booking link compared without
    scheme, query string, trailing slash or case. Refused with a message on ``field`` when it
    is none of them, inactive or deleted; None when nothing was asked for."""
    wanted = (wanted or "").strip()
    if not wanted:
        return None
    key = _comparable(wanted)
    if key is None:
        raise InvalidSetting(
            "Paste the event type's booking link (https://calendly.com/<you>/<event>) or "
            "choose one from the list.",
            field=field,
        )
    found = next((t for t in event_types if _comparable(t.uri) == key), None) or next(
        (t for t in event_types if t.scheduling_url and _comparable(t.scheduling_url) == key),
        None,
    )
    whose = f"{owner}'s" if owner else "this account's"
    if found is None:
        if "/event_types/" in key:
            message = (
                f"That event type is not one of {whose} event types in Calendly (it may have "
                "been deleted): choose one from the list."
            )
        else:
            message = (
                f"No event type of {whose} has that booking link: copy the link from the event "
                "type in Calendly (“Copy link”), or choose one from the list."
            )
        raise InvalidSetting(message, field=field)
    if found.deleted_at is not None:
        raise InvalidSetting(
            f"“{found.name}” was deleted in Calendly: choose another event type.", field=field
        )
    if not found.active:
        raise InvalidSetting(
            f"“{found.name}” is turned off in Calendly: turn it on there, or choose another "
            "event type.",
            field=field,
        )
    return found


def _comparable(url: str) -> str | None:
    """host + path, lower-case, without scheme, ``www.``, query, fragment or trailing slash."""
    text = url.strip()
    if "://" not in text:
        if "/" not in text or " " in text:
            return None
        text = f"https://{text}"
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    host = parts.netloc.lower().removeprefix("www.")
    return f"{host}{parts.path.rstrip('/')}".lower()
