"""What the Calendly API answers, as small frozen dataclasses parsed once at the edge.

Each ``from_api`` takes one decoded JSON object and raises ``ResponseShapeError`` when a field we
rely on is missing or unreadable (the field readers are ``integrations.responses``). Resources are
named by their URI, kept as an opaque id; the URI readers here are Calendly's own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from integrations.responses import (
    ResponseShapeError,
    as_object,
    flag,
    objects,
    optional_object,
    optional_time,
    parse_time,
    text,
)

MAX_URI_LENGTH = 500


def uuid_of(uri: str) -> str:
    """The last path segment of a resource URI (a bare UUID is returned as it is)."""
    path = urlsplit(uri).path if "://" in uri else uri
    segments = [segment for segment in path.split("/") if segment]
    if not segments:
        raise ValueError("a Calendly URI or UUID is required")
    return segments[-1]


def required_uri(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ResponseShapeError(f"{key} is missing")
    return _checked_uri(value.strip(), key)


def optional_uri(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if value in (None, ""):
        return ""
    if not isinstance(value, str):
        raise ResponseShapeError(f"{key} is not a URI")
    return _checked_uri(value.strip(), key)


def _checked_uri(value: str, key: str) -> str:
    if len(value) > MAX_URI_LENGTH or not value.startswith(("https://", "http://")):
        raise ResponseShapeError(f"{key} is not a URI")
    return value


@dataclass(frozen=True)
class User:
    uri: str
    name: str
    email: str
    slug: str = ""
    scheduling_url: str = ""
    timezone: str = ""
    current_organization: str = ""

    @classmethod
    def from_api(cls, data: Any) -> User:
        data = as_object(data, what="user")
        return cls(
            uri=required_uri(data, "uri"),
            name=text(data, "name", max_length=255),
            email=text(data, "email", max_length=254),
            slug=text(data, "slug", max_length=255),
            scheduling_url=optional_uri(data, "scheduling_url"),
            timezone=text(data, "timezone", max_length=64),
            current_organization=optional_uri(data, "current_organization"),
        )


@dataclass(frozen=True)
class EventType:
    """An event type. ``custom_questions`` holds the enabled ones as ``(question, required)``,
    in Calendly's order; a booking must answer the required ones with the text exactly as here."""

    uri: str
    name: str
    slug: str
    active: bool
    scheduling_url: str
    duration: int | None
    kind: str = ""
    pooling_type: str = ""
    type: str = ""
    owner: str = ""
    owner_type: str = ""  # "User" or "Team" (an organization's shared types name the team)
    owner_name: str = ""
    secret: bool = False
    deleted_at: datetime | None = None
    custom_questions: tuple[tuple[str, bool], ...] = ()
    color: str = ""  # "#rrggbb", Calendly's colour for the event type, or "" when not one
    location_kinds: tuple[str, ...] = ()

    @property
    def required_questions(self) -> tuple[str, ...]:
        return tuple(question for question, required in self.custom_questions if required)

    @property
    def kind_label(self) -> str:
        """The kind as Calendly's own pages name it."""
        if self.kind == "group":
            return "group"
        return {"round_robin": "round robin", "collective": "collective"}.get(
            self.pooling_type, "one-on-one"
        )

    @classmethod
    def from_api(cls, data: Any) -> EventType:
        data = as_object(data, what="event type")
        duration = data.get("duration")
        profile = data.get("profile") if isinstance(data.get("profile"), Mapping) else {}
        return cls(
            uri=required_uri(data, "uri"),
            name=text(data, "name", max_length=255),
            slug=text(data, "slug", max_length=255),
            active=flag(data, "active"),
            scheduling_url=optional_uri(data, "scheduling_url"),
            duration=duration if type(duration) is int and duration > 0 else None,
            kind=text(data, "kind", max_length=32),
            pooling_type=text(data, "pooling_type", max_length=32),
            type=text(data, "type", max_length=64),
            owner=optional_uri(profile, "owner"),
            owner_type=text(profile, "type", max_length=32),
            owner_name=text(profile, "name", max_length=255),
            secret=flag(data, "secret"),
            deleted_at=optional_time(data.get("deleted_at"), field="deleted_at"),
            custom_questions=_questions(data.get("custom_questions")),
            color=_color(data.get("color")),
            location_kinds=tuple(
                kind for item in objects(data.get("locations")) if (kind := text(item, "kind"))
            ),
        )


_HEX_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


def _color(value: Any) -> str:
    # Only a plain hex colour is kept: it is drawn into the page.
    return value.lower() if isinstance(value, str) and _HEX_COLOR.fullmatch(value) else ""


def _questions(value: Any) -> tuple[tuple[str, bool], ...]:
    found = []
    for item in sorted(objects(value), key=_position):
        question = text(item, "name")
        if question and flag(item, "enabled", default=True):
            found.append((question, flag(item, "required")))
    return tuple(found)


def _position(item: Mapping[str, Any]) -> int:
    position = item.get("position")
    return position if type(position) is int else 0


