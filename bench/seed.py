"""The benchmark's data: a workspace with Calendly connected and N leads, and the signed
``invitee.created`` deliveries sent to it.

The workspace is made through the product's own code (its default follow-up sequences come
with it), its Calendly connection through ``integrations.connections.connect`` exactly as
``calendly/connection.py`` stores a personal-token connection (tokens and webhook signing key
encrypted, the Discovery Call event type chosen). The leads are inserted in one
``INSERT … SELECT generate_series`` (a million in well under a minute).

Each delivery is shaped like ``tests/fixtures/calendly/invitee_created.json``, with its own
invitee URI, for an existing lead: half carry the lead's id in ``tracking.utm_content`` (a link
we sent, with another e-mail typed in), half only the lead's e-mail (in another case than we
store it). So every one matches a lead and none creates one.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from calendly.signatures import SIGNATURE_HEADER, sign

API = "https://api.calendly.com"
USER_URI = f"{API}/users/8f1e2d3c-aaaa-4bbb-8ccc-0d1e2f3a4b5c"
ORG_URI = f"{API}/organizations/0a9b8c7d-1111-4222-8333-444455556666"
EVENT_TYPE_URI = f"{API}/event_types/5a2b1c3d-0000-4e8f-9a10-1b2c3d4e5f60"
ACCESS_TOKEN = "eyJraWQiOiIxY2UxZTEzNjE3.bench-personal-access-token-wxyz"  # noqa: S105
SIGNING_KEY = "whsec-bench-signing-key-0123456789abcdef"
WORKSPACE_NAME = "Bench Agency"
LEAD_DOMAIN = "bench.example"


@dataclass(frozen=True)
class Seeded:
    workspace_id: int
    public_id: str
    first_lead_id: int
    leads: int
    signing_key: str
    seconds: float


def seed(*, leads: int) -> Seeded:
    """Make the workspace, its Calendly connection and ``leads`` leads (an empty database)."""
    from django.db import connection, transaction

    from integrations import connections
    from workspaces.models import Workspace

    started = time.perf_counter()
    with transaction.atomic():
        workspace = Workspace.objects.create(
            name=WORKSPACE_NAME,
            booking_provider="calendly",
            timezone="America/New_York",
        )
        connections.connect(
            workspace=workspace,
            provider="calendly",
            secrets={"access_token": ACCESS_TOKEN, "webhook_signing_key": SIGNING_KEY},
            config={
                "auth": "token",
                "user_uri": USER_URI,
                "user_name": "Casey Closer",
                "user_email": "closer@agency.example",
                "organization_uri": ORG_URI,
                "scheduling_url": "https://calendly.com/casey-closer",
                "timezone": "America/New_York",
                "event_type_uri": EVENT_TYPE_URI,
                "event_type_name": "Discovery Call",
                "event_type_duration": 30,
                "event_type_url": "https://calendly.com/casey-closer/discovery-call",
                "required_questions": [],
            },
            display_name="Casey Closer (closer@agency.example)",
            token_hint=ACCESS_TOKEN,
            actor_label="benchmark",
        )
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO workspaces_lead (workspace_id, first_name, last_name, email, phone,
                                         timezone, status, source, created_at, updated_at)
            SELECT %s, 'Lead', 'Number ' || i, 'lead' || i || '@' || %s,
                   '+1312' || lpad(i::text, 7, '0'), 'America/Chicago', 'qualified', 'bench',
                   now(), now()
            FROM generate_series(1, %s) AS i
            """,
            [workspace.pk, LEAD_DOMAIN, leads],
        )
        cursor.execute("ANALYZE")
        cursor.execute(
            "SELECT min(id), count(*) FROM workspaces_lead WHERE workspace_id = %s",
            [workspace.pk],
        )
        first_id, count = cursor.fetchone()
    assert count == leads, f"seeded {count} leads, not {leads}"
    return Seeded(
        workspace_id=workspace.pk,
        public_id=str(workspace.public_id),
        first_lead_id=first_id,
        leads=leads,
        signing_key=SIGNING_KEY,
        seconds=time.perf_counter() - started,
    )


@dataclass(frozen=True)
class Delivery:
    """One signed delivery, ready to go on the wire. ``key`` is its invitee URI."""

    key: str
    body: bytes
    signature: str
    duplicate: bool = False

    @property
    def headers(self) -> dict[str, str]:
        return {SIGNATURE_HEADER: self.signature}


