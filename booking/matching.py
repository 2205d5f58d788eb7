"""Which lead a provider event belongs to, in DOMAIN.md's order, inside one workspace only:

1. the lead id we carried ourselves (e.g. Calendly's tracking ``utm_content`` on a link we sent),
   or an id at the provider we stored for the lead (a GHL contact id);
2. a previous appointment with the same provider ids;
3. the e-mail, both sides in their canonical form (workspaces.validators.normalize_email),
   compared exactly: ``Owner@BigCorp.IO`` finds ``owner@bigcorp.io``, a look-alike such as
   ``owner@bıgcorp.io`` (its domain is ``xn--bgcorp-p9a.io``) never does;
4. the phone (E.164).

No match: the workspace's ``unmatched_bookings`` setting decides between creating a lead (source
= the provider) and leaving the event unmatched (``None``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from booking.models import Appointment
from workspaces.models import Lead, LeadIdentity, Workspace
from workspaces.validators import normalize_email, normalize_phone, without_control_characters


@dataclass(frozen=True)
class Invitee:
    """Who a provider says booked: whatever the event carried, all optional."""

    email: str = ""
    phone: str = ""
    first_name: str = ""
    last_name: str = ""
    name: str = ""
    timezone: str = ""


def match_lead(
    *,
    workspace: Workspace,
    provider: str,
    invitee: Invitee,
    booking_external_id: str = "",
    lead_id_hint: str = "",
    contact_id: str = "",
    create: bool | None = None,
) -> Lead | None:
    lead = (
        _by_hint(workspace, lead_id_hint)
        or _by_identity(workspace, provider, contact_id)
        or _by_appointment(workspace, provider, booking_external_id)
        or _by_email(workspace, invitee.email)
        or _by_phone(workspace, invitee.phone)
    )
    if lead is None:
        if create is None:
            create = workspace.unmatched_bookings == Workspace.UnmatchedPolicy.CREATE_LEAD
        if not create:
            return None
        lead = _create(workspace, provider, invitee)
    if contact_id:
        remember_identity(lead=lead, provider=provider, external_id=contact_id)
    return lead


def remember_identity(*, lead: Lead, provider: str, external_id: str) -> None:
    LeadIdentity.objects.get_or_create(
        workspace_id=lead.workspace_id,
        provider=provider,
        external_id=external_id,
        defaults={"lead": lead},
    )


def _by_hint(workspace, hint: str) -> Lead | None:
    if not hint or not str(hint).isdigit():
        return None
    return Lead.objects.filter(workspace=workspace, pk=int(hint)).first()


def _by_identity(workspace, provider, contact_id) -> Lead | None:
    if not contact_id:
        return None
    identity = (
        LeadIdentity.objects.filter(workspace=workspace, provider=provider, external_id=contact_id)
        .select_related("lead")
        .first()
    )
    return identity.lead if identity else None


def _by_appointment(workspace, provider, external_id) -> Lead | None:
    if not external_id:
        return None
    appointment = (
        Appointment.objects.filter(workspace=workspace, provider=provider, external_id=external_id)
        .select_related("lead")
        .first()
    )
    return appointment.lead if appointment else None


def _clean_email(value: str) -> str:
    try:
        return normalize_email(value) if value else ""
    except ValidationError:
        return ""


def _clean_phone(value: str) -> str:
    try:
        return normalize_phone(value) if value else ""
    except ValidationError:
        return ""


def _by_email(workspace, email) -> Lead | None:
    email = _clean_email(email)
    return Lead.objects.filter(workspace=workspace, email=email).first() if email else None


def _by_phone(workspace, phone) -> Lead | None:
    phone = _clean_phone(phone)
    return Lead.objects.filter(workspace=workspace, phone=phone).first() if phone else None


def _create(workspace, provider, invitee: Invitee) -> Lead:
    # A provider's event can't be refused for a name: a line break or a bidi override in it
    # would still break an e-mail header or hide text on a page, so it is dropped here.
    first, last = map(without_control_characters, (invitee.first_name, invitee.last_name))
    if not (first or last) and invitee.name:
        first, _, last = without_control_characters(invitee.name).partition(" ")
    fields = {
        "first_name": first[:100],
        "last_name": last[:100],
        "email": _clean_email(invitee.email),
        "phone": _clean_phone(invitee.phone),
        "timezone": invitee.timezone if _valid_zone(invitee.timezone) else "",
        "status": Lead.Status.QUALIFIED,
        "source": provider,
    }
    try:
        with transaction.atomic():
            return Lead.objects.create(workspace=workspace, **fields)
    except IntegrityError:  # a concurrent event created the same person first
        return _by_email(workspace, fields["email"]) or _by_phone(workspace, fields["phone"])


def _valid_zone(name: str) -> bool:
    import zoneinfo

    return bool(name) and name in zoneinfo.available_timezones()
