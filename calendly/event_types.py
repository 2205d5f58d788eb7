"""Which Calendly event types a workspace books into and tracks: the ones an admin names by URI
or public booking link, among those Calendly lists for the token: the user's own, and the
organization's (its teams' round robin, collective and group event types, whose links read
``https://calendly.com/<team-slug>/<event-slug>``)."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from followups.errors import InvalidSetting, ProviderPermissionError

from .client import CalendlyClient
from .types import EventType, User

LINK_HINT = "https://calendly.com/<you or your team>/<event>"


def list_event_types(client: CalendlyClient, user: User) -> list[EventType]:
    """The user's own event types, then the organization's that are not the user's (a team's
    shared ones), each once. A token that may not read the organization's list still gets
    its own."""
    own = client.event_types(user=user.uri)
    shared: list[EventType] = []
    if user.current_organization:
        try:
            shared = client.event_types(organization=user.current_organization)
        except ProviderPermissionError:
            shared = []
    seen = {t.uri for t in own}
    others = [t for t in shared if t.uri not in seen]
    others.sort(key=lambda t: (t.owner_type != "Team", t.owner_name.lower(), t.name.lower()))
    return own + list({t.uri: t for t in others}.values())


def owner_label(event_type: EventType, user: User | None = None) -> str:
    """Whose event type it is, for grouping: the user's own, a team's, another member's."""
    if user is not None and event_type.owner == user.uri:
        return f"{user.name} (you)" if user.name else "Your own"
    if event_type.owner_type == "Team":
        return f"Team: {event_type.owner_name}" if event_type.owner_name else "A team"
    return event_type.owner_name or "The organization"


def resolve_tracked(
    event_types: list[EventType], wanted: Iterable[str], *, field: str = "tracked_event_types"
) -> list[EventType]:
    """Each URI or booking link of ``wanted`` resolved (in order, each once); the first that
    resolves to nothing bookable refuses the lot, naming it."""
    found: dict[str, EventType] = {}
    for item in wanted:
        try:
            event_type = resolve_event_type(event_types, item, field=field)
        except InvalidSetting as exc:
            raise InvalidSetting(f"“{item.strip()}”: {exc.safe_message}", field=field) from None
        if event_type is not None:
            found.setdefault(event_type.uri, event_type)
    return list(found.values())


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
            f"Paste the event type's booking link ({LINK_HINT}) or choose one from the list.",
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
