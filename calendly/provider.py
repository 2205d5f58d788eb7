"""``CalendlyProvider``: the booking-provider contract for one workspace's Calendly event type.

Slots come from ``event_type_available_times`` (the client asks a week at a time), each ending
one event-type duration later. Booking goes through the Scheduling API (``POST /invitees``) with
the lead's name, e-mail and time zone and our lead id in ``tracking.utm_content``, so the
``invitee.created`` webhook that follows is matched to the same lead and appointment.

When the account can't book this lead directly, ``book`` raises ``DirectBookingUnavailable`` and
the caller sends ``scheduling_link``, a single-use link pre-filled with the lead's name, e-mail and
id, instead: the lead has no e-mail, the event type asks required questions we can't answer, the
plan lacks the Scheduling API (403), or its low booking limits are spent (429: waiting would only
delay the lead). A taken time (400) is ``SlotTaken``; a timeout or a 5xx leaves the outcome
unknown (``find_booking`` resolves it: the Scheduling API has no idempotency key). A 401
anywhere marks the connection ``needs_reauth`` before the error travels on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.utils import timezone as dj_timezone

from followups.errors import (
    DirectBookingUnavailable,
    ProviderAuthError,
    ProviderBadRequest,
    ProviderPermissionError,
    ProviderRateLimited,
    SlotTaken,
)
from integrations.providers import BookingRef, BookingResult, ConnectionReport, Slot

from . import connection, scopes
from .account import Account, account_for, client_for, mark_needs_reauth
from .organization import whose_events
from .types import Invitee, ScheduledEvent

if TYPE_CHECKING:
    from workspaces.models import Lead, Workspace

    from .client import CalendlyClient

logger = logging.getLogger(__name__)

PROVIDER = "calendly"
FIND_WINDOW = timedelta(days=1)  # around a known start
FIND_AHEAD = timedelta(days=60)  # without one: upcoming bookings
UTM_SOURCE = "setterdesk"


class CalendlyProvider:
    name = PROVIDER

    def __init__(self, workspace: Workspace, *, account: Account | None = None):
        self.workspace = workspace
        self._account = account

    @property
    def account(self) -> Account:
        if self._account is None:
            self._account = account_for(self.workspace)
        return self._account

    def __repr__(self) -> str:
        return f"<CalendlyProvider workspace={self.workspace.pk}>"

    # The contract

    def available_slots(self, *, start: datetime, end: datetime, timezone: str) -> list[Slot]:
        """Free starts in ``[start, end)`` (UTC; ``timezone`` doesn't change them)."""
        duration = self.account.duration
        with self._client() as client:
            free = client.available_times(self.account.event_type_uri, start, end)
        return [Slot(start=s.start, end=s.start + duration if duration else None) for s in free]

    def book(
        self, *, lead: Lead, start: datetime, idempotency_key: str, provider_value: str = ""
    ) -> BookingResult:
        """Book ``start`` for the lead through the Scheduling API. ``idempotency_key`` is only
        logged: Calendly has none, so a lost answer is resolved by ``find_booking``. Calendly's
        slots carry no value of their own, so ``provider_value`` is ignored."""
        account = self.account
        self._refuse_what_we_cannot_book(lead)
        logger.info("Booking %s at Calendly for lead %s (%s)", start, lead.pk, idempotency_key)
        try:
            with self._client() as client:
                invitee = client.create_invitee(
                    account.event_type_uri,
                    start,
                    email=lead.email,
                    timezone=lead.effective_timezone,
                    **_names(lead),
                    tracking={"utm_source": UTM_SOURCE},
                    utm_content=str(lead.pk),
                    text_reminder_number=lead.phone or None,
                )
        except ProviderPermissionError as exc:
            raise DirectBookingUnavailable(
                exc.safe_message, status=exc.status, detail=exc.detail
            ) from None
        except ProviderRateLimited as exc:
            raise DirectBookingUnavailable(
                "Calendly's booking limit for this account is spent for now, so we could not "
                "book directly.",
                status=exc.status,
                detail=exc.detail,
            ) from None
        except SlotTaken:
            raise
        except ProviderBadRequest as exc:
            if "question" in f"{exc.safe_message} {exc.detail}".lower():
                raise DirectBookingUnavailable(
                    "The event type asks questions we cannot answer for the lead.",
                    status=exc.status,
                    detail=exc.detail,
                ) from None
            raise
        return BookingResult(
            ref=BookingRef(provider=PROVIDER, external_id=invitee.uri, secondary_id=invitee.event),
            start=start,
            end=start + account.duration if account.duration else None,
        )

    def scheduling_link(self, *, lead: Lead) -> str:
        """A single-use booking link for the event type, pre-filled with the lead's name and
        e-mail and carrying its id in ``utm_content`` (so the booking is matched to it)."""
        with self._client() as client:
            link = client.create_scheduling_link(self.account.event_type_uri, max_event_count=1)
        params = {
            "name": lead.display_name if (lead.first_name or lead.last_name) else "",
            "email": lead.email,
            "utm_source": UTM_SOURCE,
            "utm_content": str(lead.pk),
        }
        query = urlencode({key: value for key, value in params.items() if value})
        separator = "&" if "?" in link.booking_url else "?"
        return f"{link.booking_url}{separator}{query}"

    def cancel(self, *, ref: BookingRef, reason: str = "") -> None:
        event = ref.secondary_id or _event_of(ref.external_id)
        with self._client() as client:
            try:
                client.cancel_event(event, reason=reason)
            except ProviderBadRequest as exc:
                if exc.status != 404:
                    raise
                logger.info("Calendly event %s already gone", event)
            except ProviderPermissionError as exc:
                if "already canceled" not in exc.safe_message.lower():
                    raise
                logger.info("Calendly event %s already canceled", event)

    def find_booking(self, *, lead: Lead, start: datetime | None = None) -> BookingResult | None:
        """The lead's live booking of this event type (at ``start`` when given, else the next
        one), found by the invitee's e-mail: how a booking whose answer was lost is resolved."""
        if not lead.email:
            return None
        account = self.account
        if start is None:
            now = dj_timezone.now()
            window_start, window_end = now - FIND_WINDOW, now + FIND_AHEAD
        else:
            window_start, window_end = start - FIND_WINDOW, start + FIND_WINDOW
        with self._client() as client:
            events = client.scheduled_events(
                **whose_events(
                    self.workspace, user=account.user_uri, organization=account.organization_uri
                ),
                invitee_email=lead.email,
                status="active",
                min_start_time=window_start,
                max_start_time=window_end,
                sort="start_time:asc",
            )
            for event in events:
                if event.event_type and event.event_type != account.event_type_uri:
                    continue
                if start is not None and event.start != start:
                    continue
                invitee = _active_invitee(client.event_invitees(event.uri), lead.email)
                if invitee is not None:
                    return _result(invitee, event)
        return None

    def check_connection(self) -> ConnectionReport:
        """Who the token is, its organization and scheduling page, the event type, and any
        scope it lacks (named, so it is granted now rather than missed at the first booking)."""
        if self._account is None:
            self._account = account_for(self.workspace, usable_only=False, need_event_type=False)
        account = self._account
        try:
            verified = connection.inspect(token=account.token, event_type=account.event_type_uri)
        except ProviderAuthError as exc:
            mark_needs_reauth(workspace=self.workspace, error=exc.safe_message)
            raise
        except ProviderPermissionError as exc:
            missing = exc.missing_scopes or ("users:read", "event_types:read")
            return ConnectionReport(
                ok=False, summary=scopes.scopes_message(missing), missing_scopes=missing
            )
        scopes.record_scopes(workspace=self.workspace, missing=verified.missing_scopes)
        user, chosen = verified.user, verified.chosen
        details = _details(user)
        if chosen is not None:
            details["event_type"] = chosen.name
        problems = list(verified.refusals)
        if verified.missing_scopes:
            problems.insert(0, scopes.scopes_message(verified.missing_scopes))
        if verified.event_type_error is not None:
            problems.append(verified.event_type_error.safe_message)
        elif chosen is None:
            problems.append(connection.CHOOSE_EVENT_TYPE)
        who = f"Connected as {user.name}" + (f" ({user.email})" if user.email else "")
        if user.current_organization:
            who += f", organization {user.current_organization}"
        if user.scheduling_url:
            who += f", scheduling page {user.scheduling_url}"
        if problems:
            return ConnectionReport(
                ok=False,
                summary=f"{who}; but {' '.join(problems)}",
                details=details,
                missing_scopes=verified.missing_scopes,
            )
        return ConnectionReport(ok=True, summary=f"{who}; books “{chosen.name}”.", details=details)

    # Helpers

    @contextmanager
    def _client(self) -> Iterator[CalendlyClient]:
        client = client_for(self.account)
        try:
            yield client
        except ProviderAuthError as exc:
            mark_needs_reauth(workspace=self.workspace, error=exc.safe_message)
            raise
        finally:
            client.close()

    def _refuse_what_we_cannot_book(self, lead: Lead) -> None:
        if not lead.email:
            raise DirectBookingUnavailable(
                "Calendly books an invitee by e-mail and this lead has none."
            )
        questions = self.account.required_questions
        if questions:
            raise DirectBookingUnavailable(
                f"The event type “{self.account.event_type_name}” asks required questions we "
                f"cannot answer for the lead ({'; '.join(questions)})."
            )


def _names(lead: Lead) -> dict[str, str]:
    if lead.first_name and lead.last_name:
        return {"first_name": lead.first_name, "last_name": lead.last_name}
    return {"name": lead.display_name}


def _active_invitee(invitees: list[Invitee], email: str) -> Invitee | None:
    wanted = email.strip().lower()
    return next(
        (i for i in invitees if not i.is_canceled and i.email.strip().lower() == wanted), None
    )


def _result(invitee: Invitee, event: ScheduledEvent) -> BookingResult:
    return BookingResult(
        ref=BookingRef(
            provider=PROVIDER, external_id=invitee.uri, secondary_id=invitee.event or event.uri
        ),
        start=event.start,
        end=event.end,
    )


def _event_of(invitee_uri: str) -> str:
    event, found, _ = invitee_uri.rpartition("/invitees/")
    return event if found else invitee_uri


def _details(user) -> dict[str, str]:
    details = {"user": user.name, "email": user.email}
    if user.current_organization:
        details["organization"] = user.current_organization
    if user.scheduling_url:
        details["scheduling_url"] = user.scheduling_url
    return {key: value for key, value in details.items() if value}
