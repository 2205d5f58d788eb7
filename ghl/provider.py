"""``GhlProvider``: the booking-provider contract for one workspace's GoHighLevel location.

Slots come from free-slots in the zone the caller asks for, each carrying GHL's own string
(``Slot.provider_value``); booking sends that string back unchanged when it can find it (the
caller's, else a fresh free-slots answer for that day in the location's zone), else the start
written in the location's zone with its offset. A 401 anywhere marks the connection
``needs_reauth`` before the error travels on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone as dj_timezone

from booking.matching import remember_identity
from followups.errors import ProviderAuthError, ProviderBadRequest, ProviderError
from integrations.providers import BookingRef, BookingResult, ConnectionReport, Slot
from workspaces.models import LeadIdentity

from . import connection
from .types import Appointment, Contact

if TYPE_CHECKING:
    from workspaces.models import Lead, Workspace

    from .client import GhlClient

logger = logging.getLogger(__name__)

PROVIDER = "ghl"
LIVE_STATUSES = frozenset({"new", "confirmed", "showed"})
FIND_WINDOW = timedelta(days=1)  # around a known start
FIND_AHEAD = timedelta(days=60)  # without one: upcoming bookings


class GhlProvider:
    name = PROVIDER

    def __init__(self, workspace: Workspace, *, account: connection.Account | None = None):
        self.workspace = workspace
        self._account = account

    @property
    def account(self) -> connection.Account:
        if self._account is None:
            self._account = connection.account_for(self.workspace)
        return self._account

    def __repr__(self) -> str:
        return f"<GhlProvider workspace={self.workspace.pk}>"

    # The contract

    def available_slots(self, *, start: datetime, end: datetime, timezone: str) -> list[Slot]:
        duration = self.account.slot_duration
        with self._client() as client:
            free = client.free_slots(self.account.calendar_id, start, end, timezone)
        return [
            Slot(
                start=slot.start,
                end=slot.start + duration if duration else None,
                provider_value=slot.raw,
            )
            for slot in free
        ]

    def book(
        self, *, lead: Lead, start: datetime, idempotency_key: str, provider_value: str = ""
    ) -> BookingResult:
        """Book ``start`` for the lead. A retry that finds its own booking returns it instead of
        booking twice (``idempotency_key`` is only logged: GHL has no such header)."""
        with self._client() as client:
            contact = self._ensure_contact(client, lead)
            existing = self._find_event(client, {contact.id}, start)
            if existing is not None:
                logger.info("GHL booking %s already exists (%s)", existing.id, idempotency_key)
                return _result(existing)
            slot_value = provider_value or self._slot_string(client, start)
            appointment = client.create_appointment(
                self.account.calendar_id,
                contact.id,
                slot_value,
                title=_title(lead),
            )
        return _result(appointment)

    def scheduling_link(self, *, lead: Lead) -> None:
        """Declined: ``book`` always books directly (it never raises DirectBookingUnavailable),
        so GHL has no link to send instead."""
        return None

    def cancel(self, *, ref: BookingRef, reason: str = "") -> None:
        with self._client() as client:
            try:
                client.cancel_appointment(ref.external_id)
            except ProviderBadRequest as exc:
                if exc.status != 404:
                    raise
                logger.info("GHL appointment %s already gone", ref.external_id)

    def find_booking(self, *, lead: Lead, start: datetime | None = None) -> BookingResult | None:
        with self._client() as client:
            contact_ids = self._known_contact_ids(client, lead)
            if not contact_ids:
                return None
            found = self._find_event(client, contact_ids, start)
        return _result(found) if found else None

    def check_connection(self) -> ConnectionReport:
        if self._account is None:
            self._account = connection.find_account(self.workspace, usable_only=False)
        if self._account is None:
            return ConnectionReport(
                ok=False,
                summary="GoHighLevel is not fully connected: enter the token and location, "
                "then choose a calendar.",
            )
        account = self._account
        try:
            with self._client() as client:
                location = client.location()
                calendars = {calendar.id: calendar for calendar in client.calendars()}
        except ProviderError as exc:
            return ConnectionReport(ok=False, summary=exc.safe_message)
        calendar = calendars.get(account.calendar_id)
        if calendar is None:
            return ConnectionReport(
                ok=False,
                summary="The chosen calendar no longer exists in this GoHighLevel location: "
                "pick another on the Integrations tab.",
            )
        details = {"location": location.name or location.id, "calendar": calendar.name}
        if location.timezone:
            details["timezone"] = location.timezone
        if not calendar.is_active:
            return ConnectionReport(
                ok=False,
                summary=f"The calendar “{calendar.name}” is inactive in GoHighLevel.",
                details=details,
            )
        summary = f"Connected to {details['location']}, calendar “{calendar.name}”."
        return ConnectionReport(ok=True, summary=summary, details=details)

    # Helpers

    @contextmanager
    def _client(self) -> Iterator[GhlClient]:
        client = connection.client_for(self.account)
        try:
            yield client
        except ProviderAuthError:
            connection.mark_needs_reauth(workspace=self.workspace)
            raise
        finally:
            client.close()

    def _ensure_contact(self, client: GhlClient, lead: Lead) -> Contact:
        """The lead's GHL contact: the one we remembered, else found, else created."""
        remembered = _identities(lead)
        if remembered:
            return Contact(id=remembered[0], email=lead.email, phone=lead.phone)
        if not (lead.email or lead.phone):
            raise ProviderBadRequest(
                "This lead has neither an e-mail nor a phone number, so GoHighLevel cannot "
                "hold a contact for it: add one, then book again."
            )
        contact = client.find_contact(email=lead.email or None, phone=lead.phone or None)
        if contact is None:
            contact = client.upsert_contact(
                email=lead.email or None,
                phone=lead.phone or None,
                first_name=lead.first_name or None,
                last_name=lead.last_name or None,
                timezone=lead.timezone or None,
                source="setterdesk",
            ).contact
        remember_identity(lead=lead, provider=PROVIDER, external_id=contact.id)
        return contact

    def _known_contact_ids(self, client: GhlClient, lead: Lead) -> set[str]:
        ids = set(_identities(lead))
        if ids or not (lead.email or lead.phone):
            return ids
        contact = client.find_contact(email=lead.email or None, phone=lead.phone or None)
        if contact is None:
            return set()
        remember_identity(lead=lead, provider=PROVIDER, external_id=contact.id)
        return {contact.id}

    def _find_event(
        self, client: GhlClient, contact_ids: set[str], start: datetime | None
    ) -> Appointment | None:
        if start is None:
            now = _now()
            window_start, window_end = now - FIND_WINDOW, now + FIND_AHEAD
        else:
            window_start, window_end = start - FIND_WINDOW, start + FIND_WINDOW
        events = client.events(self.account.calendar_id, window_start, window_end)
        live = [
            event
            for event in events
            if event.contact_id in contact_ids
            and event.status in LIVE_STATUSES
            and (start is None or event.start == start)
        ]
        return min(live, key=lambda event: event.start) if live else None

    def _slot_string(self, client: GhlClient, start: datetime) -> str:
        """GHL's own string for ``start`` from a fresh free-slots answer for that day in the
        location's zone; else the start in that zone with its offset."""
        zone = _zone(self.account.timezone or self.workspace.timezone)
        local = start.astimezone(zone)
        day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
        try:
            free = client.free_slots(
                self.account.calendar_id, day_start, day_start + timedelta(days=1), zone.key
            )
        except ProviderAuthError:
            raise
        except ProviderError as exc:
            logger.warning("GHL free-slots re-check failed before booking: %s", exc.detail)
            free = []
        for slot in free:
            if slot.start == start:
                return slot.raw
        return local.isoformat(timespec="seconds")


def _identities(lead: Lead) -> list[str]:
    return list(
        LeadIdentity.objects.filter(lead=lead, provider=PROVIDER)
        .order_by("-created_at", "-id")
        .values_list("external_id", flat=True)
    )


def _result(appointment: Appointment) -> BookingResult:
    return BookingResult(
        ref=BookingRef(provider=PROVIDER, external_id=appointment.id),
        start=appointment.start,
        end=appointment.end,
    )


def _title(lead: Lead) -> str:
    return f"Call with {lead.display_name}"[:200]


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _now() -> datetime:
    return dj_timezone.now()
