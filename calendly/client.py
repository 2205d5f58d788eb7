"""The Calendly API v2 client: one token, typed answers, errors as types.

Request URLs are always the configured base (``settings.CALENDLY_API_BASE``) plus a path; a
resource URI handed to a method only gives its last segment (the UUID), so a URI from a webhook
can never send the token to another host or endpoint. Failures become ``followups.errors``
types whose messages come from Calendly's ``title``/``message``/``details``, never the token.

Retries, by kind of call:

- reads (GET) and DELETE: a 429 waits for ``X-RateLimit-Reset`` (seconds) while that fits a small
  budget, then raises ``ProviderRateLimited``; a 5xx or a network failure is retried with
  exponential back-off and jitter, then raises ``ProviderUnavailable``.
- writes that are safe to repeat (a scheduling link, a webhook subscription, a cancellation):
  the same, but a 5xx or a failure after sending is retried once only.
- booking (``POST /invitees``) has no idempotency key and its own low rate limit: nothing is
  retried. A 429 raises ``ProviderRateLimited`` at once (send the lead a link instead); a 5xx or a
  timeout raises ``ProviderUnavailable(outcome_unknown=True)``: look the booking up (scheduled
  events by the invitee's e-mail around that start) before trying again.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from followups.errors import (
    ProviderAuthError,
    ProviderBadRequest,
    ProviderError,
    ProviderPermissionError,
    ProviderRateLimited,
    ProviderUnavailable,
    SlotTaken,
)
from integrations.providers import Slot

from .types import (
    EventType,
    Invitee,
    OAuthTokens,
    ResponseShapeError,
    ScheduledEvent,
    SchedulingLink,
    User,
    WebhookSubscription,
    parse_time,
    uuid_of,
)

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(20.0, connect=5.0)
PAGE_SIZE = 100  # Calendly's most per page
MAX_PAGES = 200  # a loop guard, far above any real account
MAX_RATE_WAIT = 10.0  # seconds; a longer X-RateLimit-Reset is handed to the caller, not slept
SLEEP_BUDGET = 20.0  # seconds slept per call, in total
BACKOFF_BASE = 0.5
AVAILABILITY_CHUNK = timedelta(days=7)  # the old limit; the new one (31 days) allows it too
AVAILABILITY_LEAD = timedelta(minutes=1)  # Calendly wants a start in the future
WEBHOOK_SCOPES = ("user", "organization", "group")
_SCOPE = re.compile(r"\b[a-z][a-z_]*:(?:read|write)\b")
_SEGMENT = re.compile(r"[A-Za-z0-9_-]{1,100}")
_SLOT_TAKEN_WORDS = (
    "no longer available",
    "not available",
    "unavailable",
    "already booked",
    "already taken",
    "is taken",
)


class CalendlyConflict(ProviderBadRequest):
    """HTTP 409: the thing already exists, e.g. "Hook with this url already exists" when a
    webhook subscription for the same URL and scope is created twice (list, then reuse it or
    delete and recreate)."""


@dataclass(frozen=True)
class _Kind:
    """How a call may be retried. ``attempts`` counts the first one."""

    attempts: int
    wait_on_rate_limit: bool
    outcome_unknown_on_failure: bool  # a write that may have happened if it failed after sending


READ = _Kind(attempts=3, wait_on_rate_limit=True, outcome_unknown_on_failure=False)
SAFE_WRITE = _Kind(attempts=2, wait_on_rate_limit=True, outcome_unknown_on_failure=False)
BOOKING = _Kind(attempts=1, wait_on_rate_limit=False, outcome_unknown_on_failure=True)
PROBE = _Kind(attempts=2, wait_on_rate_limit=True, outcome_unknown_on_failure=False)

# Where an empty POST finds out whether a write scope is granted (see ``may_write``).
WRITE_PROBES = {
    "scheduled_events:write": "/invitees",
    "scheduling_links:write": "/scheduling_links",
}

# Raised before a byte left this machine: nothing happened at Calendly.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass(frozen=True)
class _Call:
    method: str
    path: str
    action: str
    kind: _Kind
    attempt: int

    @property
    def last(self) -> bool:
        return self.attempt >= self.kind.attempts


class CalendlyClient:
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
        self._token = token
        self._sleep = sleep
        self._http = httpx.Client(
            base_url=(base_url or settings.CALENDLY_API_BASE).rstrip("/"),
            timeout=timeout,
            transport=transport,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        )

    def __repr__(self) -> str:
        return f"<CalendlyClient base={self._http.base_url}>"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> CalendlyClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # Users and event types

    def me(self) -> User:
        body = self._get("/users/me", action="read the connected user")
        return _parse(User.from_api, body.get("resource"), action="read the connected user")

    def event_types(
        self, user: str | None = None, organization: str | None = None, active: bool | None = None
    ) -> list[EventType]:
        """Every event type of a user or an organization (all pages)."""
        params = _owner(user=user, organization=organization)
        if active is not None:
            params["active"] = "true" if active else "false"
        items = self._collect("/event_types", params=params, action="list event types")
        return _parse_each(EventType.from_api, items, what="event type")

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
            found.update(_available_starts(body))
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
        the module doc for what a 429, a 5xx or a timeout mean here.
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
        body = self._request(
            "POST", "/invitees", action="book the invitee", kind=BOOKING, json=payload
        )
        return _parse(
            Invitee.from_api, body.get("resource", body), action="book the invitee", written=True
        )

    def create_scheduling_link(
        self, event_type: str, *, max_event_count: int = 1
    ) -> SchedulingLink:
        """A booking link for ``event_type`` that works ``max_event_count`` times (default once)."""
        body = self._request(
            "POST",
            "/scheduling_links",
            action="create a scheduling link",
            kind=SAFE_WRITE,
            json={
                "max_event_count": max_event_count,
                "owner": event_type,
                "owner_type": "EventType",
            },
        )
        return _parse(
            SchedulingLink.from_api, body.get("resource"), action="create a scheduling link"
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
        return _parse_each(ScheduledEvent.from_api, items, what="scheduled event")

    def scheduled_event(self, uuid_or_uri: str) -> ScheduledEvent:
        body = self._get(
            f"/scheduled_events/{_segment(uuid_or_uri)}", action="read the scheduled event"
        )
        return _parse(
            ScheduledEvent.from_api, body.get("resource"), action="read the scheduled event"
        )

    def event_invitees(self, event: str) -> list[Invitee]:
        """Every invitee of a scheduled event (URI or UUID), canceled ones included."""
        items = self._collect(
            f"/scheduled_events/{_segment(event)}/invitees", params={}, action="list invitees"
        )
        return _parse_each(Invitee.from_api, items, what="invitee")

    def cancel_event(self, event: str, reason: str = "") -> None:
        """Cancel a scheduled event (URI or UUID) as its host."""
        self._request(
            "POST",
            f"/scheduled_events/{_segment(event)}/cancellation",
            action="cancel the event",
            kind=SAFE_WRITE,
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
        body = self._request(
            "POST",
            "/webhook_subscriptions",
            action="create the webhook subscription",
            kind=SAFE_WRITE,
            json=payload,
        )
        return _parse(
            WebhookSubscription.from_api,
            body.get("resource"),
            action="create the webhook subscription",
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
        return _parse_each(WebhookSubscription.from_api, items, what="webhook subscription")

    def get_webhook_subscription(self, uri: str) -> WebhookSubscription:
        body = self._get(
            f"/webhook_subscriptions/{_segment(uri)}", action="read the webhook subscription"
        )
        return _parse(
            WebhookSubscription.from_api,
            body.get("resource"),
            action="read the webhook subscription",
        )

    def delete_webhook_subscription(self, uri: str) -> bool:
        """True once deleted, False if Calendly no longer had it (already deleted)."""
        try:
            self._request(
                "DELETE",
                f"/webhook_subscriptions/{_segment(uri)}",
                action="delete the webhook subscription",
                kind=READ,
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
            self._request("POST", path, action=f"check the {scope} scope", kind=PROBE, json={})
        except ProviderPermissionError as exc:
            return scope not in exc.missing_scopes
        except ProviderBadRequest:
            return True
        return True

    # Pages and transport

    def _get(self, path: str, *, action: str, params: dict | None = None) -> dict[str, Any]:
        return self._request("GET", path, action=action, kind=READ, params=params)

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
            collection = body.get("collection")
            if not isinstance(collection, list):
                raise _unexpected(action)
            yield collection
            token = _next_page_token(body)
            if not token or token in seen:
                return
            seen.add(token)
        logger.warning("Calendly %s stopped after %d pages", path, MAX_PAGES)

    def _request(
        self,
        method: str,
        path: str,
        *,
        action: str,
        kind: _Kind,
        params: dict | None = None,
        json: dict | None = None,
    ) -> dict[str, Any]:
        slept = 0.0
        attempt = 0
        while True:
            attempt += 1
            call = _Call(method, path, action, kind, attempt)
            try:
                response = self._http.request(method, path, params=params, json=json)
            except httpx.TransportError as exc:
                wait, detail = self._after_transport_error(call, exc)
            else:
                if response.status_code < 400:
                    return self._json(response, call)
                wait, detail = self._after_error_status(call, response, slept)
            slept = self._pause(wait, slept, call, detail)

    def _after_transport_error(self, call: _Call, exc: httpx.TransportError) -> tuple[float, str]:
        """Seconds to wait before trying again, or the error to raise instead."""
        reached = not isinstance(exc, _NOT_SENT)
        detail = f"{call.method} {call.path}: {type(exc).__name__}"
        unknown = reached and call.kind.outcome_unknown_on_failure
        if call.last or unknown:
            raise _unavailable(call.action, self._scrub(detail), outcome_unknown=unknown)
        return _backoff(call.attempt), detail

    def _after_error_status(
        self, call: _Call, response: httpx.Response, slept: float
    ) -> tuple[float, str]:
        """Seconds to wait before trying again, or the error to raise instead."""
        status = response.status_code
        detail = self._scrub(f"{call.method} {call.path} -> {status}: {_error_text(response)}")
        if status == 429:
            return self._after_rate_limit(call, response, slept, detail), detail
        if status < 500:
            raise self._client_error(call, response, detail)
        unknown = call.kind.outcome_unknown_on_failure
        if call.last or unknown:
            raise _unavailable(call.action, detail, outcome_unknown=unknown, status=status)
        return _backoff(call.attempt), detail

    def _after_rate_limit(
        self, call: _Call, response: httpx.Response, slept: float, detail: str
    ) -> float:
        # Calendly refused the request outright, so trying again can't do anything twice.
        reset = _rate_limit_reset(response)
        wait = _backoff(call.attempt) if reset is None else reset + random.uniform(0, 0.25)
        give_up = (
            not call.kind.wait_on_rate_limit
            or call.last
            or (reset is not None and reset > MAX_RATE_WAIT)
            or slept + wait > SLEEP_BUDGET
        )
        if give_up:
            raise ProviderRateLimited(
                f"Calendly is rate-limiting this account, so we could not {call.action}; "
                "try again shortly.",
                retry_after=reset,
                status=429,
                detail=detail,
            )
        return wait

    def _pause(self, wait: float, slept: float, call: _Call, detail: str) -> float:
        if slept + wait > SLEEP_BUDGET:
            raise _unavailable(call.action, f"{detail} (retry budget spent)")
        logger.warning("Calendly retry in %.1fs to %s: %s", wait, call.action, detail)
        self._sleep(wait)
        return slept + wait

    def _json(self, response: httpx.Response, call: _Call) -> dict[str, Any]:
        if response.status_code == 204 or not response.content:
            return {}
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise _unexpected(call.action, written=call.kind.outcome_unknown_on_failure)
        return body

    def _client_error(self, call: _Call, response: httpx.Response, detail: str) -> ProviderError:
        status = response.status_code
        message = self._scrub(_error_text(response))
        reason = f": {message}" if message else f" (HTTP {status})"
        if status == 401:
            return ProviderAuthError(
                "Calendly rejected the token (revoked, expired or mistyped): "
                "reconnect Calendly on the Integrations tab.",
                status=status,
                detail=detail,
            )
        if status == 403:
            return _permission_error(call, message, status=status, detail=detail)
        if status == 400 and call.kind is BOOKING and _says_slot_taken(message):
            return SlotTaken(
                "That time was just taken at Calendly; pick another slot.",
                status=status,
                detail=detail,
            )
        error_class = CalendlyConflict if status == 409 else ProviderBadRequest
        return error_class(
            f"Calendly refused to {call.action}{reason}", status=status, detail=detail
        )

    def _scrub(self, value: str) -> str:
        return value.replace(self._token, "[token]") if self._token else value


# OAuth


def exchange_code(
    code: str,
    redirect_uri: str,
    *,
    code_verifier: str | None = None,
    auth_base: str | None = None,
    transport: httpx.BaseTransport | None = None,
    timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
) -> OAuthTokens:
    """Trade an authorization code for tokens (``code_verifier`` when PKCE was used)."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if code_verifier:
        form["code_verifier"] = code_verifier
    return _token_request(form, "connect Calendly", auth_base, transport, timeout)


