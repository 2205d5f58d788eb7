import zoneinfo
from dataclasses import dataclass
from datetime import datetime

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone as dj_timezone
from django.views.decorators.http import require_POST

from booking import offers
from booking.attempts import BookingRefused, book_offered_slot
from booking.forms import ReplyForm, TaskForm
from booking.in_flight import attempt_in_flight, refusal
from booking.inbound import receive_message
from booking.models import Appointment, BookingAttempt, OfferedSlot
from booking.selectors import (
    appointments_for,
    appointments_of_lead,
    appointments_version,
    hosts_of,
    live_appointment_of,
)
from booking.suggestions import book_suggestion
from followups import services as followups
from followups.errors import ProviderError
from followups.models import Task
from workspaces import keyset, provider_choices
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
    if provider not in dict(provider_choices.choices()):
        provider = ""
    version = appointments_version(workspace=workspace)
    if request.headers.get("X-Seen-Version") == version:
        return HttpResponse(status=204)  # a live poll, and nothing changed: keep the page as is
    host = _host_filter(request)
    qs = appointments_for(
        workspace=workspace, when=when, status=status, provider=provider, host=host
    )
    # By keyset, past ones newest first: no count, and page 200 costs what page 1 does. An old
    # ``?page=N`` link shows the first page.
    page = keyset.page_of(
        qs,
        field="start_at",
        descending=when == "past",
        after=request.GET.get("after", ""),
        before=request.GET.get("before", ""),
        size=PAGE_SIZE,
    )
    return render(
        request,
        "booking/appointment_list.html",
        {
            "page": page,
            "when": when,
            "status": status,
            "provider": provider,
            "statuses": Appointment.Status.choices,
            "providers": provider_choices.choices(),
            "tz": zoneinfo.ZoneInfo(workspace.timezone),
            "host": "me" if request.GET.get("host", "").strip().lower() == "me" else host,
            "hosts": hosts_of(workspace=workspace),
            "version": version,
        },
    )


def _host_filter(request) -> str:
    """The host e-mail to filter on: ``host=me`` is the signed-in member (a setter who is also
    a Calendly host); anything that is not an e-mail filters nothing."""
    wanted = request.GET.get("host", "").strip().lower()
    if wanted == "me":
        return (request.user.email or "").strip().lower() or "-"
    return wanted if "@" in wanted else ""


@workspace_view(roles=MEMBERS)
def lead_detail(request, lead_id):
    lead = _lead(request, lead_id)
    flying = attempt_in_flight(lead)
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
            # While an attempt may still book the lead, the buttons say why they refuse, and
            # the page refreshes itself until it ends.
            "in_flight": flying,
            "in_flight_reason": refusal(flying) if flying else "",
            "attempt_in_flight": flying is not None,
            "live_meeting": live_appointment_of(lead=lead),
            "tasks": lead.tasks.filter(state=Task.State.OPEN).order_by("due_at", "id"),
            "task_form": TaskForm(),
            "reply_form": ReplyForm(),
        },
    )


@require_POST
@workspace_view(roles=MEMBERS)
def lead_log_reply(request, lead_id):
    """Log a reply the lead gave some other way; it then goes where every reply goes (the
    follow-up engine, then auto-booking after commit), exactly as one from the API does."""
    lead = _lead(request, lead_id)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(e for field in form.errors.values() for e in field)
        messages.error(request, f"The reply was not logged: {errors}")
    else:
        _, created = receive_message(
            lead=lead,
            channel=form.cleaned_data["channel"],
            body=form.cleaned_data["body"],
            received_at=dj_timezone.now(),
            provider="manual",
            provider_message_id=f"manual:{form.cleaned_data['nonce']}",
        )
        if created:
            messages.success(request, "Reply logged; it is read like any other reply.")
    return redirect("lead_detail", workspace_id=request.workspace.public_id, lead_id=lead.pk)


