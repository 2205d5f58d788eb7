"""A fake Calendly API v2 that keeps its state in memory (stdlib only: http.server + threading).

It answers every call ``calendly.client.CalendlyClient`` makes, in Calendly's documented shapes
(``resource``; ``collection`` + ``pagination`` honouring ``count`` and ``page_token``; errors as
``title``/``message``/``details``), behind a bearer token (401 for any other). One user
(Casey Closer, America/New_York) in one organization, with three event types: "Discovery Call"
(30 min, an optional question), "Strategy Session" (60 min, a required question) and the
inactive "Old Intro Call". Availability: weekdays 09:00-17:00 in the user's zone, a start every
30 minutes, less the times already booked.

A booking (``POST /invitees`` or ``POST /_sandbox/book``), a cancellation, a reschedule or a
no-show mark sends signed webhook deliveries, from a background thread, to every active
subscription that asked for the event: signed with the subscription's ``signing_key``, or with
the sandbox's app key (``--signing-key``, like an OAuth app's) when it has none.

Sandbox-only controls (no token needed) live under ``/_sandbox/``: ``book``, ``cancel``,
``reschedule``, ``no_show``, ``state`` (everything, plus a log of the API calls made),
``subscriptions/<uuid>/disable``, ``config`` (scopes, plan, availability window, an explicit
list of free times, webhooks sent before the answer), ``fail`` (make the next calls answer an
error, answer late, or do the work and answer an error anyway) and ``reset``.

Run it by hand: ``python -m calendly.sandbox.server --port 8765 --token sandbox-token``.
In tests: ``server, base_url = start_sandbox()`` ... ``server.stop()``.
"""

from __future__ import annotations

import argparse
import base64
import copy
import json
import logging
import queue
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
import uuid as uuidlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo

from calendly.signatures import SIGNATURE_HEADER, sign

logger = logging.getLogger(__name__)

DEFAULT_TOKEN = "sandbox-token"
USER_UUID = "8f1e2d3c-aaaa-4bbb-8ccc-0d1e2f3a4b5c"
ORG_UUID = "0a9b8c7d-1111-4222-8333-444455556666"
USER_SLUG = "casey-closer"
USER_TIMEZONE = "America/New_York"
WORK_START, WORK_END = clock(9, 0), clock(17, 0)
SLOT_STEP = timedelta(minutes=30)
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
MAX_BODY = 1_000_000
REQUEST_LOG_SIZE = 2000
DELIVERY_TIMEOUT = 5.0


class ApiError(Exception):
    """Answered as Calendly's error body."""

    def __init__(self, status: int, title: str, message: str, details: list | None = None):
        super().__init__(message)
        self.status = status
        self.body = {"title": title, "message": message}
        if details:
            self.body["details"] = details


def _invalid(message: str, parameter: str = "") -> ApiError:
    details = [{"parameter": parameter, "message": message}] if parameter else None
    return ApiError(400, "Invalid Argument", message, details)


def _not_found() -> ApiError:
    return ApiError(404, "Resource Not Found", "The server could not find the requested resource.")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_time(value: Any, parameter: str) -> datetime:
    if not isinstance(value, str) or not value:
        raise _invalid(f"{parameter} is required", parameter)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _invalid(f"{parameter} must be an ISO 8601 time", parameter) from None
    if moment.tzinfo is None:
        raise _invalid(f"{parameter} must carry a time zone", parameter)
    return moment.astimezone(UTC)


def _new_uuid() -> str:
    return str(uuidlib.uuid4())


def _last_segment(uri: str) -> str:
    return urlsplit(str(uri)).path.rstrip("/").rsplit("/", 1)[-1]


@dataclass
class Failure:
    """An injected answer for the next ``times`` calls matching method and path."""

    method: str
    path: str
    status: int = 0  # 0: handle normally, only late
    times: int = 1
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    delay: float = 0.0  # seconds to wait before answering (after doing the work)
    # With a status: do the work first (a booking is made, its webhook sent), then answer the
    # error, as when Calendly booked but the answer was lost (a 5xx, a proxy's 504).
    perform: bool = False