def refresh_token(
    refresh_token: str,
    *,
    auth_base: str | None = None,
    transport: httpx.BaseTransport | None = None,
    timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
) -> OAuthTokens:
    """New tokens for a refresh token. Calendly replaces the refresh token on use: store the
    new one. Not retried: a second try with the same refresh token could only fail."""
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return _token_request(form, "refresh the Calendly token", auth_base, transport, timeout)


def _token_request(form, action, auth_base, transport, timeout) -> OAuthTokens:
    client_id = settings.CALENDLY_OAUTH_CLIENT_ID
    client_secret = settings.CALENDLY_OAUTH_CLIENT_SECRET
    if not client_id or not client_secret:
        raise ImproperlyConfigured(
            "CALENDLY_OAUTH_CLIENT_ID and CALENDLY_OAUTH_CLIENT_SECRET must be set to use OAuth"
        )
    secrets = [form.get("code"), form.get("refresh_token"), client_secret]
    form = {**form, "client_id": client_id, "client_secret": client_secret}
    base = (auth_base or settings.CALENDLY_AUTH_BASE).rstrip("/")
    try:
        with httpx.Client(base_url=base, timeout=timeout, transport=transport) as http:
            response = http.post("/oauth/token", data=form, headers={"Accept": "application/json"})
    except httpx.TransportError as exc:
        reached = not isinstance(exc, _NOT_SENT)
        raise _unavailable(action, type(exc).__name__, outcome_unknown=reached) from None
    detail = _scrub_all(f"POST /oauth/token -> {response.status_code}", secrets)
    if response.status_code == 429:
        raise ProviderRateLimited(
            f"Calendly is rate-limiting us, so we could not {action}; try again shortly.",
            retry_after=_rate_limit_reset(response),
            status=429,
            detail=detail,
        )
    if response.status_code >= 500:
        raise _unavailable(action, detail, outcome_unknown=True, status=response.status_code)
    if response.status_code >= 400:
        raise _oauth_error(response, action, detail, secrets)
    try:
        return OAuthTokens.from_api(response.json())
    except (ValueError, ResponseShapeError):
        raise _unexpected(action, written=True) from None


