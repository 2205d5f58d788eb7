import zoneinfo
from dataclasses import dataclass
from datetime import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from booking import offers
from booking.autobook import BookingRefused, book_offered_slot
from booking.models import Appointment, BookingAttempt, OfferedSlot
from booking.selectors import appointments_for, appointments_of_lead
from integrations.errors import ProviderError
from workspaces.access import MEMBERS, SETTERS, workspace_view
from workspaces.models import Lead

PAGE_SIZE = 25


@workspace_view(roles=MEMBERS)
def appointment_list(request):
    workspace = request.workspace
    when = "past" if request.GET.get("when") == "past" else "upcoming"
    status = request.GET.get("status", "")
    provider = request.GET.get("provider", "")
    if status not in Appointment.Status.values:
        status = ""
    if provider not in workspace.Provider.values:
        provider = ""
    qs = appointments_for(workspace=workspace, when=when, status=status, provider=provider)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "booking/appointment_list.html",
        {
            "page": page,
            "when": when,
            "status": status,
            "provider": provider,
            "statuses": Appointment.Status.choices,
            "providers": workspace.Provider.choices,
            "tz": zoneinfo.ZoneInfo(workspace.timezone),
        },
    )


@workspace_view(roles=MEMBERS)
def lead_detail(request, lead_id):
    lead = _lead(request, lead_id)
    return render(
        request,
        "booking/lead_detail.html",
        {
            "lead": lead,
            "appointments": appointments_of_lead(lead=lead),
            "tz": zoneinfo.ZoneInfo(lead.effective_timezone),
            "conversation": _conversation(lead),
            "offer": offers.open_offer_of(lead=lead),
            "attempts": lead.booking_attempts.select_related(
                "slot", "appointment", "message", "created_by"
            ),
            "can_book": bool(request.workspace_roles & SETTERS),
        },
    )


@require_POST
@workspace_view(roles=SETTERS)
def lead_make_offer(request, lead_id):
    lead = _lead(request, lead_id)
    replacing = request.POST.get("replacing", "")
    try:
        offer = offers.offer_times(
            lead=lead, replacing=int(replacing) if replacing.isdigit() else None
        )
    except offers.OfferChanged as exc:
        messages.info(request, exc.safe_message)
    except (offers.OfferError, ProviderError) as exc:
        messages.error(request, exc.safe_message)
    else:
        channel = offers.default_channel(lead)
        offers.send_offer(offer=offer, channel=channel)
        messages.success(request, f"Offered {offer.slots.count()} times to the lead by {channel}.")
    return redirect("lead_detail", workspace_id=request.workspace.public_id, lead_id=lead.pk)


@require_POST
@workspace_view(roles=SETTERS)
def lead_book_slot(request, lead_id, slot_id):
    lead = _lead(request, lead_id)
    slot = get_object_or_404(
        OfferedSlot.objects.select_related("offer"), pk=slot_id, offer__lead=lead
    )
    try:
        attempt = book_offered_slot(slot=slot, user=request.user)
    except BookingRefused as exc:
        messages.error(request, exc.safe_message)
    else:
        level, text = _attempt_message(attempt, zoneinfo.ZoneInfo(slot.offer.timezone))
        messages.add_message(request, level, text)
    return redirect("lead_detail", workspace_id=request.workspace.public_id, lead_id=lead.pk)


def _lead(request, lead_id) -> Lead:
    return get_object_or_404(
        Lead.objects.select_related("workspace"), pk=lead_id, workspace=request.workspace
    )


def _attempt_message(attempt: BookingAttempt, zone) -> tuple[int, str]:
    when = offers.format_time(attempt.slot.start_at, zone)
    if attempt.state == BookingAttempt.State.BOOKED:
        return messages.SUCCESS, f"Booked {when}."
    if attempt.state == BookingAttempt.State.FAILED:
        return messages.ERROR, f"Could not book {when}: {attempt.error}"
    if attempt.state == BookingAttempt.State.UNKNOWN:
        return messages.WARNING, f"The calendar did not answer for {when}: {attempt.error}"
    return messages.INFO, f"Booking {when} is already under way."


@dataclass(frozen=True)
class Entry:
    """One line of the conversation: a reply from the lead or a message to it."""

    at: datetime
    direction: str  # "in" or "out"
    channel: str
    body: str
    note: str = ""


def _conversation(lead: Lead, limit: int = 100) -> list[Entry]:
    inbound = [
        Entry(m.received_at, "in", m.channel, m.body, m.autobook_detail)
        for m in lead.inbound_messages.order_by("-received_at", "-id")[:limit]
    ]
    return sorted(inbound + _outbound(lead, limit), key=lambda e: e.at)


def _outbound(lead: Lead, limit: int) -> list[Entry]:
    """Messages to the lead, as the follow-up engine recorded them."""
    related = getattr(lead, "outbound_messages", None)
    if related is None:
        return []
    entries = []
    for m in related.order_by("-created_at", "-id")[:limit]:
        at = getattr(m, "sent_at", None) or m.created_at
        note = getattr(m, "get_status_display", lambda: "")()
        entries.append(Entry(at, "out", m.channel, m.body, note))
    return entries
