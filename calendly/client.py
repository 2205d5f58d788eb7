"""The Calendly API v2 client: one token, Calendly's endpoints, typed answers.

Request URLs are always the configured base (``settings.CALENDLY_API_BASE``) plus a path; a
resource URI handed to a method only gives its last segment (the UUID), so a URI from a webhook
can never send the token to another host or endpoint. Retries, timeouts and safe errors are the
shared transport's (``integrations.http``); which calls may be retried, and how Calendly's
refusals read, is ``calendly.dialect``. The OAuth token calls are in ``calendly.oauth``.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
from django.conf import settings

from followups.errors import ProviderBadRequest, ProviderPermissionError
from integrations.http import DEFAULT_TIMEOUT, Closing, ProviderHttp
from integrations.providers import Slot
from integrations.responses import ResponseShapeError, parse_time

from .dialect import BOOKING, PROBE, READ, SAFE_WRITE, CalendlyDialect
from .types import (
    EventType,
    Invitee,
    Membership,
    ScheduledEvent,
    SchedulingLink,
    User,
    WebhookSubscription,
    uuid_of,
)

logger = logging.getLogger(__name__)

PAGE_SIZE = 100  # Calendly's most per page
MAX_PAGES = 200  # a loop guard, far above any real account
AVAILABILITY_CHUNK = timedelta(days=7)  # the old limit; the new one (31 days) allows it too
AVAILABILITY_LEAD = timedelta(minutes=1)  # Calendly wants a start in the future
WEBHOOK_SCOPES = ("user", "organization", "group")
_SEGMENT = re.compile(r"[A-Za-z0-9_-]{1,100}")

# Where an empty POST finds out whether a write scope is granted (see ``may_write``).
WRITE_PROBES = {
    "scheduled_events:write": "/invitees",
    "scheduling_links:write": "/scheduling_links",
}


class CalendlyClient(Closing):
    """Calls made with one Calendly token (a personal access token or an OAuth access token)."""

    def __init__(
        self,
        token: str,
        *,
        base_url: str | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ):
        if not token:
            raise ValueError("CalendlyClient needs a token")
        self._http = ProviderHttp(
            CalendlyDialect(),
            base_url=base_url or settings.CALENDLY_API_BASE,
            token=token,
            timeout=timeout,
            sleep=sleep,
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"<CalendlyClient base={self._http.base_url}>"

    # Users and event types

    def me(self) -> User:
        return self._resource(User.from_api, "GET", "/users/me", action="read the connected user")

    def event_types(
        self, user: str | None = None, organization: str | None = None, active: bool | None = None
    ) -> list[EventType]:
        """Every event type of a user or an organization (all pages)."""
        params = _owner(user=user, organization=organization)
        if active is not None:
            params["active"] = "true" if active else "false"
        items = self._collect("/event_types", params=params, action="list event types")
        return self._http.parse_each(EventType.from_api, items, what="event type")

    def organization_memberships(
        self, *, organization: str, user: str | None = None
    ) -> list[Membership]:
        """The organization's members with their roles (only ``user``'s when given)."""
        params = {"organization": organization}
        if user:
            params["user"] = user
        items = self._collect(
            "/organization_memberships", params=params, action="read organization memberships"
        )
        return self._http.parse_each(Membership.from_api, items, what="organization membership")

    def available_times(self, event_type: str, start: datetime, end: datetime) -> list[Slot]:
        """Free start times in ``[start, end)``, sorted, in UTC.

        The window is asked for a week at a time, which both the old 7-day and the current
        31-day limit accept. A start in the past is moved to just after now.
        """
        _require_aware(start, end)
        start = max(start, datetime.now(UTC) + AVAILABILITY_LEAD)
        found: set[datetime] = set()
        for chunk_start, chunk_end in _chunks(start, end, AVAILABILITY_CHUNK):
            body = self._get(
                "/event_type_available_times",
                action="read available times",
                params={
                    "event_type": event_type,
                    "start_time": _iso(chunk_start),
                    "end_time": _iso(chunk_end),
                },
            )
            found.update(_available_starts(self._collection(body, action="read available times")))
        return [Slot(start=moment) for moment in sorted(found) if start <= moment < end]

    # Booking

    def create_invitee(
        self,
        event_type: str,
        start_time: datetime,
        *,
        email: str,
        timezone: str,
        name: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        location: Mapping[str, str] | None = None,
        questions_and_answers: Iterable[tuple[str, str]] | None = None,
        tracking: Mapping[str, str] | None = None,
        utm_content: str | None = None,
        text_reminder_number: str | None = None,
    ) -> Invitee:
        """Book ``start_time`` for an invitee through the Scheduling API.

        Needs ``name`` or both ``first_name`` and ``last_name``. ``location`` is
        ``{"kind": ..., "location": ...}`` when the event type needs one;
        ``questions_and_answers`` pairs must use the event type's question text exactly.
        ``utm_content`` is a shortcut for ``tracking={"utm_content": ...}``. Never retried: see
        ``calendly.dialect`` for what a 429, a 5xx or a timeout mean here.
        """
        _require_aware(start_time)
        if not email:
            raise ValueError("create_invitee needs the invitee's e-mail")
        if not name and not (first_name and last_name):
            raise ValueError("create_invitee needs a name, or a first and a last name")
        invitee = {"email": email, "timezone": timezone}
        if name:
            invitee["name"] = name
        if first_name and last_name:
            invitee.update(first_name=first_name, last_name=last_name)
        if text_reminder_number:
            invitee["text_reminder_number"] = text_reminder_number
        payload: dict[str, Any] = {
            "event_type": event_type,
            "start_time": _iso(start_time),
            "invitee": invitee,
        }
        if location:
            payload["location"] = dict(location)
        answers = [
            {"question": question, "answer": answer, "position": position}
            for position, (question, answer) in enumerate(questions_and_answers or ())
        ]
        if answers:
            payload["questions_and_answers"] = answers
        utm = {key: value for key, value in (tracking or {}).items() if value}
        if utm_content:
            utm["utm_content"] = utm_content
        if utm:
            payload["tracking"] = utm
        body = self._http.request(
            "POST", "/invitees", action="book the invitee", policy=BOOKING, json=payload
        )
        return self._http.parse(
            Invitee.from_api, body.get("resource", body), action="book the invitee", written=True
        )

    def create_scheduling_link(
        self, event_type: str, *, max_event_count: int = 1
    ) -> SchedulingLink:
        """A booking link for ``event_type`` that works ``max_event_count`` times (default once)."""
        return self._resource(
            SchedulingLink.from_api,
            "POST",
            "/scheduling_links",
            action="create a scheduling link",
            policy=SAFE_WRITE,
            json={
                "max_event_count": max_event_count,
                "owner": event_type,
                "owner_type": "EventType",
            },
        )

    # Scheduled events

    def scheduled_events(
        self,
        user: str | None = None,
        organization: str | None = None,
        *,
        invitee_email: str | None = None,
        status: str | None = None,
        min_start_time: datetime | None = None,
        max_start_time: datetime | None = None,
        sort: str | None = None,
    ) -> list[ScheduledEvent]:
        """Scheduled events of a user or an organization (all pages), filtered as asked."""
        params = _owner(user=user, organization=organization)
        if status is not None and status not in ("active", "canceled"):
            raise ValueError("status is 'active' or 'canceled'")
        filters = {
            "invitee_email": invitee_email,
            "status": status,
            "min_start_time": _iso(min_start_time) if min_start_time else None,
            "max_start_time": _iso(max_start_time) if max_start_time else None,
            "sort": sort,
        }
        params.update({key: value for key, value in filters.items() if value})
        items = self._collect("/scheduled_events", params=params, action="list scheduled events")
        return self._http.parse_each(ScheduledEvent.from_api, items, what="scheduled event")

    def scheduled_event(self, uuid_or_uri: str) -> ScheduledEvent:
        path = f"/scheduled_events/{_segment(uuid_or_uri)}"
        return self._resource(
            ScheduledEvent.from_api, "GET", path, action="read the scheduled event"
        )

    def event_invitees(self, event: str) -> list[Invitee]:
        """Every invitee of a scheduled event (URI or UUID), canceled ones included."""
        items = self._collect(
            f"/scheduled_events/{_segment(event)}/invitees", params={}, action="list invitees"
        )
        return self._http.parse_each(Invitee.from_api, items, what="invitee")

    def cancel_event(self, event: str, reason: str = "") -> None:
        """Cancel a scheduled event (URI or UUID) as its host."""
        self._http.request(
            "POST",
            f"/scheduled_events/{_segment(event)}/cancellation",
            action="cancel the event",
            policy=SAFE_WRITE,
            json={"reason": reason} if reason else {},
        )

    # Webhook subscriptions

    def create_webhook_subscription(
        self,
        url: str,
        events: Sequence[str],
        organization: str,
        scope: str,
        user: str | None = None,
        signing_key: str | None = None,
        group: str | None = None,
    ) -> WebhookSubscription:
        """Subscribe ``url`` to ``events``. A second subscription for the same URL and scope
        raises ``CalendlyConflict``. The signing key is sent, never returned: keep it."""
        _check_scope(scope, user=user, organization=organization)
        if not events:
            raise ValueError("a webhook subscription needs at least one event")
        payload: dict[str, Any] = {
            "url": url,
            "events": list(events),
            "organization": organization,
            "scope": scope,
        }
        optional = {"user": user, "group": group, "signing_key": signing_key}
        payload.update({key: value for key, value in optional.items() if value})
        # A repeat after a lost answer meets a 409 rather than making a second subscription.
        return self._resource(
            WebhookSubscription.from_api,
            "POST",
            "/webhook_subscriptions",
            action="create the webhook subscription",
            policy=SAFE_WRITE,
            json=payload,
        )

    def list_webhook_subscriptions(
        self, organization: str, scope: str, user: str | None = None
    ) -> list[WebhookSubscription]:
        _check_scope(scope, user=user, organization=organization)
        params = {"organization": organization, "scope": scope}
        if user:
            params["user"] = user
        items = self._collect(
            "/webhook_subscriptions", params=params, action="list webhook subscriptions"
        )
        return self._http.parse_each(
            WebhookSubscription.from_api, items, what="webhook subscription"
        )

    def get_webhook_subscription(self, uri: str) -> WebhookSubscription:
        path = f"/webhook_subscriptions/{_segment(uri)}"
        return self._resource(
            WebhookSubscription.from_api, "GET", path, action="read the webhook subscription"
        )

    def delete_webhook_subscription(self, uri: str) -> bool:
        """True once deleted, False if Calendly no longer had it (already deleted)."""
        try:
            self._http.request(
                "DELETE",
                f"/webhook_subscriptions/{_segment(uri)}",
                action="delete the webhook subscription",
                policy=READ,
            )
        except ProviderBadRequest as exc:
            if exc.status == 404:
                return False
            raise
        return True

    # Scopes

    def may_write(self, scope: str) -> bool:
        """Whether the token holds a write scope, found out without writing anything.

        No endpoint lists a token's scopes, so an empty body is sent where the scope is needed:
        Calendly checks the scope first (403 naming it when missing) and only then refuses the
        body (400), so nothing can be created. A 403 that names no scope (the plan lacks the
        feature) says nothing about the scope and reads as granted."""
        path = WRITE_PROBES.get(scope)
        if path is None:
            raise ValueError(f"no way to check {scope} without writing")
        try:
            self._http.request(
                "POST", path, action=f"check the {scope} scope", policy=PROBE, json={}
            )
        except ProviderPermissionError as exc:
            return scope not in exc.missing_scopes
        except ProviderBadRequest:
            return True
        return True

    # Answers and pages

    def _resource(self, parser, method: str, path: str, *, action: str, policy=READ, json=None):
        """The one resource Calendly wraps an answer in (``{"resource": ...}``), parsed."""
        body = self._http.request(method, path, action=action, policy=policy, json=json)
        return self._http.parse(parser, body.get("resource"), action=action)

    def _get(self, path: str, *, action: str, params: dict | None = None) -> dict[str, Any]:
        return self._http.request("GET", path, action=action, policy=READ, params=params)

    def _collect(self, path: str, *, params: dict, action: str) -> list[Any]:
        items: list[Any] = []
        for page in self._pages(path, params=params, action=action):
            items.extend(page)
        return items

    def _pages(self, path: str, *, params: dict, action: str) -> Iterator[list[Any]]:
        token = None
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            page_params = {**params, "count": PAGE_SIZE}
            if token:
                page_params["page_token"] = token
            body = self._get(path, action=action, params=page_params)
            yield self._collection(body, action=action)
            token = _next_page_token(body)
            if not token or token in seen:
                return
            seen.add(token)
        logger.warning("Calendly %s stopped after %d pages", path, MAX_PAGES)

    def _collection(self, body: dict[str, Any], *, action: str) -> list[Any]:
        collection = body.get("collection")
        if not isinstance(collection, list):
            raise self._http.unexpected(action)
        return collection


# Helpers


def _owner(*, user: str | None, organization: str | None) -> dict[str, str]:
    if bool(user) == bool(organization):
        raise ValueError("give exactly one of user or organization")
    return {"user": user} if user else {"organization": organization}


def _check_scope(scope: str, *, user: str | None, organization: str) -> None:
    if scope not in WEBHOOK_SCOPES:
        raise ValueError(f"scope must be one of {WEBHOOK_SCOPES}")
    if not organization:
        raise ValueError("organization is always required for webhook subscriptions")
    if scope == "user" and not user:
        raise ValueError("a user-scope webhook subscription needs the user")


def _segment(uri_or_uuid: str) -> str:
    """A resource's UUID as one URL path segment, whatever URI it came in."""
    if not uri_or_uuid:
        raise ValueError("a Calendly URI or UUID is required")
    uuid = uuid_of(uri_or_uuid)
    if not _SEGMENT.fullmatch(uuid):
        raise ValueError("not a Calendly URI or UUID")
    return quote(uuid, safe="")


def _require_aware(*moments: datetime) -> None:
    if any(moment.tzinfo is None or moment.utcoffset() is None for moment in moments):
        raise ValueError("Calendly times must be timezone-aware")


def _iso(moment: datetime) -> str:
    _require_aware(moment)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _chunks(start: datetime, end: datetime, size: timedelta) -> Iterator[tuple[datetime, datetime]]:
    cursor = start
    while cursor < end:
        chunk_end = min(cursor + size, end)
        yield cursor, chunk_end
        cursor = chunk_end


def _available_starts(collection: list[Any]) -> Iterator[datetime]:
    for item in collection:
        if not isinstance(item, dict) or item.get("status", "available") != "available":
            continue
        try:
            yield parse_time(item.get("start_time"), field="start_time")
        except ResponseShapeError:
            logger.warning("Calendly available time unreadable, skipped")


def _next_page_token(body: dict[str, Any]) -> str | None:
    pagination = body.get("pagination")
    if not isinstance(pagination, dict):
        return None
    token = pagination.get("next_page_token")
    return token if isinstance(token, str) and token else None