class SandboxState:
    """Everything the fake Calendly knows. Every method takes the lock itself."""

    def __init__(self, base_url: str, token: str, *, signing_key: str | None, max_window_days: int):
        self.lock = threading.RLock()
        self.base_url = base_url
        self.token = token
        self.signing_key = signing_key
        self.max_window_days = max_window_days
        self.scopes: set[str] | None = None  # None: every scope granted
        self.scheduling_api = True  # False: a plan without the Scheduling API (403)
        self.oauth_client_id: str | None = None
        self.oauth_client_secret: str | None = None
        self.oauth_access: set[str] = set()
        self.oauth_refresh: set[str] = set()
        self.oauth_codes: set[str] = set()
        self.failures: list[Failure] = []
        self.events: dict[str, dict] = {}
        self.invitees: dict[str, dict] = {}
        self.subscriptions: dict[str, dict] = {}
        self.subscription_keys: dict[str, str | None] = {}
        self.links: list[dict] = []
        self.deliveries: list[dict] = []
        self.requests: list[dict] = []  # every API call: method, path, status (not controls)
        # Exactly these starts are free (less bookings) instead of weekday office hours.
        self.availability: list[datetime] | None = None
        # Send webhook deliveries before answering the call that caused them (a webhook that
        # overtakes the API answer), instead of from the background thread afterwards.
        self.sync_deliveries = False
        self.user = self._user()
        self.organization = f"{base_url}/organizations/{ORG_UUID}"
        self.event_types = self._event_types()

    def uri(self, kind: str, uuid: str) -> str:
        return f"{self.base_url}/{kind}/{uuid}"

    def _user(self) -> dict:
        return {
            "uri": self.uri("users", USER_UUID),
            "name": "Casey Closer",
            "slug": USER_SLUG,
            "email": "closer@agency.example",
            "scheduling_url": f"{self.base_url}/{USER_SLUG}",
            "timezone": USER_TIMEZONE,
            "avatar_url": None,
            "created_at": "2026-01-05T12:00:00.000000Z",
            "updated_at": "2026-01-05T12:00:00.000000Z",
            "current_organization": f"{self.base_url}/organizations/{ORG_UUID}",
            "resource_type": "User",
            "locale": "en",
        }

    def _event_types(self) -> dict[str, dict]:
        specs = [
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
            (
                "7c4d3e5f-2222-4a01-9c32-3d4e5f607182",
                "Old Intro Call",
                "old-intro-call",
                15,
                False,
                [],
            ),
        ]
        return {uuid: self._event_type(uuid, *rest) for uuid, *rest in specs}

    def _event_type(self, uuid, name, slug, duration, active, questions) -> dict:
        return {
            "uri": self.uri("event_types", uuid),
            "name": name,
            "active": active,
            "booking_method": "instant",
            "slug": slug,
            "scheduling_url": f"{self.base_url}/{USER_SLUG}/{slug}",
            "duration": duration,
            "duration_options": None,
            "kind": "solo",
            "pooling_type": None,
            "type": "StandardEventType",
            "color": "#0069ff",
            "created_at": "2026-01-05T12:00:00.000000Z",
            "updated_at": "2026-01-05T12:00:00.000000Z",
            "internal_note": None,
            "description_plain": None,
            "description_html": None,
            "profile": {"type": "User", "name": "Casey Closer", "owner": self.user["uri"]},
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

    # Looking things up

    def event_type(self, uri_or_slug: Any) -> dict:
        key = _last_segment(uri_or_slug or "")
        for event_type in self.event_types.values():
            if key in (_last_segment(event_type["uri"]), event_type["slug"]):
                return event_type
        raise _invalid("event_type does not name an event type of this user", "event_type")

    def invitee(self, uri: Any) -> dict:
        invitee = self.invitees.get(_last_segment(uri or ""))
        if invitee is None:
            raise _not_found()
        return invitee

    # Availability

    def available_starts(self, event_type: dict, start: datetime, end: datetime) -> list[datetime]:
        if not event_type["active"]:
            return []
        zone = ZoneInfo(self.user["timezone"])
        length = timedelta(minutes=event_type["duration"])
        earliest = max(start, datetime.now(UTC))
        busy = [
            (_parse_time(e["start_time"], "start_time"), _parse_time(e["end_time"], "end_time"))
            for e in self.events.values()
            if e["status"] == "active"
        ]
        if self.availability is not None:
            return [
                moment
                for moment in self.availability
                if earliest <= moment < end
                and not any(moment < b_end and moment + length > b_start for b_start, b_end in busy)
            ]
        found = []
        day = start.astimezone(zone).date()
        while day <= end.astimezone(zone).date():
            for moment in _day_starts(day, zone, length):
                if not (earliest <= moment < end):
                    continue
                if any(moment < b_end and moment + length > b_start for b_start, b_end in busy):
                    continue
                found.append(moment)
            day += timedelta(days=1)
        return found

    def is_free(self, event_type: dict, start: datetime) -> bool:
        return start in self.available_starts(event_type, start, start + timedelta(seconds=1))

    # Writes

    def book(self, event_type: dict, start: datetime, invitee: dict, *, method: str | None) -> dict:
        """Make the scheduled event and its invitee; the caller has checked everything."""
        now = _iso(datetime.now(UTC))
        event_uuid, invitee_uuid = _new_uuid(), _new_uuid()
        event = {
            "uri": self.uri("scheduled_events", event_uuid),
            "name": event_type["name"],
            "meeting_notes_plain": None,
            "meeting_notes_html": None,
            "status": "active",
            "start_time": _iso(start),
            "end_time": _iso(start + timedelta(minutes=event_type["duration"])),
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
                {
                    "user": self.user["uri"],
                    "user_email": self.user["email"],
                    "user_name": self.user["name"],
                }
            ],
            "event_guests": [],
            "cancellation": None,
        }
        record = {
            "uri": f"{event['uri']}/invitees/{invitee_uuid}",
            "email": invitee["email"],
            "first_name": invitee.get("first_name"),
            "last_name": invitee.get("last_name"),
            "name": invitee["name"],
            "status": "active",
            "questions_and_answers": invitee.get("questions_and_answers", []),
            "timezone": invitee.get("timezone") or self.user["timezone"],
            "event": event["uri"],
            "created_at": now,
            "updated_at": now,
            "tracking": invitee["tracking"],
            "text_reminder_number": invitee.get("text_reminder_number"),
            "rescheduled": False,
            "old_invitee": None,
            "new_invitee": None,
            "cancel_url": f"{self.base_url}/cancellations/{invitee_uuid}",
            "reschedule_url": f"{self.base_url}/reschedulings/{invitee_uuid}",
            "routing_form_submission": None,
            "cancellation": None,
            "payment": None,
            "no_show": None,
            "reconfirmation": None,
            "scheduling_method": method,
            "invitee_scheduled_by": None,
        }
        self.events[event_uuid] = event
        self.invitees[invitee_uuid] = record
        return record

    def cancel(self, event: dict, *, reason: str, canceler_type: str, canceled_by: str) -> list:
        """Cancel the event and its active invitees; the invitees canceled are returned."""
        if event["status"] == "canceled":
            raise ApiError(403, "Permission Denied", "Event is already canceled.")
        now = _iso(datetime.now(UTC))
        cancellation = {
            "canceled_by": canceled_by,
            "reason": reason or None,
            "canceler_type": canceler_type,
            "created_at": now,
        }
        event.update(status="canceled", cancellation=cancellation, updated_at=now)
        event["invitees_counter"]["active"] = 0
        canceled = []
        for invitee in self.invitees.values():
            if invitee["event"] == event["uri"] and invitee["status"] == "active":
                invitee.update(status="canceled", cancellation=cancellation, updated_at=now)
                canceled.append(invitee)
        return canceled

    def webhook_body(self, name: str, invitee: dict) -> bytes:
        payload = copy.deepcopy(invitee)
        payload["scheduled_event"] = copy.deepcopy(self.events[_last_segment(invitee["event"])])
        envelope = {
            "created_at": _iso(datetime.now(UTC)),
            "created_by": self.user["uri"],
            "event": name,
            "payload": payload,
        }
        return json.dumps(envelope).encode()

    def targets(self, name: str) -> list[tuple[str, str | None]]:
        """(callback URL, signing key) of every active subscription to ``name``."""
        return [
            (sub["callback_url"], self.subscription_keys.get(_last_segment(sub["uri"])))
            for sub in self.subscriptions.values()
            if sub["state"] == "active" and name in sub["events"]
        ]

    def take_failure(self, method: str, path: str) -> Failure | None:
        for failure in self.failures:
            if failure.method == method and re.fullmatch(failure.path, path):
                failure.times -= 1
                if failure.times <= 0:
                    self.failures.remove(failure)
                return failure
        return None

    def snapshot(self) -> dict:
        subscriptions = [
            {**sub, "has_signing_key": bool(self.subscription_keys.get(_last_segment(sub["uri"])))}
            for sub in self.subscriptions.values()
        ]
        return {
            "user": self.user,
            "organization": self.organization,
            "event_types": list(self.event_types.values()),
            "scheduled_events": list(self.events.values()),
            "invitees": list(self.invitees.values()),
            "webhook_subscriptions": subscriptions,
            "scheduling_links": self.links,
            "deliveries": self.deliveries,
            "scopes": sorted(self.scopes) if self.scopes is not None else None,
            "scheduling_api": self.scheduling_api,
            "max_window_days": self.max_window_days,
            "availability": None
            if self.availability is None
            else [_iso(moment) for moment in self.availability],
            "sync_deliveries": self.sync_deliveries,
            "requests": self.requests,
        }