@require_POST
@workspace_view(roles=MEMBERS)
def lead_add_task(request, lead_id):
    """A member notes something to do about the lead (a ``manual`` task for the setters)."""
    lead = _lead(request, lead_id)
    form = TaskForm(request.POST)
    # A due time typed on the page is the workspace's wall-clock time.
    with dj_timezone.override(zoneinfo.ZoneInfo(request.workspace.timezone)):
        valid = form.is_valid()
    if valid:
        followups.open_task(
            lead=lead,
            kind=Task.Kind.MANUAL,
            title=form.cleaned_data["title"],
            detail=form.cleaned_data["detail"],
            due_at=form.cleaned_data["due_at"],
            # A double-submitted form opens one task.
            dedupe_key=f"manual:{lead.pk}:{form.cleaned_data['nonce']}",
        )
        messages.success(request, "Task added.")
    else:
        errors = "; ".join(e for field in form.errors.values() for e in field)
        messages.error(request, f"The task was not added: {errors}")
    return redirect("lead_detail", workspace_id=request.workspace.public_id, lead_id=lead.pk)


@require_POST
@workspace_view(roles=MEMBERS)
def lead_opt_out(request, lead_id):
    """The lead asked (by phone, in person...) to hear nothing more: stop everything, for good."""
    lead = _lead(request, lead_id)
    if lead.status == Lead.Status.OPTED_OUT:
        messages.info(request, "This lead had already opted out.")
    else:
        followups.opt_out(lead=lead, actor=request.user)
        messages.success(
            request, "The lead is opted out: nothing will be sent to, offered to or booked for it."
        )
    return redirect("lead_detail", workspace_id=request.workspace.public_id, lead_id=lead.pk)


@require_POST
@workspace_view(roles=SETTERS)
def lead_make_offer(request, lead_id):
    lead = _lead(request, lead_id)
    if (flying := attempt_in_flight(lead)) is not None:
        messages.error(request, refusal(flying))
        return redirect("lead_detail", workspace_id=request.workspace.public_id, lead_id=lead.pk)
    if live_appointment_of(lead=lead) is not None:
        messages.info(request, "This lead already has a meeting booked: no times were offered.")
        return redirect("lead_detail", workspace_id=request.workspace.public_id, lead_id=lead.pk)
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
    if (flying := attempt_in_flight(lead)) is not None:
        messages.error(request, refusal(flying))
        return redirect("lead_detail", workspace_id=request.workspace.public_id, lead_id=lead.pk)
    try:
        attempt = book_offered_slot(slot=slot, user=request.user)
    except BookingRefused as exc:
        messages.error(request, exc.safe_message)
    else:
        level, text = _attempt_message(attempt, zoneinfo.ZoneInfo(slot.offer.timezone))
        messages.add_message(request, level, text)
    return redirect("lead_detail", workspace_id=request.workspace.public_id, lead_id=lead.pk)


@require_POST
@workspace_view(roles=SETTERS)
def task_book_suggestion(request, task_id):
    """The "Book Option N" button of a task naming the time a reply probably meant (the Tasks
    page and the lead page): books it through the manual path and closes the task."""
    task = get_object_or_404(
        Task.objects.select_related("lead"), pk=task_id, workspace=request.workspace
    )
    try:
        attempt = book_suggestion(task=task, user=request.user)
    except BookingRefused as exc:
        messages.error(request, exc.safe_message)
    else:
        level, text = _attempt_message(attempt, zoneinfo.ZoneInfo(attempt.slot.offer.timezone))
        messages.add_message(request, level, text)
    if request.POST.get("back") == "lead":
        return redirect(
            "lead_detail", workspace_id=request.workspace.public_id, lead_id=task.lead_id
        )
    return redirect("task_list", workspace_id=request.workspace.public_id)


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
    """Messages to the lead, as the follow-up engine recorded them (queued, sent or failed)."""
    return [
        Entry(m.sent_at or m.created_at, "out", m.channel, m.body, _delivery_note(m))
        for m in lead.outbound_messages.order_by("-created_at", "-id")[:limit]
    ]


def _delivery_note(message) -> str:
    note = message.get_state_display()
    return f"{note}: {message.error}" if message.error else note
