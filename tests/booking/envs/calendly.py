"""The ``calendly`` calendar: the real ``CalendlyProvider`` and client against the Calendly
sandbox (``calendly/sandbox/server.py``), for a workspace connected as the admin API connects it:
a personal access token and the Discovery Call event type, its webhook subscription made at the
sandbox and signed with the key we store.

One sandbox (and the local receiver its webhooks go to) serves every test of the session, reset
between tests: starting and stopping servers per test would cost more than the tests. It runs in
this process, so it sees the test's frozen clock. Nothing is free until the test makes it free
(an explicit availability list). Its signed webhooks are handed to our real endpoint by
``deliver_webhooks()`` (and, for what is left, when the test ends), each at the time it was
signed.

What the sandbox can't do by itself, refuse a connection, is done at the HTTP layer with respx:
every other request passes through to the sandbox.
"""

from __future__ import annotations

import threading
from datetime import datetime

import httpx
import pytest
import respx

from calendly import connection
from calendly.signatures import SIGNATURE_HEADER
from followups.errors import ProviderAuthError, ProviderUnavailable, SlotTaken
from integrations import connections
from tests.calendly.helpers import Receiver, SandboxDriver

from . import MEETING, OTHER_PERSON
from .webhooks import Endpoint, Sent, check_webhooks_change_nothing

# What the sandbox answers when a time was booked by someone else meanwhile.
TAKEN_BODY = {
    "title": "Invalid Argument",
    "message": "The selected time is no longer available.",
    "details": [
        {"parameter": "start_time", "message": "The selected time is no longer available."}
    ],
}
REFUSED_TOKEN_BODY = {"title": "Unauthenticated", "message": "The access token is invalid"}


class KeptSandboxDriver(SandboxDriver):
    """The sandbox's controls through one kept HTTP client (a new one costs ~30 ms of TLS
    set-up, and a test makes many control calls)."""

    def __init__(self, server, base_url: str):
        super().__init__(server, base_url)
        self.http = httpx.Client(base_url=base_url, timeout=10)

    def control(self, action: str, /, **body) -> dict:
        answer = self.http.post(f"/_sandbox/{action}", json=body)
        answer.raise_for_status()
        return answer.json()

    def state(self) -> dict:
        return self.http.get("/_sandbox/state").json()

    def stop(self) -> None:
        self.http.close()
        super().stop()


@pytest.fixture(scope="session")
def calendly_session_sandbox():
    """The session's sandbox and the receiver its webhooks go to (reset by each env)."""
    started = SandboxDriver.start()
    sandbox = KeptSandboxDriver(started.server, started.base_url)
    receiver = Receiver()
    yield sandbox, receiver
    receiver.stop()
    sandbox.stop()


def signed_at(headers: dict[str, str]) -> float | None:
    """The ``t=`` of a ``Calendly-Webhook-Signature`` header."""
    for part in headers.get(SIGNATURE_HEADER, "").split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            return float(value)
    return None


