"""Every webhook endpoint of the product, as the abuse and fault tests knock on it.

One ``WebhookEndpoint`` per provider; ``ENDPOINTS`` is what the tests parametrise over, so a new
provider's endpoint is covered by adding one entry. ``endpoint.open(workspace=..., settings=...)``
(``settings`` is pytest-django's fixture) connects the provider for that workspace the way its
admin would and returns a ``Door``:

    door.url              where the provider POSTs this workspace's deliveries
    door.signers          functions body -> headers that authenticate the body (each way the
                          provider may sign: GHL has two)
    door.forgeries        a hypothesis strategy of ``Forgery``: body -> headers that must be
                          refused (wrong key, wrong secret, a signature of another body...)
    door.body(n)          the n-th distinct, well-formed delivery; it maps to ``door.lead``
    door.samples          (body, signer): a well-formed body of each kind the provider sends,
                          with the way that kind is signed
    door.refusals()       how many requests the connection has counted as refused
    door.effects()        how many of the rows its bodies make exist (GHL: the lead's replies;
                          Calendly: the lead's appointments), to prove each was applied once
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.urls import reverse
from hypothesis import strategies as st

from booking.models import Appointment, InboundMessage
from integrations import connections
from integrations.models import Connection
from tests.factories import LeadFactory
from workspaces.models import Lead, Workspace

Headers = dict[str, str]
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

# Printable header text as a WSGI server hands it over (latin-1), never a line break.
header_text = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
    max_size=120,
)


@dataclass(frozen=True)
class Forgery:
    """A way to fake the authentication of a body; ``name`` says which, for failure reports."""

    name: str
    headers_for: Callable[[bytes], Headers]

    def __repr__(self) -> str:
        return f"Forgery({self.name})"


@dataclass
class Door:
    endpoint: WebhookEndpoint
    provider: str
    workspace: Workspace
    url: str
    lead: Lead
    signers: list[Callable[[bytes], Headers]]
    forgeries: st.SearchStrategy
    body: Callable[[int], bytes]
    samples: list[tuple[bytes, Callable[[bytes], Headers]]]
    effects: Callable[[], int]

    def sign(self, body: bytes) -> Headers:
        return self.signers[0](body)

    def refusals(self) -> int:
        conn = Connection.objects.filter(workspace=self.workspace, provider=self.provider).first()
        return conn.rejected_count if conn else 0


@dataclass(frozen=True)
class WebhookEndpoint:
    name: str
    provider: str
    opener: Callable[..., Door]
    # The answers that make this provider send the delivery again (GHL retries only on 429).
    retry_statuses: frozenset[int]

    def open(self, *, workspace: Workspace, settings) -> Door:
        return self.opener(endpoint=self, workspace=workspace, settings=settings)

    def __repr__(self) -> str:
        return self.name


# GoHighLevel: ``X-GHL-Signature`` (Ed25519 over the raw body, HighLevel's key) or
# ``X-Webhook-Secret`` (the workspace's workflow secret).


def open_ghl(*, endpoint: WebhookEndpoint, workspace: Workspace, settings) -> Door:
    from ghl import connection as ghl_connection
    from ghl.signatures import SIGNATURE_HEADER, WORKFLOW_SECRET_HEADER

    key = Ed25519PrivateKey.generate()
    der = key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    settings.GHL_WEBHOOK_PUBLIC_KEY = base64.b64encode(der).decode()
    connections.connect(
        workspace=workspace,
        provider="ghl",
        secrets={"access_token": "pit-abuse-test-token-0000"},
        config={
            "location_id": "loc-abuse",
            "calendar_id": "cal-abuse",
            "calendar_name": "Discovery Call",
            "timezone": workspace.timezone,
            "slot_minutes": 30,
        },
        display_name="GHL test location",
        token_hint="0000",
    )
    secret = ghl_connection.new_workflow_secret(workspace=workspace)
    lead = LeadFactory(workspace=workspace)

    def by_signature(body: bytes) -> Headers:
        return {SIGNATURE_HEADER: _b64(key.sign(body))}

    def by_secret(body: bytes) -> Headers:
        return {WORKFLOW_SECRET_HEADER: secret}

    def body(n: int) -> bytes:
        return json.dumps(
            {
                "event": "inbound_message",
                "email": lead.email,
                "first_name": lead.first_name,
                "message_body": f"Reply number {n}: Tuesday at 10 works",
                "message_type": "SMS",
                "message_id": f"msg-{workspace.pk}-{n}",
            }
        ).encode()

    other_key = Ed25519PrivateKey.generate()
    forgeries = st.one_of(
        st.just(Forgery("no authentication at all", lambda b: {})),
        header_text.map(
            lambda v: Forgery(f"signature header {v!r}", lambda b: {SIGNATURE_HEADER: v})
        ),
        st.binary(min_size=64, max_size=64).map(
            lambda raw: Forgery(
                "a well-formed signature of random bytes",
                lambda b: {SIGNATURE_HEADER: _b64(raw)},
            )
        ),
        st.just(
            Forgery(
                "signed with another key", lambda b: {SIGNATURE_HEADER: _b64(other_key.sign(b))}
            )
        ),
        st.just(
            Forgery(
                "HighLevel's signature of another body",
                lambda b: {SIGNATURE_HEADER: _b64(key.sign(b + b" "))},
            )
        ),
        header_text.filter(lambda v: v.strip() != secret).map(
            lambda v: Forgery(f"workflow secret {v!r}", lambda b: {WORKFLOW_SECRET_HEADER: v})
        ),
        st.integers(min_value=0, max_value=len(secret) - 1).map(
            lambda i: Forgery(
                f"the secret with character {i} changed",
                lambda b: {WORKFLOW_SECRET_HEADER: _changed_at(secret, i)},
            )
        ),
        st.just(
            Forgery(
                "the secret without its last character",
                lambda b: {WORKFLOW_SECRET_HEADER: secret[:-1]},
            )
        ),
        st.just(
            Forgery(
                "unsigned (N/A) with a wrong secret",
                lambda b: {SIGNATURE_HEADER: "N/A", WORKFLOW_SECRET_HEADER: f"x{secret}"},
            )
        ),
    )
    return Door(
        endpoint=endpoint,
        provider="ghl",
        workspace=workspace,
        url=reverse("ghl_webhook", kwargs={"workspace_id": workspace.public_id}),
        lead=lead,
        signers=[by_secret, by_signature],
        forgeries=forgeries,
        body=body,
        samples=[(body(0), by_secret), *_ghl_fixtures(by_secret, by_signature)],
        effects=lambda: InboundMessage.objects.filter(lead=lead).count(),
    )


def _ghl_fixtures(by_secret, by_signature):
    """The recorded GHL deliveries: workflow ones carry the secret, the others are signed."""
    for path in sorted(FIXTURES.glob("ghl/*_webhook.json")):
        yield path.read_bytes(), by_secret if path.name.startswith("workflow_") else by_signature


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _changed_at(text: str, index: int) -> str:
    replacement = "A" if text[index] != "A" else "B"
    return text[:index] + replacement + text[index + 1 :]


GHL = WebhookEndpoint(name="ghl", provider="ghl", opener=open_ghl, retry_statuses=frozenset({429}))

# Calendly: ``Calendly-Webhook-Signature: t=…,v1=…`` (HMAC-SHA256 of ``t.body`` with the
# signing key we generated and stored for the workspace's subscription).

CALENDLY_API = "https://api.calendly.com"
CALENDLY_EVENT_TYPE = f"{CALENDLY_API}/event_types/5a2b1c3d-0000-4e8f-9a10-1b2c3d4e5f60"
CALENDLY_ORGANIZATION = f"{CALENDLY_API}/organizations/0a9b8c7d-1111-4222-8333-444455556666"


def open_calendly(*, endpoint: WebhookEndpoint, workspace: Workspace, settings) -> Door:
    from calendly.signatures import SIGNATURE_HEADER, sign

    key = f"whsec-abuse-{workspace.public_id.hex}"
    connections.connect(
        workspace=workspace,
        provider="calendly",
        secrets={"access_token": "calendly-abuse-test-token-0000", "webhook_signing_key": key},
        config={
            "auth": "token",
            "user_uri": f"{CALENDLY_API}/users/8f1e2d3c-aaaa-4bbb-8ccc-0d1e2f3a4b5c",
            "organization_uri": CALENDLY_ORGANIZATION,
            "event_type_uri": CALENDLY_EVENT_TYPE,
            "event_type_name": "Discovery Call",
            "event_type_duration": 30,
            "required_questions": [],
        },
        display_name="Casey Closer (closer@agency.example)",
        token_hint="0000",
    )
    lead = LeadFactory(workspace=workspace)
    template = json.loads((FIXTURES / "calendly" / "invitee_created.json").read_text())

    def signed(body: bytes, *, with_key: str = key, at: int | None = None) -> Headers:
        return {SIGNATURE_HEADER: sign(body, with_key, at if at is not None else _now())}

    def body(n: int) -> bytes:
        delivery = json.loads(json.dumps(template))
        payload = delivery["payload"]
        event_uri = f"{CALENDLY_API}/scheduled_events/{workspace.public_id.hex[:8]}-event-{n}"
        payload.update(
            uri=f"{event_uri}/invitees/invitee-{n}",
            event=event_uri,
            email=lead.email,
            first_name=lead.first_name,
            last_name=lead.last_name,
            name=f"{lead.first_name} {lead.last_name}",
        )
        payload["scheduled_event"]["uri"] = event_uri
        return json.dumps(delivery).encode()

    forgeries = st.one_of(
        st.just(Forgery("no signature at all", lambda b: {})),
        header_text.map(
            lambda v: Forgery(f"signature header {v!r}", lambda b: {SIGNATURE_HEADER: v})
        ),
        st.just(Forgery("signed with another key", lambda b: signed(b, with_key=f"{key}x"))),
        st.just(Forgery("the signature of another body", lambda b: signed(b + b" "))),
        st.integers(min_value=181, max_value=10**6).map(
            lambda age: Forgery(f"signed {age} s ago", lambda b: signed(b, at=_now() - age))
        ),
        # A margin past the 180 s tolerance: the request itself takes time on a loaded machine.
        st.integers(min_value=240, max_value=10**6).map(
            lambda ahead: Forgery(
                f"signed {ahead} s in the future", lambda b: signed(b, at=_now() + ahead)
            )
        ),
        st.binary(min_size=32, max_size=32).map(
            lambda raw: Forgery(
                "a well-formed v1 of random bytes",
                lambda b: {SIGNATURE_HEADER: f"t={_now()},v1={raw.hex()}"},
            )
        ),
    )
    return Door(
        endpoint=endpoint,
        provider="calendly",
        workspace=workspace,
        url=reverse("calendly_webhook", kwargs={"workspace_id": workspace.public_id}),
        lead=lead,
        signers=[signed],
        forgeries=forgeries,
        body=body,
        samples=[(body(0), signed), *_calendly_fixtures(signed)],
        effects=lambda: Appointment.objects.filter(lead=lead).count(),
    )


def _calendly_fixtures(signed):
    for path in sorted(FIXTURES.glob("calendly/*.json")):
        if "subscription" not in path.name:
            yield path.read_bytes(), signed


def _now() -> int:
    import time

    return int(time.time())


CALENDLY = WebhookEndpoint(
    name="calendly",
    provider="calendly",
    opener=open_calendly,
    # Calendly retries any answer that is not 2xx, for 24 hours.
    retry_statuses=frozenset({429, *range(500, 600)}),
)

ENDPOINTS = [GHL, CALENDLY]