class DeliveryFactory:
    """Makes unique ``invitee.created`` bodies for random existing leads, fast: the fixture's
    JSON is rendered once into a template and each body only fills in its own values."""

    def __init__(self, *, seeded: Seeded, rng: random.Random | None = None):
        self.seeded = seeded
        self.rng = rng or random.Random(9)
        self.template = _template()
        self.base_start = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=2)
        self.made = 0

    def make(self, *, t: int) -> Delivery:
        index = self.rng.randrange(self.seeded.leads)  # 0-based: lead number index + 1
        number = index + 1
        lead_id = self.seeded.first_lead_id + index
        event_id = uuid.uuid4()
        event_uri = f"{API}/scheduled_events/{event_id}"
        invitee_uri = f"{event_uri}/invitees/{uuid.uuid4()}"
        start = self.base_start + timedelta(minutes=30 * (self.made % 20_000))
        now = datetime.now(UTC)
        by_link = self.made % 2 == 0
        if by_link:  # our link, the lead typed another address: only utm_content can match
            email, utm = f"someone.else+{number}@elsewhere.example", f'"{lead_id}"'
        else:  # booked from Calendly's page with the address we know, in another case
            email, utm = f"Lead{number}@Bench.Example", "null"
        body = self.template.format(
            invitee=invitee_uri,
            event=event_uri,
            email=email,
            utm=utm,
            start=_iso(start),
            end=_iso(start + timedelta(minutes=30)),
            now=_iso(now),
            first="Lead",
            last=f"Number {number}",
        ).encode()
        self.made += 1
        return Delivery(key=invitee_uri, body=body, signature=sign(body, SIGNING_KEY, t))


def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _template() -> str:
    """The fixture's body as a ``str.format`` template (placeholders in ``{…}``)."""
    event = "@@event@@"
    payload = {
        "created_at": "@@now@@",
        "created_by": USER_URI,
        "event": "invitee.created",
        "payload": {
            "uri": "@@invitee@@",
            "email": "@@email@@",
            "first_name": "@@first@@",
            "last_name": "@@last@@",
            "name": "@@first@@ @@last@@",
            "status": "active",
            "questions_and_answers": [
                {
                    "question": "What would you like to discuss?",
                    "answer": "Pricing for 3 locations",
                    "position": 0,
                }
            ],
            "timezone": "America/Chicago",
            "event": event,
            "created_at": "@@now@@",
            "updated_at": "@@now@@",
            "tracking": {
                "utm_campaign": None,
                "utm_source": None,
                "utm_medium": None,
                "utm_content": "@@utm@@",
                "utm_term": None,
                "salesforce_uuid": None,
            },
            "text_reminder_number": None,
            "rescheduled": False,
            "old_invitee": None,
            "new_invitee": None,
            "cancel_url": "https://calendly.com/cancellations/bench",
            "reschedule_url": "https://calendly.com/reschedulings/bench",
            "routing_form_submission": None,
            "cancellation": None,
            "payment": None,
            "no_show": None,
            "reconfirmation": None,
            "scheduling_method": None,
            "invitee_scheduled_by": None,
            "scheduled_event": {
                "uri": event,
                "name": "Discovery Call",
                "meeting_notes_plain": None,
                "meeting_notes_html": None,
                "status": "active",
                "start_time": "@@start@@",
                "end_time": "@@end@@",
                "event_type": EVENT_TYPE_URI,
                "location": {
                    "type": "zoom",
                    "status": "pushed",
                    "join_url": "https://us02web.zoom.us/j/81234567890",
                },
                "invitees_counter": {"total": 1, "active": 1, "limit": 1},
                "created_at": "@@now@@",
                "updated_at": "@@now@@",
                "event_memberships": [
                    {
                        "user": USER_URI,
                        "user_email": "closer@agency.example",
                        "user_name": "Casey Closer",
                    }
                ],
                "event_guests": [],
                "cancellation": None,
            },
        },
    }
    text = json.dumps(payload, indent=2).replace("{", "{{").replace("}", "}}")
    text = text.replace('"@@utm@@"', "{utm}")
    for name in ("invitee", "event", "email", "first", "last", "start", "end", "now"):
        text = text.replace(f"@@{name}@@", "{" + name + "}")
    return text