class CalendlyEnv:
    name = "calendly"
    sends_links = True
    keeps_slot_strings = False  # Calendly's free times are plain times: nothing to send back
    takes_idempotency_key = False  # the Scheduling API has none: find_booking settles a timeout
    sends_webhooks = True

    def __init__(self, *, workspace, sandbox, receiver, endpoint: Endpoint):
        self.workspace = workspace
        self.sandbox = sandbox
        self.receiver = receiver
        self.endpoint = endpoint
        self._free: set[datetime] = set()
        self._lock = threading.Lock()
        self._refusals = 0
        self._router = None
        sandbox.config(availability=[])  # nothing is free until the test says so
        self._asked = sandbox.calls("POST", "/invitees")  # the scope check made when connecting

    event_type = "discovery-call"  # the sandbox's slug of the event type the workspace books

    @classmethod
    def open(cls, request, workspace) -> CalendlyEnv:
        sandbox, receiver = request.getfixturevalue("calendly_session_sandbox")
        capture = request.getfixturevalue("django_capture_on_commit_callbacks")
        settings = request.getfixturevalue("settings")
        sandbox.wait()
        receiver.drain()  # anything an earlier test left
        sandbox.reset()
        settings.CALENDLY_API_BASE = settings.CALENDLY_AUTH_BASE = sandbox.base_url
        settings.PUBLIC_BASE_URL = receiver.base_url
        with capture(execute=True):  # the subscription task runs after commit
            connection.api_connect(
                workspace=workspace,
                data={"access_token": sandbox.token, "event_type": cls.booking_link(sandbox)},
            )
        return cls(
            workspace=workspace, sandbox=sandbox, receiver=receiver, endpoint=Endpoint(capture)
        )

    @staticmethod
    def booking_link(sandbox) -> str:
        return sandbox.booking_link()

    def close(self) -> None:
        try:
            check_webhooks_change_nothing(self)
        finally:
            if self._router is not None:
                self._router.stop()

    def make_free(self, start, end=None):
        if end is not None and end - start != MEETING:
            raise ValueError("The event type's length decides when a Calendly meeting ends")
        self._free.add(start)
        self.sandbox.config(availability=[moment.isoformat() for moment in sorted(self._free)])

    def take(self, start):
        name, email = OTHER_PERSON
        self.sandbox.book(
            event_type=self.event_type, start_time=start.isoformat(), name=name, email=email
        )

    def fail_next_book_with(self, exc) -> str:
        """Calendly answers the next booking so that the provider raises ``exc``'s kind; returns
        the words of the refusal that the setter is shown."""
        if isinstance(exc, SlotTaken):
            self.sandbox.fail("POST", "/invitees", 400, body=TAKEN_BODY)
            return "just taken at Calendly"
        if isinstance(exc, ProviderAuthError):
            self.sandbox.fail("POST", "/invitees", 401, body=REFUSED_TOKEN_BODY)
            return "Calendly rejected the token"
        if isinstance(exc, ProviderUnavailable):
            self._refuse_next_connection()
            return "Calendly is not answering"
        raise TypeError(f"The Calendly env can't make Calendly answer {exc!r}")

    def time_out_next_book(self, *, booked: bool):
        # A gateway timeout after (perform) or instead of the booking.
        self.sandbox.fail("POST", "/invitees", 504, perform=booked)

    def refuse_direct_booking(self):
        self.sandbox.config(scheduling_api=False)  # a plan without the Scheduling API: 403

    def scheduling_link(self, lead):
        """The single-use link the sandbox made last (the lead's details ride on it)."""
        links = self.sandbox.state()["scheduling_links"]
        return links[-1]["booking_url"] if links else None

    def booked_count(self):
        _, other = OTHER_PERSON
        invitees = self.sandbox.state()["invitees"]
        return sum(1 for i in invitees if i["status"] == "active" and i["email"] != other)

    def book_calls(self):
        return self.sandbox.calls("POST", "/invitees") - self._asked

    def disconnect(self):
        # As a 401 anywhere leaves it: the token must be renewed before anything books.
        connections.mark_needs_reauth(workspace=self.workspace, provider=self.name)

    def deliver_webhooks(self):
        assert self.sandbox.wait(), "The sandbox did not send its webhooks in time"
        sent = [
            Sent(
                path=caught.path,
                body=caught.body,
                headers={SIGNATURE_HEADER: caught.headers.get(SIGNATURE_HEADER, "")},
                at=signed_at(caught.headers),
            )
            for caught in self.receiver.drain()
        ]
        return self.endpoint.deliver(self.name, sent)

    # Calendly unreachable: the connection is refused before a byte is sent

    def _refuse_next_connection(self) -> None:
        with self._lock:
            self._refusals += 1
            if self._router is not None:
                return
            router = respx.mock(assert_all_called=False)
            router.post(f"{self.sandbox.base_url}/invitees").mock(side_effect=self._connect)
            router.route().pass_through()
            router.start()
            self._router = router

    def _connect(self, request: httpx.Request):
        with self._lock:
            if self._refusals:
                self._refusals -= 1
                raise httpx.ConnectError("Connection refused", request=request)
        return request  # through to the sandbox


class CalendlyTeamEnv(CalendlyEnv):
    """The same, booking into the Sales Team's round robin ("Sales Intro", hosted by Riley and
    Morgan in turn) at its team link: free times are the event type's own (a time is free
    while either host is), and Calendly picks the host."""

    event_type = "sales-intro"
    HOSTS = 2

    @staticmethod
    def booking_link(sandbox) -> str:
        return f"{sandbox.base_url}/sales-team/sales-intro"

    def take(self, start):
        """Someone else books it with every host, so the time is gone."""
        for _ in range(self.HOSTS):
            super().take(start)
