"""Reading the Calendly payload fixtures, driving the sandbox, catching its webhook deliveries.

Reusable outside tests/calendly: ``SandboxDriver`` wraps ``calendly.sandbox.server`` (start one
with ``SandboxDriver.start()``), ``Receiver`` is a local endpoint the sandbox can deliver to, and
``feed`` hands a caught delivery to our webhook view through Django's test client. The fixtures
built from them are in ``tests/calendly/fixtures.py``.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from calendly.sandbox.server import start_sandbox
from calendly.signatures import SIGNATURE_HEADER, sign

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "calendly"

SANDBOX_TOKEN = "sandbox-token-0123456789abcdef"
SANDBOX_APP_KEY = "whsec-sandbox-oauth-app-key"
DISCOVERY = "5a2b1c3d-0000-4e8f-9a10-1b2c3d4e5f60"  # 30 min, an optional question
STRATEGY = "6b3c2d4e-1111-4f90-8b21-2c3d4e5f6071"  # 60 min, a required question
OLD_INTRO = "7c4d3e5f-2222-4a01-9c32-3d4e5f607182"  # inactive


def load_fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def signed_headers(body: bytes, key: str, *, at: float | None = None) -> dict[str, str]:
    return {SIGNATURE_HEADER: sign(body, key, int(time.time() if at is None else at))}


class SandboxDriver:
    """The sandbox's controls as methods (see ``calendly.sandbox.server`` for what each does)."""

    def __init__(self, server, base_url: str):
        self.server = server
        self.base_url = base_url
        self.token = SANDBOX_TOKEN

    @classmethod
    def start(cls, **kwargs) -> SandboxDriver:
        kwargs.setdefault("token", SANDBOX_TOKEN)
        kwargs.setdefault("signing_key", SANDBOX_APP_KEY)
        server, base_url = start_sandbox(**kwargs)
        return cls(server, base_url)

    def stop(self) -> None:
        self.server.stop()

    def event_type_uri(self, uuid: str = DISCOVERY) -> str:
        return f"{self.base_url}/event_types/{uuid}"

    def booking_link(self, slug: str = "discovery-call") -> str:
        return f"{self.base_url}/casey-closer/{slug}"

    def control(self, action: str, /, **body) -> dict:
        answer = httpx.post(f"{self.base_url}/_sandbox/{action}", json=body, timeout=10)
        answer.raise_for_status()
        return answer.json()

    def config(self, **values) -> dict:
        return self.control("config", **values)

    def fail(self, method: str, path: str, status: int = 0, **kwargs) -> None:
        self.control("fail", method=method, path=path, status=status, **kwargs)

    def book(self, **body) -> dict:
        """A lead books through the booking page (defaults: Discovery Call, first free time)."""
        return self.control("book", **body)["resource"]

    def cancel(self, **body) -> dict:
        return self.control("cancel", **body)

    def reschedule(self, invitee: str, start_time: str) -> dict:
        return self.control("reschedule", invitee=invitee, start_time=start_time)["resource"]

    def no_show(self, invitee: str, *, remove: bool = False) -> dict:
        return self.control("no_show", invitee=invitee, remove=remove)["resource"]

    def disable_subscription(self, uri: str) -> None:
        self.control(f"subscriptions/{uri.rstrip('/').rsplit('/', 1)[-1]}/disable")

    def reset(self) -> None:
        self.control("reset")

    def state(self) -> dict:
        return httpx.get(f"{self.base_url}/_sandbox/state", timeout=10).json()

    def subscriptions(self) -> list[dict]:
        return self.state()["webhook_subscriptions"]

    def calls(self, method: str, path: str) -> int:
        return sum(
            1 for r in self.state()["requests"] if r["method"] == method and r["path"] == path
        )

    def wait(self, timeout: float = 5.0) -> bool:
        return self.server.wait_for_deliveries(timeout)


@dataclass(frozen=True)
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> str:
        return json.loads(self.body)["event"]


class Receiver:
    """A local HTTP endpoint that answers 200 to any POST and keeps it, for ``feed``."""

    def __init__(self):
        self.received: queue.Queue[Delivery] = queue.Queue()
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {name: value for name, value in self.headers.items()}
                received.put(Delivery(path=self.path, headers=headers, body=body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def next(self, timeout: float = 5.0) -> Delivery:
        return self.received.get(timeout=timeout)

    def drain(self) -> list[Delivery]:
        found = []
        while not self.received.empty():
            found.append(self.received.get_nowait())
        return found

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def feed(client, delivery: Delivery):
    """POST a caught delivery to our webhook view, as Calendly would have."""
    headers = {SIGNATURE_HEADER: delivery.headers.get(SIGNATURE_HEADER, "")}
    return client.post(
        delivery.path, data=delivery.body, content_type="application/json", headers=headers
    )
