"""The sandbox's fixed people and event types, and the shapes of Calendly's resources.

The token's user, Casey Closer (America/New_York, the organization's owner until a control
changes the role), has three event types: "Discovery Call" (30 min, an optional question),
"Strategy Session" (60 min, a required question) and the inactive "Old Intro Call". Two more
members, Riley Rivera and Morgan Price (role ``user``), host the "Sales Team"'s event types, one
of each kind: "Sales Intro" (round robin), "Team Demo" (collective) and "Group Q&A" (a group
event, up to 10 invitees). Casey hosts none of them, so Casey's user-scope webhooks and
``?user=`` lists never see them; the organization's do.
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
    "organizations:read",
)
ROLES = ("owner", "admin", "user")
# (uuid, name, slug, e-mail, role): the organization's other members
OTHER_MEMBERS = (
    (
        "1b2c3d4e-bbbb-4ccc-8ddd-1e2f3a4b5c6d",
        "Riley Rivera",
        "riley-rivera",
        "riley@agency.example",
    ),
    (
        "2c3d4e5f-cccc-4ddd-8eee-2f3a4b5c6d7e",
        "Morgan Price",
        "morgan-price",
        "morgan@agency.example",
    ),
)
MEMBERSHIP_UUIDS = {
    USER_UUID: "3d4e5f60-dddd-4eee-8fff-3a4b5c6d7e8f",
    OTHER_MEMBERS[0][0]: "4e5f6071-eeee-4fff-8000-4b5c6d7e8f90",
    OTHER_MEMBERS[1][0]: "5f607182-ffff-4000-8111-5c6d7e8f9001",
}
TEAM_UUID = "6a7b8c9d-3333-4444-8555-666677778888"
TEAM_NAME, TEAM_SLUG = "Sales Team", "sales-team"
GROUP_LIMIT = 10
# (spec as below, kind, pooling_type, host slugs)
TEAM_EVENT_TYPES = (
    (
        ("8d5e6f70-3333-4b12-8d43-4e5f60718293", "Sales Intro", "sales-intro", 30, True, []),
        "solo",
        "round_robin",
        ("riley-rivera", "morgan-price"),
    ),
    (
        ("9e6f7081-4444-4c23-8e54-5f60718293a4", "Team Demo", "team-demo", 30, True, []),
        "solo",
        "collective",
        ("riley-rivera", "morgan-price"),
    ),
    (
        ("af708192-5555-4d34-8f65-60718293a4b5", "Group Q&A", "group-qa", 60, True, []),
        "group",
        None,
        ("morgan-price",),
    ),
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


def membership(base_url: str, person: dict, role: str) -> dict:
    """An organization membership: the member (without the organization link) and the role."""
    uuid = MEMBERSHIP_UUIDS[last_segment(person["uri"])]
    keys = ("uri", "name", "slug", "email", "scheduling_url", "timezone", "avatar_url")
    return {
        "uri": f"{base_url}/organization_memberships/{uuid}",
        "role": role,
        "user": {key: person[key] for key in keys} | {"created_at": CREATED, "updated_at": CREATED},
        "organization": person["current_organization"],
        "created_at": CREATED,
        "updated_at": CREATED,
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


def host(person: dict) -> dict:
    """One of a scheduled event's ``event_memberships``."""
    return {"user": person["uri"], "user_email": person["email"], "user_name": person["name"]}


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
        "invitees_counter": {"total": 1, "active": 1, "limit": limit_of(event_type)},
        "created_at": now,
        "updated_at": now,
        "event_memberships": [host(person) for person in hosts],
        "event_guests": [],
        "cancellation": None,
    }


def limit_of(event_type: dict) -> int:
    return GROUP_LIMIT if event_type["kind"] == "group" else 1


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
