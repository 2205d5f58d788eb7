"""The ``ghl`` calendar: the real ``GhlProvider`` and client against the stateful fake of GHL's
API (``ghl.sandbox``, served through respx), for a workspace connected the way the GHL card
connects it (a real, encrypted Connection made by ``ghl.connection.connect``, which asks the
fake for the location and its calendars).

GHL's own ``AppointmentCreate`` webhooks reach our endpoint as marketplace deliveries, signed
with an Ed25519 key pair whose public half is ``GHL_WEBHOOK_PUBLIC_KEY`` for the test.
"""

from __future__ import annotations

import base64
import json
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.urls import reverse

from followups.errors import ProviderAuthError, ProviderUnavailable, SlotTaken
from ghl import connection
from ghl.client import MAX_ATTEMPTS
from ghl.sandbox.mock import GhlSandbox
from ghl.sandbox.records import BASE, CALENDAR, LOCATION, TOKEN
from ghl.signatures import SIGNATURE_HEADER, WORKFLOW_SECRET_HEADER
from integrations import connections

from . import MEETING, OTHER_PERSON
from .webhooks import Endpoint, Sent, check_webhooks_change_nothing


class Signer:
    """HighLevel's side of marketplace webhooks: a key pair of the test's own."""

    def __init__(self, settings):
        self.key = Ed25519PrivateKey.generate()
        public = self.key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        settings.GHL_WEBHOOK_PUBLIC_KEY = base64.b64encode(public).decode()

    def headers(self, body: bytes) -> dict[str, str]:
        return {SIGNATURE_HEADER: base64.b64encode(self.key.sign(body)).decode()}


def point_at_fake(settings) -> GhlSandbox:
    settings.GHL_API_BASE = BASE
    settings.GHL_API_VERSION_CALENDARS = "2021-04-15"
    settings.GHL_API_VERSION_CONTACTS = "2021-07-28"
    return GhlSandbox(base=BASE, other=OTHER_PERSON).start()


def connect(workspace) -> None:
    """As an admin does on the GHL card: token, location, calendar (checked at the fake)."""
    connection.connect(
        workspace=workspace,
        data={"access_token": TOKEN, "location_id": LOCATION, "calendar_id": CALENDAR},
    )


def webhook_url(workspace) -> str:
    return reverse("ghl_webhook", kwargs={"workspace_id": workspace.public_id})


def marketplace(workspace, signer: Signer, data: dict) -> Sent:
    body = json.dumps(data).encode()
    return Sent(path=webhook_url(workspace), body=body, headers=signer.headers(body))


def workflow(workspace, secret: str, data: dict) -> Sent:
    body = json.dumps(data).encode()
    return Sent(path=webhook_url(workspace), body=body, headers={WORKFLOW_SECRET_HEADER: secret})


class GhlEnv:
    name = "ghl"
    sends_links = False  # GHL books any contact directly: it never asks for a link
    keeps_slot_strings = True
    takes_idempotency_key = False  # GHL has no idempotency key: a retry looks its booking up
    sends_webhooks = True

    def __init__(self, *, workspace, api: GhlSandbox, signer: Signer, endpoint: Endpoint):
        self.workspace = workspace
        self.api = api
        self.signer = signer
        self.endpoint = endpoint

    @classmethod
    def open(cls, request, workspace) -> GhlEnv:
        settings = request.getfixturevalue("settings")
        capture = request.getfixturevalue("django_capture_on_commit_callbacks")
        api = point_at_fake(settings)
        try:
            connect(workspace)
        except BaseException:
            api.stop()
            raise
        return cls(
            workspace=workspace, api=api, signer=Signer(settings), endpoint=Endpoint(capture)
        )

    def close(self) -> None:
        try:
            check_webhooks_change_nothing(self)
        finally:
            self.api.stop()

    def make_free(self, start, end=None):
        self.api.make_free(start, end or start + MEETING)

    def take(self, start):
        self.api.take(start)

    def fail_next_book_with(self, exc) -> str:
        """GHL answers the next booking so that the provider raises ``exc``'s kind; returns the
        words of GHL's refusal that the setter is shown."""
        if isinstance(exc, SlotTaken):
            self.api.lose_next_slot_to_someone_else()
            return "just taken at GoHighLevel"
        if isinstance(exc, ProviderAuthError):
            self.api.refuse_next_booking(401, "Invalid JWT")
            return "GoHighLevel rejected the token"
        if isinstance(exc, ProviderUnavailable):
            self.api.unreachable_for_next_booking(MAX_ATTEMPTS)
            return "GoHighLevel is not answering"
        raise TypeError(f"The GHL env can't make GoHighLevel answer {exc!r}")

    def time_out_next_book(self, *, booked: bool):
        self.api.time_out_next_booking(after_booking=booked)

    def refuse_direct_booking(self):
        raise TypeError("GoHighLevel always books directly (sends_links is False)")

    def scheduling_link(self, lead):
        raise TypeError("GoHighLevel sends no booking links (sends_links is False)")

    def slot_string(self, start, *, timezone):
        return start.astimezone(ZoneInfo(timezone)).isoformat(timespec="seconds")

    def booked_count(self):
        return len(self.api.bookings_of_leads())

    def book_calls(self):
        return len(self.api.book_requests)

    def last_booked_value(self):
        return self.api.book_requests[-1]["startTime"]

    def disconnect(self):
        # As a 401 anywhere leaves it: the token must be renewed before anything books.
        connections.mark_needs_reauth(workspace=self.workspace, provider=self.name)

    def deliver_webhooks(self):
        notices = self.api.take_notices()
        sent = [marketplace(self.workspace, self.signer, notice) for notice in notices]
        return self.endpoint.deliver(self.name, sent)
