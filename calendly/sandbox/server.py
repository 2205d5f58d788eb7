"""The Calendly sandbox's HTTP server and the thread that sends its webhook deliveries.

A booking, a cancellation, a reschedule or a no-show mark (through the API, a control or one
of the lead's pages) sends signed webhook deliveries, from a background thread, to every active
subscription that asked for the event: signed with the subscription's ``signing_key``, or with
the sandbox's app key (``--signing-key``, like an OAuth app's) when it has none.

Run it by hand: ``python -m calendly.sandbox.server --port 8765 --signing-key demo-key``.
In tests: ``server, base_url = start_sandbox()`` ... ``server.stop()``.
"""

from __future__ import annotations

import argparse
import logging
import queue
import threading
import time
import urllib.error
import urllib.request
from http.server import ThreadingHTTPServer

from calendly.signatures import SIGNATURE_HEADER, sign
from integrations.sandbox_limits import RateLimiter

from . import api, controls, oauth, organizations, pages, subscriptions
from .http import Routes, SandboxHandler
from .records import DEFAULT_TOKEN, now_iso
from .state import SandboxState

logger = logging.getLogger("calendly.sandbox")

DELIVERY_TIMEOUT = 5.0


def all_routes() -> Routes:
    """Every route, the public pages last: their ``/<slug>/<slug>`` paths must not shadow the
    API's own."""
    routes = Routes()
    for module in (api, organizations, subscriptions, oauth, controls, pages):
        routes.table += module.ROUTES.table
    return routes


class SandboxServer(ThreadingHTTPServer):
    """The HTTP server plus a thread that sends webhook deliveries one after another."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address,
        *,
        token: str,
        signing_key: str | None,
        max_window_days: int,
        tenants: bool = False,
        rate_limit: RateLimiter | None = None,
    ):
        super().__init__(address, SandboxHandler)
        host, port = self.server_address[:2]
        self.base_url = f"http://{host}:{port}"
        self.routes = all_routes()
        self.state = SandboxState(
            self.base_url, token, signing_key=signing_key, max_window_days=max_window_days
        )
        self._outbox: queue.Queue = queue.Queue()
        self._local = threading.local()
        self._worker = threading.Thread(target=self._send_deliveries, daemon=True)
        self._worker.start()
        self._serving: threading.Thread | None = None
        # Tenants: every bearer token is a user of its own, with its own state (a benchmark's
        # thousands of workspaces, each connected to its own Calendly user).
        self.tenants = tenants
        self._tenants: dict[str, SandboxState] = {}
        self._tenants_lock = threading.Lock()
        self.rate_limit = rate_limit  # Calendly's per-user limit, per token; None: no limit

    def state_for(self, authorization: str) -> SandboxState:
        """The state a request with this Authorization header sees."""
        token = authorization[7:] if authorization.startswith("Bearer ") else ""
        if not self.tenants or not token or token == self.state.token:
            return self.state
        with self._tenants_lock:
            found = self._tenants.get(token)
            if found is None:
                found = self._tenants[token] = SandboxState(
                    self.base_url,
                    token,
                    signing_key=self.state.signing_key,
                    max_window_days=self.state.max_window_days,
                )
            return found

    def deliver(self, state: SandboxState, name: str, invitee: dict) -> None:
        """Queue ``name`` about ``invitee`` for every subscription that wants it (or, with
        ``sync_deliveries``, hold it until the handler is done, to send before answering)."""
        body = state.webhook_body(name, invitee)
        held = getattr(self._local, "held", None)
        for url, key in state.targets(name, invitee):
            item = (name, url, key or state.signing_key, body)
            if state.sync_deliveries and held is not None:
                held.append(item)
            else:
                self._outbox.put(item)

    def hold_deliveries(self) -> None:
        self._local.held = []

    def send_held_deliveries(self) -> None:
        held, self._local.held = getattr(self._local, "held", None) or [], None
        for item in held:
            self._send_one(*item)

    def reset(self) -> None:
        old = self.state
        with old.lock:
            self.state = SandboxState(
                self.base_url,
                old.token,
                signing_key=old.signing_key,
                max_window_days=old.max_window_days,
            )

    def wait_for_deliveries(self, timeout: float = 5.0) -> bool:
        """True once every queued delivery has been attempted."""
        deadline = time.monotonic() + timeout
        while self._outbox.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)
        return not self._outbox.unfinished_tasks

    def _send_deliveries(self) -> None:
        while True:
            item = self._outbox.get()
            try:
                if item is None:
                    return
                self._send_one(*item)
            finally:
                self._outbox.task_done()

    def _send_one(self, name: str, url: str, key: str | None, body: bytes) -> None:
        headers = {"Content-Type": "application/json", "User-Agent": "Calendly-Sandbox"}
        if key:
            headers[SIGNATURE_HEADER] = sign(body, key, int(time.time()))
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=DELIVERY_TIMEOUT) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except (OSError, ValueError) as exc:
            status = None
            logger.warning("sandbox: delivery of %s to %s failed: %s", name, url, exc)
        sent = {"event": name, "url": url, "status": status, "signed": bool(key), "at": now_iso()}
        with self.state.lock:
            self.state.deliveries.append(sent)

    def start(self) -> None:
        self._serving = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._serving.start()

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        self._outbox.put(None)
        self._worker.join(timeout=DELIVERY_TIMEOUT + 1)


def start_sandbox(
    port: int = 0,
    token: str = DEFAULT_TOKEN,
    *,
    host: str = "127.0.0.1",
    signing_key: str | None = None,
    max_window_days: int = 7,
    tenants: bool = False,
    rate_limit: RateLimiter | None = None,
) -> tuple[SandboxServer, str]:
    """Start the sandbox in a background thread; returns it and its base URL (stop it with
    ``server.stop()``). ``signing_key`` signs deliveries of subscriptions created without one
    (as the OAuth app's key does); ``max_window_days`` is the availability window limit;
    ``tenants``: every token is a user of its own; ``rate_limit``: answer 429 over it, per
    token."""
    server = SandboxServer(
        (host, port),
        token=token,
        signing_key=signing_key,
        max_window_days=max_window_days,
        tenants=tenants,
        rate_limit=rate_limit,
    )
    server.start()
    return server, server.base_url


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A fake Calendly API v2 in memory.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--signing-key", default=None, help="signs subscriptions without a key")
    parser.add_argument("--max-window-days", type=int, default=7)
    parser.add_argument(
        "--tenants", action="store_true", help="every bearer token is a user of its own"
    )
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=0,
        help="requests per user per minute (Calendly: 500 on paid plans, 50 on Free); 0: none",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    server = SandboxServer(
        (args.host, args.port),
        token=args.token,
        signing_key=args.signing_key,
        max_window_days=args.max_window_days,
        tenants=args.tenants,
        rate_limit=RateLimiter(args.rate_limit, 60.0) if args.rate_limit else None,
    )
    print(f"Calendly sandbox at {server.base_url}", flush=True)
    print(f"token: {args.token}", flush=True)
    print(f"CALENDLY_API_BASE={server.base_url} CALENDLY_AUTH_BASE={server.base_url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