@dataclass(frozen=True)
class Cancellation:
    reason: str = ""
    canceler_type: str = ""  # "host" or "invitee"
    canceled_by: str = ""
    created_at: datetime | None = None

    @classmethod
    def from_api(cls, data: Any) -> Cancellation | None:
        data = optional_object(data, what="cancellation")
        if data is None:
            return None
        return cls(
            reason=text(data, "reason"),
            canceler_type=text(data, "canceler_type", max_length=32),
            canceled_by=text(data, "canceled_by", max_length=255),
            created_at=optional_time(data.get("created_at"), field="cancellation.created_at"),
        )


@dataclass(frozen=True)
class Host:
    """One of a scheduled event's ``event_memberships``: who hosts it (a round robin's one,
    or each of a collective's)."""

    user: str = ""
    name: str = ""
    email: str = ""

    @classmethod
    def from_api(cls, data: Any) -> Host:
        return cls(
            user=optional_uri(data, "user"),
            name=text(data, "user_name", max_length=255),
            email=text(data, "user_email", max_length=254).lower(),
        )


@dataclass(frozen=True)
class Membership:
    """A member of an organization and the role there (``owner``, ``admin`` or ``user``)."""

    uri: str
    role: str
    user: str
    organization: str = ""

    @property
    def is_admin(self) -> bool:
        return self.role in ("owner", "admin")

    @classmethod
    def from_api(cls, data: Any) -> Membership:
        data = as_object(data, what="organization membership")
        member = data.get("user") if isinstance(data.get("user"), Mapping) else {}
        return cls(
            uri=required_uri(data, "uri"),
            role=text(data, "role", max_length=32),
            user=optional_uri(member, "uri"),
            organization=optional_uri(data, "organization"),
        )


@dataclass(frozen=True)
class ScheduledEvent:
    uri: str
    name: str
    status: str  # "active" or "canceled"
    start: datetime
    end: datetime
    event_type: str = ""
    location_type: str = ""
    join_url: str = ""
    hosts: tuple[Host, ...] = ()
    cancellation: Cancellation | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def is_canceled(self) -> bool:
        return self.status == "canceled"

    @property
    def host_emails(self) -> tuple[str, ...]:
        return tuple(host.email for host in self.hosts if host.email)

    @classmethod
    def from_api(cls, data: Any) -> ScheduledEvent:
        data = as_object(data, what="scheduled event")
        location = data.get("location") if isinstance(data.get("location"), Mapping) else {}
        join_url = location.get("join_url")
        return cls(
            uri=required_uri(data, "uri"),
            name=text(data, "name", max_length=255),
            status=text(data, "status", max_length=32),
            start=parse_time(data.get("start_time"), field="start_time"),
            end=parse_time(data.get("end_time"), field="end_time"),
            event_type=optional_uri(data, "event_type"),
            location_type=text(location, "type", max_length=64),
            join_url=join_url.strip() if isinstance(join_url, str) else "",
            hosts=tuple(Host.from_api(m) for m in objects(data.get("event_memberships"))),
            cancellation=Cancellation.from_api(data.get("cancellation")),
            created_at=optional_time(data.get("created_at"), field="created_at"),
            updated_at=optional_time(data.get("updated_at"), field="updated_at"),
        )


@dataclass(frozen=True)
class Tracking:
    utm_source: str = ""
    utm_medium: str = ""
    utm_campaign: str = ""
    utm_content: str = ""
    utm_term: str = ""

    @classmethod
    def from_api(cls, data: Any) -> Tracking:
        data = data if isinstance(data, Mapping) else {}
        return cls(**{key: text(data, key, max_length=500) for key in TRACKING_KEYS})


TRACKING_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")


@dataclass(frozen=True)
class NoShow:
    uri: str
    created_at: datetime | None = None

    @classmethod
    def from_api(cls, data: Any) -> NoShow | None:
        data = optional_object(data, what="no_show")
        if not data:
            return None  # Calendly sends null, and {} after a no-show mark is removed
        return cls(
            uri=required_uri(data, "uri"),
            created_at=optional_time(data.get("created_at"), field="no_show.created_at"),
        )