def _day_starts(day: date, zone: ZoneInfo, length: timedelta) -> list[datetime]:
    if day.weekday() >= 5:
        return []
    moment = datetime.combine(day, WORK_START, tzinfo=zone)
    closing = datetime.combine(day, WORK_END, tzinfo=zone)
    found = []
    while moment + length <= closing:
        found.append(moment.astimezone(UTC))
        moment += SLOT_STEP
    return found


# Requests


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: Any
    match: re.Match


Route = tuple[str, re.Pattern, str | None, Callable[["SandboxHandler", Request], tuple]]
ROUTES: list[Route] = []
PUBLIC = None  # no token needed
CONTROL = "control"


def route(method: str, pattern: str, scope: str | None):
    def add(handler):
        ROUTES.append((method, re.compile(pattern), scope, handler))
        return handler

    return add


class SandboxHandler(BaseHTTPRequestHandler):
    server: SandboxServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body leave at once, not 40 ms apart

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("sandbox: " + format, *args)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    @property
    def state(self) -> SandboxState:
        return self.server.state

    def _handle(self, method: str) -> None:
        parts = urlsplit(self.path)
        path = parts.path.rstrip("/") or "/"
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        try:
            raw = self._read_body()
            found = self._find(method, path)
            if found is None:
                raise _not_found()
            scope, handler, match = found
            if scope is not CONTROL:
                self._authorize(scope)
            failure = None if scope is CONTROL else self._take_failure(method, path)
            if failure and failure.status and not failure.perform:
                time.sleep(failure.delay)
                self._send(failure.status, failure.body, failure.headers, logged=path)
                return
            request = Request(method, path, query, self._decode(raw), self.headers, match)
            self.server.hold_deliveries()
            try:
                with self.state.lock:
                    status, body, *extra = handler(self, request)
            finally:
                self.server.send_held_deliveries()  # outside the lock: receivers may call back
            if failure:
                time.sleep(failure.delay)  # the work is done; only the answer is late
            if failure and failure.status:
                status, body, extra = failure.status, failure.body, [failure.headers]
            self._send(status, body, *extra, logged=None if scope is CONTROL else path)
        except ApiError as exc:
            self._send(exc.status, exc.body, logged=path)
        except Exception:
            logger.exception("sandbox: %s %s failed", method, path)
            self._send(500, {"title": "Internal Server Error", "message": "Sandbox failure."})

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ApiError(413, "Payload Too Large", "The body is too large.")
        return self.rfile.read(length) if length else b""

    def _decode(self, raw: bytes) -> Any:
        if not raw:
            return {}
        is_form = self.headers.get("Content-Type", "").startswith(
            "application/x-www-form-urlencoded"
        )
        # curl -d labels JSON as a form; JSON is recognised by its first character.
        if is_form and not raw.lstrip().startswith((b"{", b"[")):
            return {key: values[-1] for key, values in parse_qs(raw.decode()).items()}
        try:
            return json.loads(raw)
        except ValueError:
            raise _invalid("The body is not valid JSON.") from None

    def _find(self, method: str, path: str):
        for route_method, pattern, scope, handler in ROUTES:
            match = pattern.fullmatch(path)
            if match and route_method == method:
                return scope, handler, match
        return None

    def _authorize(self, scope: str | None) -> None:
        if scope is PUBLIC:
            return
        header = self.headers.get("Authorization", "")
        token = header[7:] if header.startswith("Bearer ") else ""
        with self.state.lock:
            known = token and (
                secrets.compare_digest(token, self.state.token) or token in self.state.oauth_access
            )
            granted = self.state.scopes
        if not known:
            raise ApiError(401, "Unauthenticated", "The access token is invalid")
        if granted is not None and scope not in granted:
            raise ApiError(
                403,
                "Permission Denied",
                f"The access token is missing the required scope: {scope}",
                [{"parameter": "scope", "message": f"{scope} is required"}],
            )

    def _take_failure(self, method: str, path: str) -> Failure | None:
        with self.state.lock:
            return self.state.take_failure(method, path)

    def _send(
        self, status: int, body: Any, headers: dict | None = None, *, logged: str | None = None
    ) -> None:
        if logged and not logged.startswith("/_sandbox/"):
            with self.state.lock:
                self.state.requests.append(
                    {"method": self.command, "path": logged, "status": status}
                )
                del self.state.requests[:-REQUEST_LOG_SIZE]  # a long demo stays small
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def _page(request: Request, items: list, state: SandboxState) -> dict:
    """Calendly's ``collection`` + ``pagination``, honouring ``count`` and ``page_token``."""
    count = _int_param(request.query.get("count", "20"), "count")
    if not 1 <= count <= 100:
        raise _invalid("count must be between 1 and 100", "count")
    offset = _offset(request.query.get("page_token"))
    window = items[offset : offset + count]
    has_next = offset + count < len(items)
    has_previous = offset > 0

    def link(token: str | None) -> str | None:
        if token is None:
            return None
        query = {**request.query, "count": str(count), "page_token": token}
        return f"{state.base_url}{request.path}?{urlencode(query)}"

    next_token = _token(offset + count) if has_next else None
    previous_token = _token(max(offset - count, 0)) if has_previous else None
    return {
        "collection": window,
        "pagination": {
            "count": len(window),
            "next_page": link(next_token),
            "next_page_token": next_token,
            "previous_page": link(previous_token),
            "previous_page_token": previous_token,
        },
    }


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def _offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        kind, _, value = text.partition(":")
        if kind != "offset":
            raise ValueError
        return max(int(value), 0)
    except ValueError:
        raise _invalid("page_token is not valid", "page_token") from None


