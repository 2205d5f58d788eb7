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
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from booking.models import Appointment, BookingAttempt, OfferedSlot
from workspaces.models import Lead, LeadIdentity, Workspace
from workspaces.validators import normalize_email, normalize_phone, without_control_characters

IN_FLIGHT = (BookingAttempt.State.PENDING, BookingAttempt.State.UNKNOWN)
_LEAD, _APPOINTMENT, _IDENTITY, _ATTEMPT, _SLOT = (
    connection.ops.quote_name(model._meta.db_table)
    for model in (Lead, Appointment, LeadIdentity, BookingAttempt, OfferedSlot)
)


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
    booking_external_ids: tuple[str, ...] = (),
    lock: bool = False,
    in_flight_at: datetime | None = None,
) -> Lead | None:
    """The lead, found in one statement whatever the number of ways to look (DOMAIN.md's order
    is the statement's ORDER BY). ``booking_external_ids``: more provider ids of the booking,
    after ``booking_external_id``, in the order they count (a reschedule's other half).

    ``lock``: the lead's row is locked by the same statement (FOR UPDATE of the one row chosen),
    for a caller about to call the lifecycle with ``locked=True`` in this transaction.
    ``in_flight_at``: the lead comes with ``booking_in_flight``, whether our own booking attempt
    at that start is still pending or unknown while no appointment has these ids yet."""
    uris = list(dict.fromkeys(u for u in (booking_external_id, *booking_external_ids) if u))
    lead = _find(
        workspace,
        provider,
        hint=lead_id_hint,
        contact_id=contact_id,
        uris=uris,
        email=_clean_email(invitee.email),
        phone=_clean_phone(invitee.phone),
        lock=lock,
        in_flight_at=in_flight_at,
    )
    if lead is None:
        if create is None:
            create = workspace.unmatched_bookings == Workspace.UnmatchedPolicy.CREATE_LEAD
        if not create:
            return None
        lead = _create(workspace, provider, invitee, lock=lock)
        lead.booking_in_flight = False
    if contact_id:
        remember_identity(lead=lead, provider=provider, external_id=contact_id)
    return lead


def _find(workspace, provider, *, hint, contact_id, uris, email, phone, lock, in_flight_at):
    """One statement, written here rather than built by the ORM: it runs for every delivery,
    and composing it through the ORM (each way twice, in WHERE and in ORDER BY) cost more CPU
    than anything else the worker does for a delivery."""
    ways = _ways(workspace, provider, hint=hint, contact_id=contact_id, uris=uris)
    ways += [("l.email = %s", [email])] if email else []
    ways += [("l.phone = %s", [phone])] if phone else []
    if not ways:
        return None
    columns, params = "l.*", []
    if in_flight_at is not None:
        flight_sql, params = _in_flight(workspace, provider, uris[:1], in_flight_at)
        columns += f", {flight_sql} AS booking_in_flight"
    params.append(workspace.pk)
    for _, way_params in ways:
        params += way_params
    rank = "l.id"
    if len(ways) > 1:
        rank = f"CASE {' '.join(f'WHEN ({w}) THEN {n}' for n, (w, _) in enumerate(ways))} END, l.id"
        for _, way_params in ways:
            params += way_params
    where = " OR ".join(f"({w})" for w, _ in ways)
    sql = f"SELECT {columns} FROM {_LEAD} l WHERE l.workspace_id = %s AND ({where}) "
    sql += f"ORDER BY {rank} LIMIT 1"
    if lock and connection.features.has_select_for_update_of:
        sql += " FOR UPDATE OF l"
    lead = next(iter(Lead.objects.raw(sql, params)), None)
    if lead is not None:
        lead.workspace = workspace  # the caller's row: no second read of it
        if in_flight_at is not None:
            lead.booking_in_flight = bool(lead.booking_in_flight)
    return lead


def _ways(workspace, provider, *, hint, contact_id, uris) -> list[tuple[str, list]]:
    """The ways before the e-mail and the phone, in the order they count. An id found in
    another table is ``l.id = ANY(ARRAY(subquery))`` on PostgreSQL: the subquery runs once and
    the lead is fetched by its primary key inside the OR (a plain ``IN (subquery)`` there is a
    filter over every lead of the workspace)."""
    ways = []
    if hint and str(hint).isdigit():
        ways.append(("l.id = %s", [int(hint)]))
    lookups = [(_IDENTITY, contact_id)] if contact_id else []
    lookups += [(_APPOINTMENT, uri) for uri in uris]
    any_of = "l.id = ANY(ARRAY({}))" if connection.vendor == "postgresql" else "l.id IN ({})"
    for table, external_id in lookups:
        subquery = (
            f"SELECT lead_id FROM {table} WHERE workspace_id = %s AND provider = %s "
            "AND external_id = %s"
        )
        ways.append((any_of.format(subquery), [workspace.pk, provider, external_id]))
    return ways


def _in_flight(workspace, provider, uris, start) -> tuple[str, list]:
    """Whether our own booking attempt at ``start`` is still pending or unknown while no
    appointment has the booking's id yet."""
    sql = (
        f"(EXISTS (SELECT 1 FROM {_ATTEMPT} a INNER JOIN {_SLOT} s ON s.id = a.slot_id "
        "WHERE a.lead_id = l.id AND a.provider = %s AND a.state IN (%s, %s) AND s.start_at = %s) "
        f"AND NOT EXISTS (SELECT 1 FROM {_APPOINTMENT} WHERE workspace_id = %s "
        "AND provider = %s AND external_id = %s))"
    )
    when = connection.ops.adapt_datetimefield_value(start)
    return sql, [provider, *IN_FLIGHT, when, workspace.pk, provider, uris[0] if uris else ""]


def remember_identity(*, lead: Lead, provider: str, external_id: str) -> None:
    LeadIdentity.objects.get_or_create(
        workspace_id=lead.workspace_id,
        provider=provider,
        external_id=external_id,
        defaults={"lead": lead},
    )


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


def _create(workspace, provider, invitee: Invitee, *, lock: bool = False) -> Lead:
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
            # Nobody else sees the new row before commit: it needs no lock.
            return Lead.objects.create(workspace=workspace, **fields)
    except IntegrityError:  # a concurrent event created the same person first
        lead = _by_email(workspace, fields["email"]) or _by_phone(workspace, fields["phone"])
    if lock and lead is not None:
        lead = Lead.objects.select_for_update(of=("self",)).get(pk=lead.pk)
    return lead


def _valid_zone(name: str) -> bool:
    import zoneinfo

    return bool(name) and name in zoneinfo.available_timezones()