@dataclass(frozen=True)
class Invitee:
    """A booking's invitee. ``uri`` is the stable id of the booking; ``event`` the scheduled
    event's URI. ``scheduled_event`` is filled only where Calendly embeds it (webhooks)."""

    uri: str
    email: str
    name: str
    status: str  # "active" or "canceled"
    event: str
    first_name: str = ""
    last_name: str = ""
    timezone: str = ""
    tracking: Tracking = field(default_factory=Tracking)
    questions_and_answers: tuple[tuple[str, str], ...] = ()
    text_reminder_number: str = ""
    rescheduled: bool = False
    old_invitee: str = ""
    new_invitee: str = ""
    cancel_url: str = ""
    reschedule_url: str = ""
    cancellation: Cancellation | None = None
    no_show: NoShow | None = None
    scheduling_method: str = ""
    scheduled_event: ScheduledEvent | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def utm_content(self) -> str:
        return self.tracking.utm_content

    @property
    def is_canceled(self) -> bool:
        return self.status == "canceled"

    @classmethod
    def from_api(cls, data: Any) -> Invitee:
        data = as_object(data, what="invitee")
        embedded = data.get("scheduled_event")
        scheduled_event = ScheduledEvent.from_api(embedded) if embedded is not None else None
        event = optional_uri(data, "event") or (scheduled_event.uri if scheduled_event else "")
        if not event:
            raise ResponseShapeError("event is missing")
        return cls(
            uri=required_uri(data, "uri"),
            email=text(data, "email", max_length=254),
            name=text(data, "name", max_length=255),
            status=text(data, "status", max_length=32),
            event=event,
            first_name=text(data, "first_name", max_length=255),
            last_name=text(data, "last_name", max_length=255),
            timezone=text(data, "timezone", max_length=64),
            tracking=Tracking.from_api(data.get("tracking")),
            questions_and_answers=tuple(
                (text(item, "question"), text(item, "answer", max_length=5000))
                for item in sorted(objects(data.get("questions_and_answers")), key=_position)
            ),
            text_reminder_number=text(data, "text_reminder_number", max_length=32),
            rescheduled=flag(data, "rescheduled"),
            old_invitee=optional_uri(data, "old_invitee"),
            new_invitee=optional_uri(data, "new_invitee"),
            cancel_url=optional_uri(data, "cancel_url"),
            reschedule_url=optional_uri(data, "reschedule_url"),
            cancellation=Cancellation.from_api(data.get("cancellation")),
            no_show=NoShow.from_api(data.get("no_show")),
            scheduling_method=text(data, "scheduling_method", max_length=32),
            scheduled_event=scheduled_event,
            created_at=optional_time(data.get("created_at"), field="created_at"),
            updated_at=optional_time(data.get("updated_at"), field="updated_at"),
        )


@dataclass(frozen=True)
class WebhookSubscription:
    """A webhook subscription. ``state`` is "active" or "disabled" (Calendly gave up retrying:
    it must be recreated). The signing key is never returned by the API."""

    uri: str
    callback_url: str
    state: str
    events: tuple[str, ...]
    scope: str
    organization: str = ""
    user: str = ""
    group: str = ""
    creator: str = ""
    created_at: datetime | None = None
    retry_started_at: datetime | None = None

    @property
    def is_active(self) -> bool:
        return self.state == "active"

    @classmethod
    def from_api(cls, data: Any) -> WebhookSubscription:
        data = as_object(data, what="webhook subscription")
        events = data.get("events")
        return cls(
            uri=required_uri(data, "uri"),
            callback_url=required_uri(data, "callback_url"),
            state=text(data, "state", max_length=32),
            events=tuple(e for e in events if isinstance(e, str))
            if isinstance(events, list)
            else (),
            scope=text(data, "scope", max_length=32),
            organization=optional_uri(data, "organization"),
            user=optional_uri(data, "user"),
            group=optional_uri(data, "group"),
            creator=optional_uri(data, "creator"),
            created_at=optional_time(data.get("created_at"), field="created_at"),
            retry_started_at=optional_time(data.get("retry_started_at"), field="retry_started_at"),
        )


@dataclass(frozen=True)
class SchedulingLink:
    booking_url: str
    owner: str
    owner_type: str

    @classmethod
    def from_api(cls, data: Any) -> SchedulingLink:
        data = as_object(data, what="scheduling link")
        return cls(
            booking_url=required_uri(data, "booking_url"),
            owner=optional_uri(data, "owner"),
            owner_type=text(data, "owner_type", max_length=32),
        )


@dataclass(frozen=True)
class OAuthTokens:
    """An OAuth token answer. The tokens stay out of ``repr`` (and so out of logs)."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: datetime | None
    owner: str = ""
    organization: str = ""
    token_type: str = "Bearer"
    scope: str = ""

    @classmethod
    def from_api(cls, data: Any, *, now: datetime | None = None) -> OAuthTokens:
        data = as_object(data, what="token response")
        access = data.get("access_token")
        refresh = data.get("refresh_token")
        if not isinstance(access, str) or not access:
            raise ResponseShapeError("access_token is missing")
        if not isinstance(refresh, str) or not refresh:
            raise ResponseShapeError("refresh_token is missing")
        expires_in = data.get("expires_in")
        expires_at = None
        if type(expires_in) is int and expires_in > 0:
            expires_at = (now or datetime.now(UTC)) + timedelta(seconds=expires_in)
        return cls(
            access_token=access,
            refresh_token=refresh,
            expires_at=expires_at,
            owner=optional_uri(data, "owner"),
            organization=optional_uri(data, "organization"),
            token_type=text(data, "token_type", max_length=32) or "Bearer",
            scope=text(data, "scope"),
        )
