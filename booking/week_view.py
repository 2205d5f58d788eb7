"""The appointments week view: a calendar grid beside today's list, in the workspace's zone or
the viewer's (``?zone=``), with the same status and provider filters as the list, all in the
URL so a view can be bookmarked and shared."""

from datetime import datetime, time, timedelta
from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from booking.models import Appointment
from booking.selectors import appointments_version
from booking.week import (
    TODAY_LIMIT,
    appointments_in,
    build_week,
    first_of_each_day,
    slots_of,
    week_of,
)
from workspaces import provider_choices
from workspaces.access import MEMBERS, workspace_view
from workspaces.formatting import zone_named


@workspace_view(roles=MEMBERS)
def appointment_week(request):
    workspace = request.workspace
    version = appointments_version(workspace=workspace)
    if request.headers.get("X-Seen-Version") == version:
        return HttpResponse(status=204)  # a live poll, and nothing changed
    status = request.GET.get("status", "")
    provider = request.GET.get("provider", "")
    status = status if status in Appointment.Status.values else ""
    provider = provider if provider in dict(provider_choices.choices()) else ""
    asked_zone = request.GET.get("zone", "")
    zone = zone_named(asked_zone, workspace.timezone)
    zone_param = asked_zone if asked_zone and zone.key == asked_zone else ""
    today = timezone.now().astimezone(zone).date()
    week = week_of(request.GET.get("week"), zone, today=today)
    filters = {"status": status, "provider": provider}
    rows = appointments_in(workspace=workspace, start=week.start, end=week.end, **filters)
    day_start = datetime.combine(today, time.min, tzinfo=zone)
    today_rows = first_of_each_day(
        appointments_in(
            workspace=workspace, start=day_start, end=day_start + timedelta(days=1), **filters
        ),
        zone,
        limit=TODAY_LIMIT,
    )
    today_slots = slots_of(today_rows, zone=zone, workspace_public_id=workspace.public_id)
    week_slots = slots_of(
        first_of_each_day(rows, zone), zone=zone, workspace_public_id=workspace.public_id
    )
    keep = {k: v for k, v in {**filters, "zone": zone_param}.items() if v}
    return render(
        request,
        "booking/appointment_week.html",
        {
            "week": week,
            "version": version,
            "days": build_week(week, week_slots, today=today),
            "today": today,
            "today_appointments": today_slots,
            "today_more": (
                today_slots[0].appointment.day_total - len(today_slots) if today_slots else 0
            ),
            "tz": zone,
            "zone_param": zone_param,
            "status": status,
            "provider": provider,
            "statuses": Appointment.Status.choices,
            "providers": provider_choices.choices(),
            "prev_query": urlencode({**keep, "week": week.previous.isoformat()}),
            "next_query": urlencode({**keep, "week": week.next.isoformat()}),
            "this_week_query": urlencode(keep),
        },
    )
