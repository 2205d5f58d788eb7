"""The Integrations tab's audit log in words: "Ann switched the booking provider from
GoHighLevel to Calendly", not ``booking_provider: ghl → calendly``.

One sentence per event, from its action; the settings it changed follow as short lines in
words, the stored ids behind a name left out (the name says it). No secret value is ever in an
event (``workspaces.audit``), only the names of the secrets that changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from integrations.models import Connection
from integrations.providers import find_spec
from workspaces.models import AuditEvent

# A setting's words, and the stored ids its name stands for (hidden when the name is shown).
SETTINGS = {
    "event_type_name": ("event type", ("event_type_uri", "event_type_url", "event_type_duration")),
    "calendar_name": ("calendar", ("calendar_id",)),
    "location_name": ("location", ("location_id",)),
    "user_name": ("account", ("user_uri", "user_email")),
}
WORDS = {
    "event_type_uri": "event type",
    "event_type_url": "event type page",
    "event_type_duration": "meeting length (minutes)",
    "calendar_id": "calendar",
    "location_id": "location",
    "user_uri": "account",
    "user_email": "account e-mail",
    "organization_uri": "organization",
    "scheduling_url": "scheduling page",
    "slot_minutes": "slot length (minutes)",
    "timezone": "time zone",
    "auth": "sign-in method",
    "token_expires_at": "token expiry",
    "missing_scopes": "missing permissions",
    "required_questions": "required booking questions",
}
# Lists the provider hands us and we keep to fill a menu: their content is no one's change.
CACHES = {"event_types", "calendars"}
# The provider's own addresses for things the log names otherwise (the account is its name).
NEVER_SHOWN = {"organization_uri", "user_uri"}
SECRET_WORDS = {"api_token": "API token", "access_token": "access token", "token": "token"}


@dataclass(frozen=True)
class AuditRow:
    event: AuditEvent
    who: str
    sentence: str
    details: list[str]


def audit_rows(events: list[AuditEvent]) -> list[AuditRow]:
    rows = []
    for event in events:
        who = actor_name(event)
        changes = event.changes or {}
        say = SENTENCES.get(event.action, _generic)
        rows.append(AuditRow(event, who, say(who, changes, event.action), _details(changes)))
    return rows


def actor_name(event: AuditEvent) -> str:
    actor = event.actor
    if actor is not None:
        return actor.get_full_name() or actor.email or actor.get_username()
    label = event.actor_label
    return label[:1].upper() + label[1:] if label else "The system"


def provider_name(name) -> str:
    spec = find_spec(name) if name else None
    return spec.label if spec else (name or "no provider")


def _booking_provider(who, changes, _action) -> str:
    before, after = _pair(changes.get("booking_provider"))
    if not before:
        return f"{who} made {provider_name(after)} the booking provider"
    if not after:
        return f"{who} stopped booking through {provider_name(before)}"
    return (
        f"{who} switched the booking provider from {provider_name(before)} "
        f"to {provider_name(after)}"
    )


def _auto_book(who, changes, _action) -> str:
    _, after = _pair(changes.get("auto_book_enabled"))
    return f"{who} turned auto-booking {'on' if after else 'off'}"


def _connection(verb: str) -> Callable[[str, dict, str], str]:
    def say(who, changes, _action) -> str:
        return f"{who} {verb} {provider_name(changes.get('provider'))}"

    return say


def _refused(who, changes, _action) -> str:
    return f"{provider_name(changes.get('provider'))} refused the stored credentials"


def _failed(who, changes, _action) -> str:
    return f"The connection to {provider_name(changes.get('provider'))} failed"


def _checked(who, changes, _action) -> str:
    return f"{who} tested the connection to {provider_name(changes.get('provider'))}"


def _replayed(who, changes, _action) -> str:
    if "count" in changes:
        count = changes["count"]
        return f"{who} replayed {count} webhook deliver{'y' if count == 1 else 'ies'}"
    event = changes.get("event") or "a"
    return f"{who} replayed {provider_name(changes.get('provider'))}'s {event} webhook"


def _generic(who, _changes, action) -> str:
    return f"{who}: {action.replace('_', ' ').replace('.', ' ')}"


SENTENCES: dict[str, Callable[[str, dict, str], str]] = {
    "workspace.booking_provider_changed": _booking_provider,
    "workspace.auto_book_changed": _auto_book,
    "integration.connected": _connection("connected"),
    "integration.updated": _connection("changed the settings of"),
    "integration.disconnected": _connection("disconnected"),
    "integration.needs_reauth": _refused,
    "integration.error": _failed,
    "integration.checked": _checked,
    "delivery.replayed": _replayed,
}
# What the sentence already says, not repeated below it.
SAID = {"provider", "booking_provider", "auto_book_enabled", "delivery", "event", "count"}


def _details(changes: dict) -> list[str]:
    lines = []
    for key, value in changes.items():
        if key in SAID:
            continue
        if key == "config" and isinstance(value, dict):
            lines += _config_lines(value)
        elif key == "secrets_changed":
            names = ", ".join(SECRET_WORDS.get(n, n.replace("_", " ")) for n in value)
            lines.append(f"new {names} saved")
        elif key == "status":
            before, after = (_status(v) for v in _pair(value))
            lines.append(f"status: {before} → {after}")
        elif key == "display_name":
            lines.append(f"account: {_arrow(value)}")
        elif key == "error":
            lines.append(f"reason: {value}")
        else:
            lines.append(f"{key.replace('_', ' ')}: {_arrow(value)}")
    return list(dict.fromkeys(lines))  # the account's name may be both a setting and the label


def _config_lines(config: dict) -> list[str]:
    hidden = {i for name, (_, ids) in SETTINGS.items() if name in config for i in ids}
    lines = []
    for key, value in config.items():
        if key in hidden or key in NEVER_SHOWN or _unchanged(value):
            continue
        if key in CACHES:
            count = len(_pair(value)[1] or [])
            lines.append(f"{key.replace('_', ' ')} list refreshed ({count})")
            continue
        words = SETTINGS[key][0] if key in SETTINGS else WORDS.get(key, key.replace("_", " "))
        lines.append(f"{words}: {_arrow(value)}")
    return lines


def _pair(value) -> tuple:
    if isinstance(value, list) and len(value) == 2:
        return value[0], value[1]
    return None, value


def _unchanged(value) -> bool:
    before, after = _pair(value)
    return isinstance(value, list) and len(value) == 2 and _show(before) == _show(after)


def _arrow(value) -> str:
    if isinstance(value, list) and len(value) == 2:
        return f"{_show(value[0])} → {_show(value[1])}"
    return _show(value)


def _status(value) -> str:
    try:
        return Connection.Status(value).label
    except ValueError:
        return _show(value)


def _show(value) -> str:
    if value is None or value in ("", [], {}):
        return "none"
    if value is True:
        return "on"
    if value is False:
        return "off"
    if isinstance(value, list | tuple):
        return ", ".join(_show(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_show(v)}" for k, v in value.items())
    return str(value)