def _oauth_error(response, action, detail, secrets) -> ProviderError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    code = body.get("error") if isinstance(body.get("error"), str) else ""
    description = body.get("error_description")
    description = description if isinstance(description, str) else ""
    text = _scrub_all(" ".join(f"{code} {description}".split())[:300], secrets)
    detail = f"{detail}: {text}"
    if (
        code in ("invalid_grant", "invalid_client", "unauthorized_client")
        or response.status_code == 401
    ):
        return ProviderAuthError(
            f"Calendly refused to {action} ({text or 'invalid grant'}): connect Calendly again.",
            status=response.status_code,
            detail=detail,
        )
    return ProviderBadRequest(
        f"Calendly refused to {action}: {text or f'HTTP {response.status_code}'}",
        status=response.status_code,
        detail=detail,
    )


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


def _available_starts(body: dict[str, Any]) -> Iterator[datetime]:
    collection = body.get("collection")
    if not isinstance(collection, list):
        raise _unexpected("read available times")
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


def _parse(parser: Callable[[Any], Any], data: Any, *, action: str, written: bool = False):
    try:
        return parser(data)
    except ResponseShapeError as exc:
        logger.error("Calendly answer to %s unreadable: %s", action, exc)
        raise _unexpected(action, written=written) from None


def _parse_each(parser: Callable[[Any], Any], items: list[Any], *, what: str) -> list[Any]:
    """Every readable item; an unreadable one is logged and skipped, not fatal to the list."""
    found = []
    for item in items:
        try:
            found.append(parser(item))
        except ResponseShapeError as exc:
            logger.warning("Calendly %s skipped: %s", what, exc)
    return found