def _int_param(value: Any, parameter: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _invalid(f"{parameter} must be a number", parameter) from None


def _owner_filter(request: Request, state: SandboxState) -> None:
    user, organization = request.query.get("user"), request.query.get("organization")
    if not user and not organization:
        raise _invalid("user or organization is required", "user")
    if user and user != state.user["uri"]:
        raise ApiError(403, "Permission Denied", "You do not have permission to view this user.")
    if organization and organization != state.organization:
        raise ApiError(
            403, "Permission Denied", "You do not have permission to view this organization."
        )


def _resource(status: int, resource: Any) -> tuple:
    return status, {"resource": resource}


# Reads


@route("GET", r"/users/me", "users:read")
def users_me(handler: SandboxHandler, request: Request) -> tuple:
    return _resource(200, handler.state.user)


@route("GET", r"/event_types", "event_types:read")
def event_types(handler: SandboxHandler, request: Request) -> tuple:
    state = handler.state
    _owner_filter(request, state)
    items = list(state.event_types.values())
    active = request.query.get("active")
    if active in ("true", "false"):
        items = [item for item in items if item["active"] == (active == "true")]
    return 200, _page(request, items, state)


@route("GET", r"/event_types/([^/]+)", "event_types:read")
def event_type(handler: SandboxHandler, request: Request) -> tuple:
    found = handler.state.event_types.get(request.match.group(1))
    if found is None:
        raise _not_found()
    return _resource(200, found)


@route("GET", r"/event_type_available_times", "availability:read")
def available_times(handler: SandboxHandler, request: Request) -> tuple:
    state = handler.state
    for parameter in ("event_type", "start_time", "end_time"):
        if not request.query.get(parameter):
            raise _invalid(f"{parameter} is required", parameter)
    event_type = state.event_type(request.query["event_type"])
    start = _parse_time(request.query["start_time"], "start_time")
    end = _parse_time(request.query["end_time"], "end_time")
    if start <= datetime.now(UTC):
        raise _invalid("start_time must be in the future", "start_time")
    if end <= start:
        raise _invalid("end_time must be after start_time", "end_time")
    if end - start > timedelta(days=state.max_window_days):
        raise _invalid(
            f"The date range can be no greater than {state.max_window_days} days", "end_time"
        )
    collection = [
        {
            "status": "available",
            "invitees_remaining": 1,
            "start_time": _iso(moment),
            "scheduling_url": f"{event_type['scheduling_url']}/{_iso(moment)[:16]}",
        }
        for moment in state.available_starts(event_type, start, end)
    ]
    return 200, {"collection": collection}


@route("GET", r"/scheduled_events", "scheduled_events:read")
def scheduled_events(handler: SandboxHandler, request: Request) -> tuple:
    state = handler.state
    _owner_filter(request, state)
    query = request.query
    items = list(state.events.values())
    if query.get("status"):
        items = [item for item in items if item["status"] == query["status"]]
    if query.get("invitee_email"):
        wanted = query["invitee_email"].lower()
        uris = {i["event"] for i in state.invitees.values() if i["email"].lower() == wanted}
        items = [item for item in items if item["uri"] in uris]
    if query.get("min_start_time"):
        floor = _parse_time(query["min_start_time"], "min_start_time")
        items = [i for i in items if _parse_time(i["start_time"], "start_time") >= floor]
    if query.get("max_start_time"):
        ceiling = _parse_time(query["max_start_time"], "max_start_time")
        items = [i for i in items if _parse_time(i["start_time"], "start_time") <= ceiling]
    descending = query.get("sort", "start_time:asc") == "start_time:desc"
    items.sort(key=lambda item: item["start_time"], reverse=descending)
    return 200, _page(request, items, state)


@route("GET", r"/scheduled_events/([^/]+)", "scheduled_events:read")
def scheduled_event(handler: SandboxHandler, request: Request) -> tuple:
    found = handler.state.events.get(request.match.group(1))
    if found is None:
        raise _not_found()
    return _resource(200, found)


@route("GET", r"/scheduled_events/([^/]+)/invitees", "scheduled_events:read")
def event_invitees(handler: SandboxHandler, request: Request) -> tuple:
    state = handler.state
    event = state.events.get(request.match.group(1))
    if event is None:
        raise _not_found()
    items = [i for i in state.invitees.values() if i["event"] == event["uri"]]
    return 200, _page(request, items, state)


@route("GET", r"/scheduled_events/([^/]+)/invitees/([^/]+)", "scheduled_events:read")
def event_invitee(handler: SandboxHandler, request: Request) -> tuple:
    found = handler.state.invitees.get(request.match.group(2))
    if found is None or _last_segment(found["event"]) != request.match.group(1):
        raise _not_found()
    return _resource(200, found)


# Writes


@route("POST", r"/invitees", "scheduled_events:write")
def create_invitee(handler: SandboxHandler, request: Request) -> tuple:
    state = handler.state
    if not state.scheduling_api:
        raise ApiError(
            403, "Permission Denied", "Your Calendly plan does not include the Scheduling API."
        )
    body = _object_body(request)
    event_type = state.event_type(body.get("event_type"))
    if not event_type["active"]:
        raise _invalid("The event type is not active", "event_type")
    start = _parse_time(body.get("start_time"), "start_time")
    invitee = _invitee_input(body.get("invitee"))
    invitee["questions_and_answers"] = _answers(event_type, body.get("questions_and_answers"))
    invitee["tracking"] = _tracking(body.get("tracking"))
    if not state.is_free(event_type, start):
        raise _invalid("The selected time is no longer available.", "start_time")
    record = state.book(event_type, start, invitee, method="api")
    handler.server.deliver(state, "invitee.created", record)
    return _resource(201, record)


@route("POST", r"/scheduling_links", "scheduling_links:write")
def create_scheduling_link(handler: SandboxHandler, request: Request) -> tuple:
    state = handler.state
    body = _object_body(request)
    if body.get("owner_type") != "EventType":
        raise _invalid("owner_type must be EventType", "owner_type")
    if not isinstance(body.get("max_event_count"), int) or body["max_event_count"] < 1:
        raise _invalid("max_event_count must be a positive number", "max_event_count")
    event_type = state.event_type(body.get("owner"))
    link = {
        "booking_url": f"{state.base_url}/d/{secrets.token_hex(5)}/{event_type['slug']}",
        "owner": event_type["uri"],
        "owner_type": "EventType",
    }
    state.links.append(link)
    return _resource(201, link)


@route("POST", r"/scheduled_events/([^/]+)/cancellation", "scheduled_events:write")
def cancel_event(handler: SandboxHandler, request: Request) -> tuple:
    state = handler.state
    event = state.events.get(request.match.group(1))
    if event is None:
        raise _not_found()
    reason = _object_body(request).get("reason") or ""
    canceled = state.cancel(
        event, reason=str(reason), canceler_type="host", canceled_by=state.user["name"]
    )
    for invitee in canceled:
        handler.server.deliver(state, "invitee.canceled", invitee)
    return _resource(201, event["cancellation"])


# Webhook subscriptions


@route("POST", r"/webhook_subscriptions", "webhooks:write")
def create_subscription(handler: SandboxHandler, request: Request) -> tuple:
    state = handler.state
    body = _object_body(request)
    url, events, scope = body.get("url"), body.get("events"), body.get("scope")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise _invalid("url must be an http(s) URL", "url")
    if not isinstance(events, list) or not events or any(e not in EVENTS for e in events):
        raise _invalid(f"events must be a list of {', '.join(EVENTS)}", "events")
    if scope not in ("user", "organization", "group"):
        raise _invalid("scope must be user, organization or group", "scope")
    if body.get("organization") != state.organization:
        raise _invalid("organization is required and must be yours", "organization")
    if scope == "user" and body.get("user") != state.user["uri"]:
        raise _invalid("user is required for scope user", "user")
    if scope == "group" and not body.get("group"):
        raise _invalid("group is required for scope group", "group")
    for existing in state.subscriptions.values():
        if existing["callback_url"] == url and existing["scope"] == scope:
            raise ApiError(409, "Already Exists", "Hook with this url already exists")
    uuid, now = _new_uuid(), _iso(datetime.now(UTC))
    subscription = {
        "uri": state.uri("webhook_subscriptions", uuid),
        "callback_url": url,
        "created_at": now,
        "updated_at": now,
        "retry_started_at": None,
        "state": "active",
        "events": list(dict.fromkeys(events)),
        "scope": scope,
        "organization": state.organization,
        "user": state.user["uri"] if scope == "user" else None,
        "group": body.get("group") if scope == "group" else None,
        "creator": state.user["uri"],
    }
    signing_key = body.get("signing_key")
    state.subscriptions[uuid] = subscription
    state.subscription_keys[uuid] = signing_key if isinstance(signing_key, str) else None
    return _resource(201, subscription)


@route("GET", r"/webhook_subscriptions", "webhooks:write")
def list_subscriptions(handler: SandboxHandler, request: Request) -> tuple:
    state = handler.state
    query = request.query
    if not query.get("organization"):
        raise _invalid("organization is required", "organization")
    if query.get("scope") not in ("user", "organization", "group"):
        raise _invalid("scope is required", "scope")
    if query["organization"] != state.organization:
        raise ApiError(403, "Permission Denied", "You do not have permission to view this.")
    items = [
        sub
        for sub in state.subscriptions.values()
        if sub["scope"] == query["scope"]
        and (not query.get("user") or sub["user"] == query["user"])
    ]
    return 200, _page(request, items, state)


@route("GET", r"/webhook_subscriptions/([^/]+)", "webhooks:write")
def get_subscription(handler: SandboxHandler, request: Request) -> tuple:
    found = handler.state.subscriptions.get(request.match.group(1))
    if found is None:
        raise _not_found()
    return _resource(200, found)


@route("DELETE", r"/webhook_subscriptions/([^/]+)", "webhooks:write")
def delete_subscription(handler: SandboxHandler, request: Request) -> tuple:
    state = handler.state
    if state.subscriptions.pop(request.match.group(1), None) is None:
        raise _not_found()
    state.subscription_keys.pop(request.match.group(1), None)
    return 204, None


# OAuth (the sandbox is its own auth server: point CALENDLY_AUTH_BASE at it too)


@route("GET", r"/oauth/authorize", PUBLIC)
def oauth_authorize(handler: SandboxHandler, request: Request) -> tuple:
    """Approves at once: redirects to ``redirect_uri`` with a code (and the ``state``)."""
    redirect_uri = request.query.get("redirect_uri", "")
    if not redirect_uri.startswith(("http://", "https://")):
        raise _invalid("redirect_uri is required", "redirect_uri")
    code = secrets.token_urlsafe(16)
    handler.state.oauth_codes.add(code)
    params = {"code": code}
    if request.query.get("state"):
        params["state"] = request.query["state"]
    separator = "&" if "?" in redirect_uri else "?"
    return 302, None, {"Location": f"{redirect_uri}{separator}{urlencode(params)}"}


@route("POST", r"/oauth/token", PUBLIC)
def oauth_token(handler: SandboxHandler, request: Request) -> tuple:
    state = handler.state
    form = request.body if isinstance(request.body, dict) else {}
    expected = (state.oauth_client_id, state.oauth_client_secret)
    if expected[0] and (form.get("client_id"), form.get("client_secret")) != expected:
        return 401, {"error": "invalid_client", "error_description": "Client authentication failed"}
    grant = form.get("grant_type")
    if grant == "authorization_code" and form.get("code") in state.oauth_codes:
        state.oauth_codes.discard(form["code"])
    elif grant == "refresh_token" and form.get("refresh_token") in state.oauth_refresh:
        state.oauth_refresh.discard(form["refresh_token"])
    else:
        return 400, {"error": "invalid_grant", "error_description": "The grant is invalid"}
    access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    state.oauth_access.add(access)
    state.oauth_refresh.add(refresh)
    return 200, {
        "token_type": "Bearer",
        "access_token": access,
        "refresh_token": refresh,
        "scope": "default",
        "created_at": int(time.time()),
        "expires_in": 7200,
        "owner": state.user["uri"],
        "organization": state.organization,
    }


# Sandbox controls


@route("POST", r"/_sandbox/book", CONTROL)
def control_book(handler: SandboxHandler, request: Request) -> tuple:
    """A lead books through the public booking page (pre-filled, with UTM values)."""
    state = handler.state
    body = _object_body(request)
    event_type = state.event_type(body.get("event_type") or "discovery-call")
    if body.get("start_time"):
        start = _parse_time(body["start_time"], "start_time")
        if not state.is_free(event_type, start):
            raise _invalid("The selected time is no longer available.", "start_time")
    else:
        start = _first_free(state, event_type)
    invitee = _invitee_input({"timezone": state.user["timezone"], **body})
    answers = body.get("questions_and_answers") or []
    answered = {a.get("question") for a in answers if isinstance(a, dict)}
    answers += [
        {"question": q["name"], "answer": "Sandbox answer"}
        for q in event_type["custom_questions"]
        if q["required"] and q["name"] not in answered
    ]
    invitee["questions_and_answers"] = _answers(event_type, answers)
    tracking = dict(body.get("tracking") or {})
    for key in ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term"):
        if body.get(key):
            tracking[key] = body[key]
    invitee["tracking"] = _tracking(tracking)
    record = state.book(event_type, start, invitee, method=None)
    handler.server.deliver(state, "invitee.created", record)
    return _resource(201, record)


@route("POST", r"/_sandbox/cancel", CONTROL)
def control_cancel(handler: SandboxHandler, request: Request) -> tuple:
    """The invitee (default) or the host cancels: ``{invitee | event, reason, canceler_type}``."""
    state = handler.state
    body = _object_body(request)
    if body.get("invitee"):
        invitee = state.invitee(body["invitee"])
        event = state.events[_last_segment(invitee["event"])]
    else:
        event = state.events.get(_last_segment(body.get("event") or ""))
        if event is None:
            raise _not_found()
        invitee = None
    canceler_type = body.get("canceler_type") or "invitee"
    canceled_by = state.user["name"] if canceler_type == "host" else (invitee or {}).get("name")
    canceled = state.cancel(
        event,
        reason=str(body.get("reason") or ""),
        canceler_type=canceler_type,
        canceled_by=canceled_by or "Invitee",
    )
    for record in canceled:
        handler.server.deliver(state, "invitee.canceled", record)
    return _resource(200, event)


@route("POST", r"/_sandbox/reschedule", CONTROL)
def control_reschedule(handler: SandboxHandler, request: Request) -> tuple:
    """The invitee moves the booking: ``{invitee, start_time}``. Sends the old invitee's
    ``invitee.canceled`` (rescheduled) and the new one's ``invitee.created``."""
    state = handler.state
    body = _object_body(request)
    old = state.invitee(body.get("invitee"))
    if old["status"] != "active":
        raise _invalid("The invitee is canceled", "invitee")
    old_event = state.events[_last_segment(old["event"])]
    event_type = state.event_type(old_event["event_type"])
    start = _parse_time(body.get("start_time"), "start_time")
    if not state.is_free(event_type, start):
        raise _invalid("The selected time is no longer available.", "start_time")
    state.cancel(old_event, reason="Rescheduled", canceler_type="invitee", canceled_by=old["name"])
    new = state.book(event_type, start, old, method=None)
    new["old_invitee"] = old["uri"]
    old.update(rescheduled=True, new_invitee=new["uri"])
    handler.server.deliver(state, "invitee.canceled", old)
    handler.server.deliver(state, "invitee.created", new)
    return _resource(201, new)


@route("POST", r"/_sandbox/no_show", CONTROL)
def control_no_show(handler: SandboxHandler, request: Request) -> tuple:
    """Mark (or with ``remove: true`` unmark) an invitee as a no-show."""
    state = handler.state
    body = _object_body(request)
    invitee = state.invitee(body.get("invitee"))
    now = _iso(datetime.now(UTC))
    if body.get("remove"):
        if not invitee["no_show"]:
            raise _invalid("The invitee is not marked as a no-show", "invitee")
        invitee.update(no_show=None, updated_at=now)
        handler.server.deliver(state, "invitee_no_show.deleted", invitee)
    else:
        no_show = {"uri": state.uri("invitee_no_shows", _new_uuid()), "created_at": now}
        invitee.update(no_show=no_show, updated_at=now)
        handler.server.deliver(state, "invitee_no_show.created", invitee)
    return _resource(200, invitee)


@route("GET", r"/_sandbox/state", CONTROL)
def control_state(handler: SandboxHandler, request: Request) -> tuple:
    return 200, handler.state.snapshot()


@route("POST", r"/_sandbox/subscriptions/([^/]+)/disable", CONTROL)
def control_disable(handler: SandboxHandler, request: Request) -> tuple:
    """As Calendly does after 24 hours of failed deliveries."""
    subscription = handler.state.subscriptions.get(request.match.group(1))
    if subscription is None:
        raise _not_found()
    now = _iso(datetime.now(UTC))
    subscription.update(state="disabled", retry_started_at=now, updated_at=now)
    return _resource(200, subscription)


@route("POST", r"/_sandbox/config", CONTROL)
def control_config(handler: SandboxHandler, request: Request) -> tuple:
    """``{scopes: [...] | null, scheduling_api: bool, max_window_days: int,
    oauth_client_id, oauth_client_secret, availability: [iso start, ...] | null,
    sync_deliveries: bool}``; keys left out stay as they are.

    ``availability`` makes exactly those starts free (any day, any hour; bookings still take
    them), ``null`` goes back to weekday office hours. ``sync_deliveries`` sends each webhook
    before the answer to the call that caused it."""
    state = handler.state
    body = _object_body(request)
    if "availability" in body:
        state.availability = _availability(body["availability"])
    if "sync_deliveries" in body:
        state.sync_deliveries = bool(body["sync_deliveries"])
    if "scopes" in body:
        state.scopes = None if body["scopes"] is None else set(body["scopes"])
    if "scheduling_api" in body:
        state.scheduling_api = bool(body["scheduling_api"])
    if "max_window_days" in body:
        state.max_window_days = _int_param(body["max_window_days"], "max_window_days")
    for key in ("oauth_client_id", "oauth_client_secret"):
        if key in body:
            setattr(state, key, body[key])
    snapshot = state.snapshot()
    keys = ("scopes", "scheduling_api", "max_window_days", "availability", "sync_deliveries")
    return 200, {key: snapshot[key] for key in keys}


def _availability(value: Any) -> list[datetime] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise _invalid("availability is a list of start times, or null", "availability")
    starts = [
        _parse_time(item.get("start_time") if isinstance(item, dict) else item, "availability")
        for item in value
    ]
    return sorted(set(starts))


@route("POST", r"/_sandbox/reset", CONTROL)
def control_reset(handler: SandboxHandler, request: Request) -> tuple:
    """Forget everything (bookings, subscriptions, links, failures, config): a fresh sandbox at
    the same address, so one server can serve many tests."""
    handler.server.reset()
    return 200, {"reset": True}


@route("POST", r"/_sandbox/fail", CONTROL)
def control_fail(handler: SandboxHandler, request: Request) -> tuple:
    """The next ``times`` calls to ``method`` + ``path`` (a regex) answer ``status`` with
    ``headers`` and ``body``; or, with ``status`` 0 and a ``delay``, do the work and answer late;
    or, with ``perform: true`` and a status, do the work and answer that status anyway."""
    body = _object_body(request)
    status = _int_param(body.get("status", 0), "status")
    failure = Failure(
        method=str(body.get("method", "GET")).upper(),
        path=str(body.get("path", "")),
        status=status,
        times=_int_param(body.get("times", 1), "times"),
        headers={str(k): str(v) for k, v in (body.get("headers") or {}).items()},
        body=body.get("body")
        or (
            {"title": HTTPStatus(status).phrase, "message": "Injected by the sandbox."}
            if status
            else None
        ),
        delay=float(body.get("delay", 0)),
        perform=bool(body.get("perform", False)),
    )
    handler.state.failures.append(failure)
    return 201, {"queued": len(handler.state.failures)}


# Input checks


def _object_body(request: Request) -> dict:
    if not isinstance(request.body, dict):
        raise _invalid("The body must be a JSON object.")
    return request.body


def _invitee_input(data: Any) -> dict:
    if not isinstance(data, dict):
        raise _invalid("invitee is required", "invitee")
    email = data.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise _invalid("invitee.email is required", "invitee.email")
    first, last = data.get("first_name"), data.get("last_name")
    name = data.get("name") or (f"{first} {last}" if first and last else None)
    if not name:
        raise _invalid("invitee.name or first_name and last_name are required", "invitee.name")
    if not data.get("timezone"):
        raise _invalid("invitee.timezone is required", "invitee.timezone")
    try:
        ZoneInfo(data["timezone"])
    except (ValueError, KeyError):
        raise _invalid("invitee.timezone is not a time zone", "invitee.timezone") from None
    return {
        "email": email,
        "name": name,
        "first_name": first,
        "last_name": last,
        "timezone": data["timezone"],
        "text_reminder_number": data.get("text_reminder_number"),
    }


def _answers(event_type: dict, value: Any) -> list:
    questions = {q["name"]: q for q in event_type["custom_questions"] if q["enabled"]}
    answers = value if isinstance(value, list) else []
    found = []
    for position, item in enumerate(answers):
        if not isinstance(item, dict) or item.get("question") not in questions:
            raise _invalid(
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
        raise _invalid(
            f"A required question is not answered: {missing[0]}", "questions_and_answers"
        )
    return found


def _tracking(value: Any) -> dict:
    value = value if isinstance(value, dict) else {}
    keys = ("utm_campaign", "utm_source", "utm_medium", "utm_content", "utm_term")
    tracking = {key: value.get(key) if isinstance(value.get(key), str) else None for key in keys}
    tracking["salesforce_uuid"] = None
    return tracking


def _first_free(state: SandboxState, event_type: dict) -> datetime:
    start = datetime.now(UTC) + timedelta(minutes=1)
    found = state.available_starts(event_type, start, start + timedelta(days=14))
    if not found:
        raise _invalid("No free time in the next two weeks", "start_time")
    return found[0]


# The server and its webhook deliveries


class SandboxServer(ThreadingHTTPServer):
    """The HTTP server plus a thread that sends webhook deliveries one after another."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, *, token: str, signing_key: str | None, max_window_days: int):
        super().__init__(address, SandboxHandler)
        host, port = self.server_address[:2]
        self.base_url = f"http://{host}:{port}"
        self.state = SandboxState(
            self.base_url, token, signing_key=signing_key, max_window_days=max_window_days
        )
        self._outbox: queue.Queue = queue.Queue()
        self._local = threading.local()
        self._worker = threading.Thread(target=self._send_deliveries, daemon=True)
        self._worker.start()
        self._serving: threading.Thread | None = None

    def deliver(self, state: SandboxState, name: str, invitee: dict) -> None:
        """Queue ``name`` about ``invitee`` for every subscription that wants it (or, with
        ``sync_deliveries``, hold it until the handler is done, to send before answering)."""
        body = state.webhook_body(name, invitee)
        held = getattr(self._local, "held", None)
        for url, key in state.targets(name):
            item = (name, url, key or state.signing_key, body)
            if state.sync_deliveries and held is not None:
                held.append(item)
            else:
                self._outbox.put(item)

    def hold_deliveries(self) -> None:
        self._local.held = []

    def send_held_deliveries(self) -> None:
        held, self._local.held = getattr(self._local, "held", None) or [], None
        for item in held:
            self._send_one(*item)

    def reset(self) -> None:
        old = self.state
        with old.lock:
            self.state = SandboxState(
                self.base_url,
                old.token,
                signing_key=old.signing_key,
                max_window_days=old.max_window_days,
            )

    def wait_for_deliveries(self, timeout: float = 5.0) -> bool:
        """True once every queued delivery has been attempted."""
        deadline = time.monotonic() + timeout
        while self._outbox.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)
        return not self._outbox.unfinished_tasks

    def _send_deliveries(self) -> None:
        while True:
            item = self._outbox.get()
            try:
                if item is None:
                    return
                self._send_one(*item)
            finally:
                self._outbox.task_done()

    def _send_one(self, name: str, url: str, key: str | None, body: bytes) -> None:
        headers = {"Content-Type": "application/json", "User-Agent": "Calendly-Sandbox"}
        if key:
            headers[SIGNATURE_HEADER] = sign(body, key, int(time.time()))
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=DELIVERY_TIMEOUT) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except (OSError, ValueError) as exc:
            status = None
            logger.warning("sandbox: delivery of %s to %s failed: %s", name, url, exc)
        with self.state.lock:
            self.state.deliveries.append(
                {
                    "event": name,
                    "url": url,
                    "status": status,
                    "signed": bool(key),
                    "at": _iso(datetime.now(UTC)),
                }
            )

    def start(self) -> None:
        self._serving = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._serving.start()

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        self._outbox.put(None)
        self._worker.join(timeout=DELIVERY_TIMEOUT + 1)


def start_sandbox(
    port: int = 0,
    token: str = DEFAULT_TOKEN,
    *,
    host: str = "127.0.0.1",
    signing_key: str | None = None,
    max_window_days: int = 7,
) -> tuple[SandboxServer, str]:
    """Start the sandbox in a background thread; returns it and its base URL (stop it with
    ``server.stop()``). ``signing_key`` signs deliveries of subscriptions created without one
    (as the OAuth app's key does); ``max_window_days`` is the availability window limit."""
    server = SandboxServer(
        (host, port), token=token, signing_key=signing_key, max_window_days=max_window_days
    )
    server.start()
    return server, server.base_url


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A fake Calendly API v2 in memory.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--signing-key", default=None, help="signs subscriptions without a key")
    parser.add_argument("--max-window-days", type=int, default=7)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    server = SandboxServer(
        (args.host, args.port),
        token=args.token,
        signing_key=args.signing_key,
        max_window_days=args.max_window_days,
    )
    print(f"Calendly sandbox at {server.base_url}", flush=True)
    print(f"token: {args.token}", flush=True)
    print(f"CALENDLY_API_BASE={server.base_url} CALENDLY_AUTH_BASE={server.base_url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
