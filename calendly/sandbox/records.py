"""The sandbox's fixed people and event types, and the shapes of Calendly's resources.

One user (Casey Closer, America/New_York) in one organization, with three event types:
"Discovery Call" (30 min, an optional question), "Strategy Session" (60 min, a required
question) and the inactive "Old Intro Call".
"""

from __future__ import annotations

import secrets
import uuid as uuidlib
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

DEFAULT_TOKEN = "sandbox-token"
USER_UUID = "8f1e2d3c-aaaa-4bbb-8ccc-0d1e2f3a4b5c"
ORG_UUID = "0a9b8c7d-1111-4222-8333-444455556666"
USER_SLUG = "casey-closer"
USER_TIMEZONE = "America/New_York"
CREATED = "2026-01-05T12:00:00.000000Z"
EVENTS = (
    "invitee.created",
    "invitee.canceled",
    "invitee_no_show.created",
    "invitee_no_show.deleted",
    "routing_form_submission.created",
)
ALL_SCOPES = (
    "users:read",
    "event_types:read",
    "availability:read",
    "scheduled_events:read",
    "scheduled_events:write",
    "scheduling_links:write",
    "webhooks:write",
)
# (uuid, name, slug, minutes, active, [(question, required)])
USER_EVENT_TYPES = (
    (
        "5a2b1c3d-0000-4e8f-9a10-1b2c3d4e5f60",
        "Discovery Call",
        "discovery-call",
        30,
        True,
        [("What would you like to discuss?", False)],
    ),
    (
        "6b3c2d4e-1111-4f90-8b21-2c3d4e5f6071",
        "Strategy Session",
        "strategy-session",
        60,
        True,
        [("What is your company's website?", True)],
    ),
    ("7c4d3e5f-2222-4a01-9c32-3d4e5f607182", "Old Intro Call", "old-intro-call", 15, False, []),
)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def now_iso() -> str:
    return iso(datetime.now(UTC))


def new_uuid() -> str:
    return str(uuidlib.uuid4())


def last_segment(uri: object) -> str:
    return urlsplit(str(uri)).path.rstrip("/").rsplit("/", 1)[-1]


def user(base_url: str, uuid: str, name: str, slug: str, email: str) -> dict:
    return {
        "uri": f"{base_url}/users/{uuid}",
        "name": name,
        "slug": slug,
        "email": email,
        "scheduling_url": f"{base_url}/{slug}",
        "timezone": USER_TIMEZONE,
        "avatar_url": None,
        "created_at": CREATED,
        "updated_at": CREATED,
        "current_organization": f"{base_url}/organizations/{ORG_UUID}",
        "resource_type": "User",
        "locale": "en",
    }


def event_type(base_url: str, profile: dict, spec: tuple, **kind) -> dict:
    """An event type of ``profile`` (``{type, name, owner, slug}``); ``kind`` may set ``kind``
    and ``pooling_type`` (a one-on-one is ``solo`` with no pooling)."""
    uuid, name, slug, duration, active, questions = spec
    return {
        "uri": f"{base_url}/event_types/{uuid}",
        "name": name,
        "active": active,
        "booking_method": "instant",
        "slug": slug,
        "scheduling_url": f"{base_url}/{profile['slug']}/{slug}",
        "duration": duration,
        "duration_options": None,
        "kind": kind.get("kind", "solo"),
        "pooling_type": kind.get("pooling_type"),
        "type": "StandardEventType",
        "color": "#0069ff",
        "created_at": CREATED,
        "updated_at": CREATED,
        "internal_note": None,
        "description_plain": None,
        "description_html": None,
        "profile": {key: profile[key] for key in ("type", "name", "owner")},
        "secret": False,
        "deleted_at": None,
        "admin_managed": False,
        "locations": [{"kind": "zoom_conference"}],
        "custom_questions": [
            {
                "name": text,
                "type": "text",
                "position": position,
                "enabled": True,
                "required": required,
                "answer_choices": [],
                "include_other": False,
            }
            for position, (text, required) in enumerate(questions)
        ],
    }


def scheduled_event(uri: str, event_type: dict, start: datetime, hosts: list[dict]) -> dict:
    now = now_iso()
    return {
        "uri": uri,
        "name": event_type["name"],
        "meeting_notes_plain": None,
        "meeting_notes_html": None,
        "status": "active",
        "start_time": iso(start),
        "end_time": iso(start + timedelta(minutes=event_type["duration"])),
        "event_type": event_type["uri"],
        "location": {
            "type": "zoom",
            "status": "pushed",
            "join_url": f"https://zoom.example/j/{secrets.randbelow(10**10):010d}",
        },
        "invitees_counter": {"total": 1, "active": 1, "limit": 1},
        "created_at": now,
        "updated_at": now,
        "event_memberships": [
            {"user": host["uri"], "user_email": host["email"], "user_name": host["name"]}
            for host in hosts
        ],
        "event_guests": [],
        "cancellation": None,
    }


def invitee(base_url: str, event: dict, invitee_uuid: str, person: dict, method: str | None):
    now = now_iso()
    return {
        "uri": f"{event['uri']}/invitees/{invitee_uuid}",
        "email": person["email"],
        "first_name": person.get("first_name"),
        "last_name": person.get("last_name"),
        "name": person["name"],
        "status": "active",
        "questions_and_answers": person.get("questions_and_answers", []),
        "timezone": person.get("timezone") or USER_TIMEZONE,
        "event": event["uri"],
        "created_at": now,
        "updated_at": now,
        "tracking": person["tracking"],
        "text_reminder_number": person.get("text_reminder_number"),
        "rescheduled": False,
        "old_invitee": None,
        "new_invitee": None,
        "cancel_url": f"{base_url}/cancellations/{invitee_uuid}",
        "reschedule_url": f"{base_url}/reschedulings/{invitee_uuid}",
        "routing_form_submission": None,
        "cancellation": None,
        "payment": None,
        "no_show": None,
        "reconfirmation": None,
        "scheduling_method": method,
        "invitee_scheduled_by": None,
    }
