"""Everything the fake Calendly knows, in memory, and what changes it.

Availability: weekdays 09:00-17:00 in the user's zone, a start every 30 minutes, less the times
already booked (or, once configured, exactly a given list of starts, less bookings).
"""

from __future__ import annotations

import copy
import json
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from typing import Any
from zoneinfo import ZoneInfo

from . import records
from .errors import invalid, not_found, permission_denied
from .inputs import parse_time
from .organization import Organization
from .records import USER_SLUG, USER_UUID, iso, last_segment, new_uuid, now_iso

WORK_START, WORK_END = clock(9, 0), clock(17, 0)
SLOT_STEP = timedelta(minutes=30)


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
    """The sandbox's data. Callers hold ``lock`` around anything they read or change."""

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
        self.link_uses: dict[str, int] = {}  # booking_url -> bookings left through it
        self.deliveries: list[dict] = []
        self.requests: list[dict] = []  # every API call: method, path, status (not controls)
        # Exactly these starts are free (less bookings) instead of weekday office hours.
        self.availability: list[datetime] | None = None
        # Send webhook deliveries before answering the call that caused them (a webhook that
        # overtakes the API answer), instead of from the background thread afterwards.
        self.sync_deliveries = False
        self.user = records.user(
            base_url, USER_UUID, "Casey Closer", USER_SLUG, "closer@agency.example"
        )
        self.org = Organization(base_url, self.user)
        self.organization = self.org.uri
        profile = {"type": "User", "name": "Casey Closer", "owner": self.user["uri"]}
        self.event_types = {
            spec[0]: records.event_type(base_url, {**profile, "slug": USER_SLUG}, spec)
            for spec in records.USER_EVENT_TYPES
        }
        for event_type in self.event_types.values():
            self.org.hosts[event_type["uri"]] = [self.user]
        self.event_types.update(self.org.team_event_types())

    def uri(self, kind: str, uuid: str) -> str:
        return f"{self.base_url}/{kind}/{uuid}"

    # Looking things up

    def event_type(self, uri_or_slug: Any) -> dict:
        key = last_segment(uri_or_slug or "")
        for event_type in self.event_types.values():
            if key in (last_segment(event_type["uri"]), event_type["slug"]):
                return event_type
        raise invalid("event_type does not name an event type of this organization", "event_type")

    def event_type_at(self, path: str) -> dict | None:
        """The event type whose booking page (``scheduling_url``) is at ``path``."""
        url = f"{self.base_url}{path.rstrip('/')}"
        return next((e for e in self.event_types.values() if e["scheduling_url"] == url), None)

    def host_zone(self, event_type: dict) -> str:
        """The zone the booking page shows times in: the first host's (every host's, here)."""
        return self.org.hosts[event_type["uri"]][0]["timezone"]

    def invitee(self, uri: Any) -> dict:
        invitee = self.invitees.get(last_segment(uri or ""))
        if invitee is None:
            raise not_found()
        return invitee

    def event_of(self, invitee: dict) -> dict:
        return self.events[last_segment(invitee["event"])]

    # Availability

    def available_starts(self, event_type: dict, start: datetime, end: datetime) -> list[datetime]:
        if not event_type["active"]:
            return []
        length = timedelta(minutes=event_type["duration"])
        earliest = max(start, datetime.now(UTC))
        candidates = (
            self.availability
            if self.availability is not None
            else _office_starts(start, end, ZoneInfo(self.host_zone(event_type)), length)
        )
        return [
            moment
            for moment in candidates
            if earliest <= moment < end and self._bookable(event_type, moment, length)
        ]

    def _bookable(self, event_type: dict, moment: datetime, length: timedelta) -> bool:
        if self._open_group_event(event_type, moment) is not None:
            return True
        free = self.free_hosts(event_type, moment, length)
        if event_type["pooling_type"] == "collective":  # every host attends
            return len(free) == len(self.org.hosts[event_type["uri"]])
        return bool(free)

    def free_hosts(self, event_type: dict, moment: datetime, length: timedelta) -> list[dict]:
        return [
            person
            for person in self.org.hosts[event_type["uri"]]
            if not any(
                moment < parse_time(e["end_time"], "end_time")
                and moment + length > parse_time(e["start_time"], "start_time")
                for e in self._hosted_by(person)
            )
        ]

    def _hosted_by(self, person: dict) -> list[dict]:
        return [
            event
            for event in self.events.values()
            if event["status"] == "active"
            and any(m["user"] == person["uri"] for m in event["event_memberships"])
        ]

    def _open_group_event(self, event_type: dict, start: datetime) -> dict | None:
        """The group event at ``start`` that still has room for another invitee."""
        return next(
            (
                event
                for event in self.events.values()
                if event["event_type"] == event_type["uri"]
                and event["status"] == "active"
                and event["start_time"] == iso(start)
                and event["invitees_counter"]["active"] < event["invitees_counter"]["limit"]
            ),
            None,
        )

    def is_free(self, event_type: dict, start: datetime) -> bool:
        return start in self.available_starts(event_type, start, start + timedelta(seconds=1))

    def first_free(self, event_type: dict) -> datetime:
        start = datetime.now(UTC) + timedelta(minutes=1)
        found = self.available_starts(event_type, start, start + timedelta(days=14))
        if not found:
            raise invalid("No free time in the next two weeks", "start_time")
        return found[0]

    # Writes

    def book(self, event_type: dict, start: datetime, person: dict, *, method: str | None) -> dict:
        """Make the invitee (joining an open group event, or in a new scheduled event); the
        caller has checked everything."""
        event = self._open_group_event(event_type, start)
        if event is None:
            event = self._new_event(event_type, start)
        else:
            event["invitees_counter"]["total"] += 1
            event["invitees_counter"]["active"] += 1
        invitee_uuid = new_uuid()
        record = records.invitee(self.base_url, event, invitee_uuid, person, method)
        self.invitees[invitee_uuid] = record
        return record

    def _new_event(self, event_type: dict, start: datetime) -> dict:
        """A scheduled event whose hosts Calendly picks: the next free one in turn on a round
        robin, every host otherwise."""
        hosts = self.org.hosts[event_type["uri"]]
        if event_type["pooling_type"] == "round_robin":
            length = timedelta(minutes=event_type["duration"])
            hosts = [self.org.take_turn(event_type, self.free_hosts(event_type, start, length))]
        event_uuid = new_uuid()
        event_uri = self.uri("scheduled_events", event_uuid)
        event = records.scheduled_event(event_uri, event_type, start, hosts)
        self.events[event_uuid] = event
        return event

    def cancel(self, event: dict, *, reason: str, canceler_type: str, canceled_by: str) -> list:
        """Cancel the event and its active invitees; the invitees canceled are returned."""
        if event["status"] == "canceled":
            raise permission_denied("Event is already canceled.")
        now = now_iso()
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

    def cancel_invitee(self, invitee: dict, *, reason: str, canceler_type: str, canceled_by: str):
        """The invitee's own cancellation: a group event goes on for the others; any other
        event is canceled. The invitees canceled are returned."""
        event = self.event_of(invitee)
        if event["status"] == "active" and event["invitees_counter"]["active"] > 1:
            if invitee["status"] != "active":
                raise invalid("The invitee is canceled", "invitee")
            now = now_iso()
            cancellation = {
                "canceled_by": canceled_by,
                "reason": reason or None,
                "canceler_type": canceler_type,
                "created_at": now,
            }
            invitee.update(status="canceled", cancellation=cancellation, updated_at=now)
            event["invitees_counter"]["active"] -= 1
            return [invitee]
        return self.cancel(
            event, reason=reason, canceler_type=canceler_type, canceled_by=canceled_by
        )

    def reassign(self, event: dict, person: dict) -> None:
        """Another member hosts the event now (a round robin's reassignment)."""
        event.update(event_memberships=[records.host(person)], updated_at=now_iso())

    def reschedule(self, old: dict, start: datetime) -> dict:
        """The invitee moves to ``start``: the old booking is canceled (rescheduled) and a new
        one made; the new invitee is returned (send the old one's cancel, then its create)."""
        if old["status"] != "active":
            raise invalid("The invitee is canceled", "invitee")
        old_event = self.event_of(old)
        event_type = self.event_type(old_event["event_type"])
        if not self.is_free(event_type, start):
            raise invalid("The selected time is no longer available.", "start_time")
        self.cancel_invitee(
            old, reason="Rescheduled", canceler_type="invitee", canceled_by=old["name"]
        )
        new = self.book(event_type, start, old, method=None)
        new["old_invitee"] = old["uri"]
        old.update(rescheduled=True, new_invitee=new["uri"])
        return new

    # Webhooks and failures

    def webhook_body(self, name: str, invitee: dict) -> bytes:
        payload = copy.deepcopy(invitee)
        payload["scheduled_event"] = copy.deepcopy(self.event_of(invitee))
        envelope = {
            "created_at": now_iso(),
            "created_by": self.user["uri"],
            "event": name,
            "payload": payload,
        }
        return json.dumps(envelope).encode()

    def targets(self, name: str, invitee: dict) -> list[tuple[str, str | None]]:
        """(callback URL, signing key) of every active subscription to ``name`` that sees
        ``invitee``'s event: an organization's sees every event, a user's those it hosts."""
        hosts = {m["user"] for m in self.event_of(invitee)["event_memberships"]}
        return [
            (sub["callback_url"], self.subscription_keys.get(last_segment(sub["uri"])))
            for sub in self.subscriptions.values()
            if sub["state"] == "active"
            and name in sub["events"]
            and (sub["scope"] == "organization" or sub["user"] in hosts)
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
            {**sub, "has_signing_key": bool(self.subscription_keys.get(last_segment(sub["uri"])))}
            for sub in self.subscriptions.values()
        ]
        return {
            "user": self.user,
            "organization": self.organization,
            "organization_memberships": self.org.memberships(),
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
            else [iso(moment) for moment in self.availability],
            "sync_deliveries": self.sync_deliveries,
            "requests": self.requests,
        }


def _office_starts(start: datetime, end: datetime, zone: ZoneInfo, length: timedelta) -> list:
    found = []
    day = start.astimezone(zone).date()
    while day <= end.astimezone(zone).date():
        found += _day_starts(day, zone, length)
        day += timedelta(days=1)
    return found


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
