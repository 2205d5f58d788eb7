"""The GHL sandbox over real HTTP, for what respx can't reach: a Celery worker in another
process (``bench/periodic.py``). The same ``api.dispatch`` answers as under respx.

Every bearer token is a location of its own (its own ``GhlState``), as a private integration
token belongs to one location; with ``rate_limit`` it answers GHL's burst and daily limits per
location, with GHL's ``X-RateLimit-*`` headers, and 429 over them.

Run it by hand: ``python -m ghl.sandbox.server --port 8766 --burst 100``; in a program:
``server = start_server(rate_limit=...)`` ... ``server.stop()``.
"""

from __future__ import annotations

import argparse
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from integrations.sandbox_limits import RateLimiter

from . import api
from .state import GhlState

MAX_BODY = 1_000_000
BURST, BURST_WINDOW, DAILY = 100, 10.0, 200_000  # GHL's documented limits per location


class GhlServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, *, rate_limit: RateLimiter | None = None):
        super().__init__(address, _Handler)
        host, port = self.server_address[:2]
        self.base_url = f"http://{host}:{port}"
        self.rate_limit = rate_limit
        self._locations: dict[str, GhlState] = {}
        self._lock = threading.Lock()
        self._serving: threading.Thread | None = None

    def state_for(self, authorization: str) -> GhlState:
        token = authorization[7:] if authorization.startswith("Bearer ") else ""
        with self._lock:
            found = self._locations.get(token)
            if found is None:
                found = self._locations[token] = GhlState(token=token)
            return found

    def start(self) -> GhlServer:
        self._serving = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._serving.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format, *args) -> None:  # quiet: a benchmark sends thousands
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        parts = urlsplit(self.path)
        length = min(int(self.headers.get("Content-Length") or 0), MAX_BODY)
        raw = self.rfile.read(length) if length else b""
        authorization = self.headers.get("Authorization", "")
        headers = {}
        limiter = self.server.rate_limit
        if limiter is not None:
            verdict = limiter.take(authorization)
            headers = {
                "X-RateLimit-Max": str(verdict.limit),
                "X-RateLimit-Remaining": str(verdict.remaining),
                "X-RateLimit-Interval-Milliseconds": str(int(limiter.window * 1000)),
            }
            if verdict.daily is not None:
                headers["X-RateLimit-Limit-Daily"] = str(verdict.daily)
                headers["X-RateLimit-Daily-Remaining"] = str(verdict.daily_remaining)
            if not verdict.allowed:
                self._answer(*api.error(429, "Too Many Requests"), headers)
                return
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            self._answer(*api.error(400, "The body is not valid JSON"), headers)
            return
        params = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        call = api.Call(method, parts.path, params, body, self.headers)
        try:
            status, answer = api.dispatch(self.server.state_for(authorization), call)
        except (api.Unreachable, api.NoAnswer):
            self.close_connection = True  # as the network would: no answer at all
            return
        self._answer(status, answer, headers)

    def _answer(self, status: int, body: dict, headers: dict[str, str]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def start_server(
    port: int = 0, *, host: str = "127.0.0.1", rate_limit: RateLimiter | None = None
) -> GhlServer:
    return GhlServer((host, port), rate_limit=rate_limit).start()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A fake GoHighLevel API v2 over HTTP.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--burst", type=int, default=0, help=f"per location per 10 s ({BURST})")
    parser.add_argument("--daily", type=int, default=DAILY, help="per location per day")
    args = parser.parse_args(argv)
    limiter = RateLimiter(args.burst, BURST_WINDOW, daily=args.daily) if args.burst else None
    server = GhlServer((args.host, args.port), rate_limit=limiter)
    print(f"GHL sandbox at {server.base_url}: GHL_API_BASE={server.base_url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
