"""Reading what a provider answers: the field readers every provider's ``from_api`` uses.

A reader raises ``ResponseShapeError`` when a field we rely on is missing or unreadable; the
client turns that into a provider error, a webhook parser into a rejected delivery. Times come
out aware and in UTC. Text we only show is read leniently (``text``), ids and times strictly.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ValidationError

from workspaces.validators import validate_sane_datetime


class ResponseShapeError(ValueError):
    """An answer or a webhook body lacks a field we need, or has it in a form we can't read."""


def parse_time(value: Any, *, field: str, epoch_ms: bool = False) -> datetime:
    """An ISO 8601 time with an offset (or ``Z``) as aware UTC; epoch milliseconds too when
    ``epoch_ms`` (GoHighLevel sends both).

    A time without an offset is refused: guessing its zone would move a booking by hours.
    """
    if epoch_ms and isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return _bounded(datetime.fromtimestamp(value / 1000, tz=UTC), field)
        except (OverflowError, OSError, ValueError):
            raise ResponseShapeError(f"{field} is out of range") from None
    if isinstance(value, bool | int | float):
        raise ResponseShapeError(f"{field} is not a time")
    if not isinstance(value, str) or not value.strip():
        raise ResponseShapeError(f"{field} is missing")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ResponseShapeError(f"{field} is not an ISO 8601 time") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ResponseShapeError(f"{field} has no UTC offset")
    return _bounded(parsed, field)


def _bounded(moment: datetime, field: str) -> datetime:
    """Within the years we accept anywhere (validators.EARLIEST..LATEST): a year 1 or 9999 is a
    typo or an attack, and a page must never fail on a stored value."""
    try:
        validate_sane_datetime(moment)
        return moment.astimezone(UTC)
    except (ValidationError, OverflowError):
        raise ResponseShapeError(f"{field} is out of range") from None


def optional_time(value: Any, *, field: str, epoch_ms: bool = False) -> datetime | None:
    if value in (None, ""):
        return None
    return parse_time(value, field=field, epoch_ms=epoch_ms)


def text(data: Mapping[str, Any], key: str, *, max_length: int = 1000) -> str:
    """Display text: missing or not a string reads as ""; overlong text is cut."""
    value = data.get(key)
    if not isinstance(value, str):
        return ""
    return value.strip()[:max_length]


def required_str(data: Mapping[str, Any], key: str, *, max_length: int = 255) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ResponseShapeError(f"{key} is missing")
    return _within(value.strip(), key, max_length)


def optional_str(data: Mapping[str, Any], key: str, *, max_length: int = 1000) -> str:
    """Like ``required_str`` but a missing value reads as ""; a wrong type is still refused."""
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ResponseShapeError(f"{key} is not text")
    return _within(value.strip(), key, max_length)


def flag(data: Mapping[str, Any], key: str, *, default: bool = False) -> bool:
    value = data.get(key)
    return value if isinstance(value, bool) else default


def as_object(value: Any, *, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ResponseShapeError(f"{what} is not an object")
    return value


def optional_object(value: Any, *, what: str) -> Mapping[str, Any] | None:
    if value is None:
        return None
    return as_object(value, what=what)


def objects(value: Any) -> list[Mapping[str, Any]]:
    """The objects in a list (anything else in it, or a non-list, is dropped)."""
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, Mapping)]


def _within(value: str, key: str, max_length: int) -> str:
    if len(value) > max_length:
        raise ResponseShapeError(f"{key} is too long")
    return value
