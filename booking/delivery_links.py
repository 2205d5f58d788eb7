"""Finds the appointment (and so the lead) each webhook delivery was about, for the
Integrations tab's deliveries table: a delivery names its booking by the provider's ids, which
are our appointments' ``external_id``/``secondary_id``. One query for the whole table."""

from __future__ import annotations

from django.db.models import Q

from booking.models import Appointment
from integrations.delivery_links import DeliveryLink
from integrations.payloads import strings_in


def find_links(*, workspace, bodies: dict[int, bytes]) -> dict[int, DeliveryLink]:
    named = {pk: strings_in(raw) for pk, raw in bodies.items()}
    every = set().union(*named.values())
    if not every:
        return {}
    appointments = Appointment.objects.filter(workspace=workspace).filter(
        Q(external_id__in=every) | Q(secondary_id__in=every)
    )
    by_id: dict[str, Appointment] = {}
    for appointment in appointments.select_related("lead").order_by("-start_at", "-id"):
        by_id.setdefault(appointment.external_id, appointment)
        if appointment.secondary_id:
            by_id.setdefault(appointment.secondary_id, appointment)
    links = {}
    for pk, strings in named.items():
        # The invitee (external id) is a closer match than the event it belongs to.
        found = [by_id[s] for s in strings if s in by_id]
        if found:
            appointment = min(found, key=lambda a: (a.external_id not in strings, -a.pk))
            links[pk] = DeliveryLink(
                lead_id=appointment.lead_id,
                lead_name=appointment.lead.display_name,
                appointment_id=appointment.pk,
                appointment_start=appointment.start_at,
                appointment_status=appointment.get_status_display(),
            )
    return links
