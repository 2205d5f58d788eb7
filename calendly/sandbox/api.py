"""Calendly API v2 endpoints: the user, event types, availability, scheduled events and their
invitees, booking (``POST /invitees``), single-use links and host cancellations."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from . import inputs
from .errors import invalid, not_found, permission_denied
from .http import Request, Routes, SandboxHandler, page, resource
from .inputs import object_body, parse_time
from .records import iso, last_segment

ROUTES = Routes()


def owner_filter(request: Request, state) -> str | None:
    """The ``user`` asked about (None: the whole ``organization``); one of them is required.
    Only the caller's own organization; another member only for an owner or admin."""
    user, organization = request.query.get("user"), request.query.get("organization")
    if not user and not organization:
        raise invalid("user or organization is required", "user")
    if organization and organization != state.organization:
        raise permission_denied("You do not have permission to view this organization.")
    if not user:
        return None
    others_allowed = state.org.is_admin(state.user["uri"]) and user in state.org.people
    if user != state.user["uri"] and not others_allowed:
        raise permission_denied("You do not have permission to view this user.")
    return user


def hosted_by(event: dict, user: str) -> bool:
    return any(m["user"] == user for m in event["event_memberships"])


# Reads


@ROUTES.route("GET", r"/users/me", "users:read")
def users_me(handler: SandboxHandler, request: Request) -> tuple:
    return resource(200, handler.state.user)


@ROUTES.route("GET", r"/event_types", "event_types:read")
def event_types(handler: SandboxHandler, request: Request) -> tuple:
    state = handler.state
    user = owner_filter(request, state)
    items = [
        e
        for e in state.event_types.values()
        if user is None or e["profile"]["owner"] == user or _hosts(state, e, user)
    ]
    active = request.query.get("active")
    if active in ("true", "false"):
        items = [item for item in items if item["active"] == (active == "true")]
    return 200, page(request, items, state.base_url)


def _hosts(state, event_type: dict, user: str) -> bool:
    return any(person["uri"] == user for person in state.org.hosts[event_type["uri"]])


@ROUTES.route("GET", r"/event_types/([^/]+)", "event_types:read")
def event_type(handler: SandboxHandler, request: Request) -> tuple:
    found = handler.state.event_types.get(request.match.group(1))
    if found is None:
        raise not_found()
    return resource(200, found)


@ROUTES.route("GET", r"/event_type_available_times", "availability:read")
def available_times(handler: SandboxHandler, request: Request) -> tuple:
    state = handler.state
    for parameter in ("event_type", "start_time", "end_time"):
        if not request.query.get(parameter):
            raise invalid(f"{parameter} is required", parameter)
    found = state.event_type(request.query["event_type"])
    start = parse_time(request.query["start_time"], "start_time")
    end = parse_time(request.query["end_time"], "end_time")
    if start <= datetime.now(UTC):
        raise invalid("start_time must be in the future", "start_time")
    if end <= start:
        raise invalid("end_time must be after start_time", "end_time")
    if end - start > timedelta(days=state.max_window_days):
        raise invalid(
            f"The date range can be no greater than {state.max_window_days} days", "end_time"
        )
    collection = [
        {
            "status": "available",
            "invitees_remaining": 1,
            "start_time": iso(moment),
            "scheduling_url": f"{found['scheduling_url']}/{iso(moment)[:16]}",
        }
        for moment in state.available_starts(found, start, end)
    ]
    return 200, {"collection": collection}


@ROUTES.route("GET", r"/scheduled_events", "scheduled_events:read")
def scheduled_events(handler: SandboxHandler, request: Request) -> tuple:
    state = handler.state
    user = owner_filter(request, state)
    if user is None and not state.org.is_admin(state.user["uri"]):
        raise permission_denied("You do not have permission to view this organization.")
    query = request.query
    items = [e for e in state.events.values() if user is None or hosted_by(e, user)]
    if query.get("status"):
        items = [item for item in items if item["status"] == query["status"]]
    if query.get("invitee_email"):
        wanted = query["invitee_email"].lower()
        uris = {i["event"] for i in state.invitees.values() if i["email"].lower() == wanted}
        items = [item for item in items if item["uri"] in uris]
    if query.get("min_start_time"):
        floor = parse_time(query["min_start_time"], "min_start_time")
        items = [i for i in items if parse_time(i["start_time"], "start_time") >= floor]
    if query.get("max_start_time"):
        ceiling = parse_time(query["max_start_time"], "max_start_time")
        items = [i for i in items if parse_time(i["start_time"], "start_time") <= ceiling]
    descending = query.get("sort", "start_time:asc") == "start_time:desc"
    items.sort(key=lambda item: item["start_time"], reverse=descending)
    return 200, page(request, items, state.base_url)


