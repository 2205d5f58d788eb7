"""Serving the sandbox over HTTP: routes, the request handler, Calendly's paging and envelopes.

Every API call needs the bearer token (401 otherwise) and the route's scope when scopes are
configured (403 naming it); controls under ``/_sandbox/`` and the public pages need neither,
and are neither logged among the API calls nor made to fail by the ``fail`` control.
"""

from __future__ import annotations

import base64
import json
import logging
import math
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from .errors import ApiError, invalid, not_found
from .inputs import int_param

logger = logging.getLogger("calendly.sandbox")

MAX_BODY = 1_000_000
REQUEST_LOG_SIZE = 2000
PUBLIC = None  # no token needed
CONTROL = "control"  # a sandbox control: no token, not logged, never made to fail
PAGE = "page"  # a public page a lead sees: likewise
OFF_THE_API = (CONTROL, PAGE)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: Any
    match: re.Match


@dataclass(frozen=True)
class Html:
    """A page to answer instead of JSON."""

    text: str


Handler = Callable[["SandboxHandler", Request], tuple]


class Routes:
    """A table of (method, path pattern, scope, handler), filled with ``@routes.route(...)``."""

    def __init__(self):
        self.table: list[tuple[str, re.Pattern, str | None, Handler]] = []

    def route(self, method: str, pattern: str, scope: str | None):
        def add(handler: Handler) -> Handler:
            self.table.append((method, re.compile(pattern), scope, handler))
            return handler

        return add

    def find(self, method: str, path: str):
        for route_method, pattern, scope, handler in self.table:
            match = pattern.fullmatch(path)
            if match and route_method == method:
                return scope, handler, match
        return None


class SandboxHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body leave at once, not 40 ms apart
    _rate_headers: dict[str, str] = {}  # noqa: RUF012 (replaced per request, never mutated)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("sandbox: " + format, *args)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    @property
    def state(self):
        # One state per user when the server keeps tenants (``--tenants``): the token's.
        return self.server.state_for(self.headers.get("Authorization", ""))

    def _handle(self, method: str) -> None:
        parts = urlsplit(self.path)
        path = parts.path.rstrip("/") or "/"
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        try:
            raw = self._read_body()
            found = self.server.routes.find(method, path)
            if found is None:
                raise not_found()
            scope, handler, match = found
            self._rate_headers = {}
            if scope not in OFF_THE_API:
                self._authorize(scope)
                if not self._within_rate_limit():
                    return
            failure = None if scope in OFF_THE_API else self._take_failure(method, path)
            if failure and failure.status and not failure.perform:
                time.sleep(failure.delay)
                self._send(failure.status, failure.body, failure.headers, logged=path)
                return
            request = Request(method, path, query, self._decode(raw), self.headers, match)
            status, body, *extra = self._run(handler, request)
            if failure:
                time.sleep(failure.delay)  # the work is done; only the answer is late
            if failure and failure.status:
                status, body, extra = failure.status, failure.body, [failure.headers]
            self._send(status, body, *extra, logged=None if scope in OFF_THE_API else path)
        except ApiError as exc:
            self._send(exc.status, exc.body, logged=path)
        except Exception:
            logger.exception("sandbox: %s %s failed", method, path)
            self._send(500, {"title": "Internal Server Error", "message": "Sandbox failure."})

    def _run(self, handler: Handler, request: Request) -> tuple:
        self.server.hold_deliveries()
        try:
            with self.state.lock:
                return handler(self, request)
        finally:
            self.server.send_held_deliveries()  # outside the lock: receivers may call back

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ApiError(413, "Payload Too Large", "The body is too large.")
        return self.rfile.read(length) if length else b""

    def _decode(self, raw: bytes) -> Any:
        if not raw:
            return {}
        is_form = self.headers.get("Content-Type", "").startswith(
            "application/x-www-form-urlencoded"
        )
        # curl -d labels JSON as a form; JSON is recognised by its first character.
        if is_form and not raw.lstrip().startswith((b"{", b"[")):
            return {key: values[-1] for key, values in parse_qs(raw.decode()).items()}
        try:
            return json.loads(raw)
        except ValueError:
            raise invalid("The body is not valid JSON.") from None

    def _authorize(self, scope: str | None) -> None:
        if scope is PUBLIC:
            return
        header = self.headers.get("Authorization", "")
        token = header[7:] if header.startswith("Bearer ") else ""
        with self.state.lock:
            known = token and (
                secrets.compare_digest(token, self.state.token) or token in self.state.oauth_access
            )
            granted = self.state.scopes
        if not known:
            raise ApiError(401, "Unauthenticated", "The access token is invalid")
        if granted is not None and scope not in granted:
            raise ApiError(
                403,
                "Permission Denied",
                f"The access token is missing the required scope: {scope}",
                [{"parameter": "scope", "message": f"{scope} is required"}],
            )

    def _within_rate_limit(self) -> bool:
        """Calendly's per-user limit, when the server emulates it: counted per token (a token
        is one user's); over it, a 429 is answered and False returned."""
        limiter = self.server.rate_limit
        if limiter is None:
            return True
        verdict = limiter.take(self.headers.get("Authorization", ""))
        self._rate_headers = {
            "X-RateLimit-Limit": str(verdict.limit),
            "X-RateLimit-Remaining": str(verdict.remaining),
            "X-RateLimit-Reset": str(max(1, math.ceil(verdict.reset))),
        }
        if not verdict.allowed:
            body = {"title": "Too Many Requests", "message": "Rate limit exceeded"}
            self._send(429, body, logged=urlsplit(self.path).path)
        return verdict.allowed

    def _take_failure(self, method: str, path: str):
        with self.state.lock:
            return self.state.take_failure(method, path)

    def _send(
        self, status: int, body: Any, headers: dict | None = None, *, logged: str | None = None
    ) -> None:
        if logged and not logged.startswith("/_sandbox/"):
            with self.state.lock:
                self.state.requests.append(
                    {"method": self.command, "path": logged, "status": status}
                )
                del self.state.requests[:-REQUEST_LOG_SIZE]  # a long demo stays small
        if isinstance(body, Html):
            data, kind = body.text.encode(), "text/html; charset=utf-8"
        else:
            data = b"" if body is None else json.dumps(body).encode()
            kind = "application/json; charset=utf-8"
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        for name, value in {**self._rate_headers, **(headers or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def page(request: Request, items: list, base_url: str) -> dict:
    """Calendly's ``collection`` + ``pagination``, honouring ``count`` and ``page_token``."""
    count = int_param(request.query.get("count", "20"), "count")
    if not 1 <= count <= 100:
        raise invalid("count must be between 1 and 100", "count")
    offset = _offset(request.query.get("page_token"))
    window = items[offset : offset + count]
    next_token = _token(offset + count) if offset + count < len(items) else None
    previous_token = _token(max(offset - count, 0)) if offset > 0 else None

    def link(token: str | None) -> str | None:
        if token is None:
            return None
        query = {**request.query, "count": str(count), "page_token": token}
        return f"{base_url}{request.path}?{urlencode(query)}"

    return {
        "collection": window,
        "pagination": {
            "count": len(window),
            "next_page": link(next_token),
            "next_page_token": next_token,
            "previous_page": link(previous_token),
            "previous_page_token": previous_token,
        },
    }


def resource(status: int, found: Any) -> tuple:
    return status, {"resource": found}


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def _offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        kind, _, value = text.partition(":")
        if kind != "offset":
            raise ValueError
        return max(int(value), 0)
    except ValueError:
        raise invalid("page_token is not valid", "page_token") from None