def _permission_error(call: _Call, message: str, **kwargs) -> ProviderPermissionError:
    missing = tuple(dict.fromkeys(_SCOPE.findall(message)))
    if missing:
        text = (
            f"Calendly did not allow us to {call.action}: the token lacks the "
            f"{', '.join(missing)} scope{'s' if len(missing) > 1 else ''}. Grant "
            f"{'them' if len(missing) > 1 else 'it'} in Calendly and connect again."
        )
    elif call.kind is BOOKING:
        text = (
            "Calendly did not allow us to book directly"
            f"{': ' + message if message else ''}. Booking through the API needs a paid "
            "Calendly plan and the scheduled_events:write scope; send a booking link instead."
        )
    else:
        text = f"Calendly did not allow us to {call.action}{': ' + message if message else ''}."
    return ProviderPermissionError(text, missing_scopes=missing, **kwargs)


def _says_slot_taken(message: str) -> bool:
    lowered = message.lower()
    return any(words in lowered for words in _SLOT_TAKEN_WORDS)


def _error_text(response: httpx.Response) -> str:
    """Calendly's ``title``, ``message`` and ``details``, shortened; never the raw body."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    parts = [body.get("title"), body.get("message")]
    details = body.get("details")
    for item in details if isinstance(details, list) else []:
        if isinstance(item, dict) and isinstance(item.get("message"), str):
            parameter = item.get("parameter")
            prefix = f"{parameter}: " if isinstance(parameter, str) and parameter else ""
            parts.append(prefix + item["message"])
    joined = " - ".join(part for part in parts if isinstance(part, str) and part.strip())
    return " ".join(joined.split())[:500]


def _rate_limit_reset(response: httpx.Response) -> float | None:
    try:
        seconds = float(response.headers.get("X-RateLimit-Reset", ""))
    except ValueError:
        return None
    return seconds if 0 <= seconds < 86_400 else None


def _backoff(attempt: int) -> float:
    return BACKOFF_BASE * 2 ** (attempt - 1) + random.uniform(0, BACKOFF_BASE)


def _unavailable(
    action: str, detail: str, *, outcome_unknown: bool = False, status: int | None = None
) -> ProviderUnavailable:
    if outcome_unknown:
        text = (
            f"Calendly failed or timed out while asked to {action}; it may or may not have "
            "happened there. Check before trying again."
        )
    else:
        text = f"Calendly is not answering, so we could not {action}; try again later."
    return ProviderUnavailable(text, outcome_unknown=outcome_unknown, status=status, detail=detail)


def _unexpected(action: str, *, written: bool = False) -> ProviderUnavailable:
    """A 2xx we can't read. After a write, what happened at Calendly is unknown."""
    return ProviderUnavailable(
        f"Calendly sent an answer we could not read when asked to {action}.",
        outcome_unknown=written,
    )


def _scrub_all(value: str, secrets: Iterable[str | None]) -> str:
    for secret in secrets:
        if secret:
            value = value.replace(secret, "[secret]")
    return value