@ROUTES.route("GET", r"/scheduled_events/([^/]+)", "scheduled_events:read")
def scheduled_event(handler: SandboxHandler, request: Request) -> tuple:
    found = handler.state.events.get(request.match.group(1))
    if found is None:
        raise not_found()
    return resource(200, found)


@ROUTES.route("GET", r"/scheduled_events/([^/]+)/invitees", "scheduled_events:read")
def event_invitees(handler: SandboxHandler, request: Request) -> tuple:
    state = handler.state
    event = state.events.get(request.match.group(1))
    if event is None:
        raise not_found()
    items = [i for i in state.invitees.values() if i["event"] == event["uri"]]
    return 200, page(request, items, state.base_url)


@ROUTES.route("GET", r"/scheduled_events/([^/]+)/invitees/([^/]+)", "scheduled_events:read")
def event_invitee(handler: SandboxHandler, request: Request) -> tuple:
    found = handler.state.invitees.get(request.match.group(2))
    if found is None or last_segment(found["event"]) != request.match.group(1):
        raise not_found()
    return resource(200, found)


# Writes


@ROUTES.route("POST", r"/invitees", "scheduled_events:write")
def create_invitee(handler: SandboxHandler, request: Request) -> tuple:
    state = handler.state
    if not state.scheduling_api:
        raise permission_denied("Your Calendly plan does not include the Scheduling API.")
    body = object_body(request.body)
    found = state.event_type(body.get("event_type"))
    if not found["active"]:
        raise invalid("The event type is not active", "event_type")
    start = parse_time(body.get("start_time"), "start_time")
    person = inputs.invitee_input(body.get("invitee"))
    person["questions_and_answers"] = inputs.answers(found, body.get("questions_and_answers"))
    person["tracking"] = inputs.tracking(body.get("tracking"))
    if not state.is_free(found, start):
        raise invalid("The selected time is no longer available.", "start_time")
    record = state.book(found, start, person, method="api")
    handler.server.deliver(state, "invitee.created", record)
    return resource(201, record)


@ROUTES.route("POST", r"/scheduling_links", "scheduling_links:write")
def create_scheduling_link(handler: SandboxHandler, request: Request) -> tuple:
    state = handler.state
    body = object_body(request.body)
    if body.get("owner_type") != "EventType":
        raise invalid("owner_type must be EventType", "owner_type")
    if not isinstance(body.get("max_event_count"), int) or body["max_event_count"] < 1:
        raise invalid("max_event_count must be a positive number", "max_event_count")
    found = state.event_type(body.get("owner"))
    link = {
        "booking_url": f"{state.base_url}/d/{secrets.token_hex(5)}/{found['slug']}",
        "owner": found["uri"],
        "owner_type": "EventType",
    }
    state.links.append(link)
    state.link_uses[link["booking_url"]] = body["max_event_count"]
    return resource(201, link)


@ROUTES.route("POST", r"/scheduled_events/([^/]+)/cancellation", "scheduled_events:write")
def cancel_event(handler: SandboxHandler, request: Request) -> tuple:
    state = handler.state
    event = state.events.get(request.match.group(1))
    if event is None:
        raise not_found()
    reason = object_body(request.body).get("reason") or ""
    canceled = state.cancel(
        event, reason=str(reason), canceler_type="host", canceled_by=state.user["name"]
    )
    for invitee in canceled:
        handler.server.deliver(state, "invitee.canceled", invitee)
    return resource(201, event["cancellation"])
