"""Reading what a caller sent: times, numbers, invitees, answers, UTM values (400 when wrong)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from .errors import invalid

UTM_KEYS = ("utm_campaign", "utm_source", "utm_medium", "utm_content", "utm_term")


def parse_time(value: Any, parameter: str) -> datetime:
    if not isinstance(value, str) or not value:
        raise invalid(f"{parameter} is required", parameter)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise invalid(f"{parameter} must be an ISO 8601 time", parameter) from None
    if moment.tzinfo is None:
        raise invalid(f"{parameter} must carry a time zone", parameter)
    return moment.astimezone(UTC)


def int_param(value: Any, parameter: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise invalid(f"{parameter} must be a number", parameter) from None


def seconds_param(value: Any, parameter: str) -> float:
    try:
        return max(float(value), 0.0)
    except (TypeError, ValueError):
        raise invalid(f"{parameter} must be a number of seconds", parameter) from None


def object_body(body: Any) -> dict:
    if not isinstance(body, dict):
        raise invalid("The body must be a JSON object.")
    return body


def invitee_input(data: Any) -> dict:
    if not isinstance(data, dict):
        raise invalid("invitee is required", "invitee")
    email = data.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise invalid("invitee.email is required", "invitee.email")
    first, last = data.get("first_name"), data.get("last_name")
    name = data.get("name") or (f"{first} {last}" if first and last else None)
    if not name:
        raise invalid("invitee.name or first_name and last_name are required", "invitee.name")
    if not data.get("timezone"):
        raise invalid("invitee.timezone is required", "invitee.timezone")
    try:
        ZoneInfo(data["timezone"])
    except (ValueError, KeyError):
        raise invalid("invitee.timezone is not a time zone", "invitee.timezone") from None
    return {
        "email": email,
        "name": name,
        "first_name": first,
        "last_name": last,
        "timezone": data["timezone"],
        "text_reminder_number": data.get("text_reminder_number"),
    }


def answers(event_type: dict, value: Any) -> list:
    """The answers, checked against the event type's questions (texts exactly; required ones)."""
    questions = {q["name"]: q for q in event_type["custom_questions"] if q["enabled"]}
    found = []
    for position, item in enumerate(value if isinstance(value, list) else []):
        if not isinstance(item, dict) or item.get("question") not in questions:
            raise invalid(
                "questions_and_answers must use the event type's questions exactly",
                "questions_and_answers",
            )
        found.append(
            {
                "question": item["question"],
                "answer": str(item.get("answer", "")),
                "position": item.get("position", position),
            }
        )
    answered = {a["question"] for a in found if a["answer"].strip()}
    missing = [name for name, q in questions.items() if q["required"] and name not in answered]
    if missing:
        raise invalid(f"A required question is not answered: {missing[0]}", "questions_and_answers")
    return found


def tracking(value: Any) -> dict:
    value = value if isinstance(value, dict) else {}
    found = {key: value.get(key) if isinstance(value.get(key), str) else None for key in UTM_KEYS}
    found["salesforce_uuid"] = None
    return found


def availability(value: Any) -> list[datetime] | None:
    """The ``availability`` control: a list of start times (or ``{start_time}``), or null."""
    if value is None:
        return None
    if not isinstance(value, list):
        raise invalid("availability is a list of start times, or null", "availability")
    starts = [
        parse_time(item.get("start_time") if isinstance(item, dict) else item, "availability")
        for item in value
    ]
    return sorted(set(starts))
