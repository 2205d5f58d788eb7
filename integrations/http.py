"""The one HTTP transport under every provider client: retries, timeouts, safe errors.

A client names its endpoints and its wording (a ``Dialect``); every call goes through
``ProviderHttp.request`` with a ``Policy`` saying how that kind of call may be retried:

- a 429 is retried after the provider's ``Retry-After`` (or the header its dialect names) plus a
  little jitter while the wait fits a small budget, then raised as ``ProviderRateLimited``; a
  policy that must not wait (a booking that should become a link instead) raises at once;
- an answer saying the rate window is spent (the dialect's ``remaining_header`` at "0") makes
  the client's next call wait for the window's end when that is short, or fail as
  ``ProviderRateLimited`` without being sent: a sweep with many calls never earns the 429;
- a 5xx or a network failure is retried with exponential back-off and jitter up to the policy's
  attempts and the sleep budget, then raised as ``ProviderUnavailable``;
- a write that is not repeatable is never sent again once it may have reached the provider: a
  5xx, or a failure after the request left this machine, raises
  ``ProviderUnavailable(outcome_unknown=True)`` at once and the caller looks the result up. A
  connect failure is retried: nothing was sent;
- a 4xx becomes the matching ``followups.errors`` type, worded by the dialect.

Messages and details carry the provider's own reason, shortened; the token and any secret a call
names are scrubbed out of every message, detail and log line.
"""

from __future__ import annotations

import functools
import logging
import random
import ssl
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Self

import httpx

from followups.errors import (
    ProviderAuthError,
    ProviderBadRequest,
    ProviderError,
    ProviderPermissionError,
    ProviderRateLimited,
    ProviderUnavailable,
)

from .responses import ResponseShapeError

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(20.0, connect=5.0)
MAX_RATE_WAIT = 10.0  # seconds; a longer wait asked for is handed to the caller, not slept
SLEEP_BUDGET = 20.0  # seconds slept per call, in total
BACKOFF_BASE = 0.5
RATE_JITTER = 0.25
MAX_REASON = 500  # characters of the provider's reason kept in a message

# Raised before a byte left this machine: nothing happened at the provider.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass(frozen=True)
class Policy:
    """How one kind of call may be retried. ``attempts`` counts the first one.

    ``repeatable=False``: once the request may have reached the provider it is not sent again.
    ``unknown_when_exhausted``: a repeatable write whose last try failed after sending may or may
    not have happened there.
    """

    attempts: int
    wait_on_rate_limit: bool = True
    repeatable: bool = True
    unknown_when_exhausted: bool = False

    @property
    def writes(self) -> bool:
        """Whether an answer we can't read leaves the outcome unknown."""
        return not self.repeatable or self.unknown_when_exhausted


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    action: str  # what we were doing, worded to follow "we could not ..."
    policy: Policy
    attempt: int
    secrets: tuple[str, ...] = field(default=(), repr=False)

    @property
    def last(self) -> bool:
        return self.attempt >= self.policy.attempts


@dataclass(frozen=True)
class Refusal:
    """A 4xx answer: the decoded body ({} when none), the provider's reason (scrubbed and
    shortened, fit for a message) and the detail for the log."""

    status: int
    body: Mapping[str, Any]
    reason: str
    detail: str


class Dialect:
    """What differs from one provider's API to another's: its name as users read it, where it
    says why it refused, how it asks us to wait, and the refusals that mean something special."""

    name = "The provider"
    rate_limit_header = "Retry-After"
    # Pacing: an answer whose ``remaining_header`` says "0" spent the window, and the next call
    # waits ``window_reset`` seconds (or is not sent) instead of earning a 429.
    remaining_header = ""
    rate_limited_whom = "this account"  # "X is rate-limiting <whom>"
    trace_field = ""  # a body field worth keeping in the log (a request id)

    def reason(self, body: Mapping[str, Any]) -> str:
        """The provider's reason in an error body; "" when it gives none."""
        return ""

    def refusal(self, call: Call, refusal: Refusal) -> ProviderError | None:
        """The error for a 4xx that means more than the generic one, else None."""
        return None

    def window_reset(self, headers: httpx.Headers) -> float | None:
        """Seconds until the spent rate window ends, from an answer's headers."""
        return _seconds(headers.get(self.rate_limit_header))


class Closing:
    """Closes the connections it holds in ``_http`` on ``close()`` or at the end of a ``with``."""

    _http: Any

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One verifying TLS context per process, shared by every client: making one reads the whole
    CA bundle (about 80 ms of CPU here, two thirds of a reconcile sweep when each sweep made its
    own client); a context is safe to share between clients and threads."""
    return httpx.create_ssl_context()


class ProviderHttp(Closing):
    """Requests to one provider's API with one token (or none, for a token endpoint)."""

    def __init__(
        self,
        dialect: Dialect,
        *,
        base_url: str,
        token: str = "",
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.dialect = dialect
        self._token = token
        self._sleep = sleep
        self._clock = clock
        self._spent_until = 0.0  # monotonic: the provider said the window is spent until then
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=timeout,
            transport=transport,
            headers=headers,
            verify=tls_context(),
        )

    @property
    def base_url(self) -> str:
        return str(self._http.base_url)

    def request(
        self,
        method: str,
        path: str,
        *,
        action: str,
        policy: Policy,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        secrets: Iterable[str | None] = (),
    ) -> dict[str, Any]:
        """The decoded JSON object answered ({} for an empty answer), or a ``ProviderError``.
        ``secrets``: values of this call (a code, a client secret) never to appear in an error."""
        hidden = tuple(secret for secret in secrets if secret)
        slept = 0.0
        attempt = 0
        while True:
            attempt += 1
            call = Call(method, path, action, policy, attempt, hidden)
            self._wait_for_window(call)
            try:
                response = self._http.request(
                    method, path, params=params, json=json, data=data, headers=headers
                )
            except httpx.TransportError as exc:
                wait, detail = self._after_transport_error(call, exc)
            else:
                self._note_window(response)
                if response.status_code < 400:
                    return self._json(response, call)
                wait, detail = self._after_error_status(call, response, slept)
            slept = self._pause(wait, slept, call, detail)

    def parse(self, parser: Callable[[Any], Any], data: Any, *, action: str, written=False):
        """``parser(data)``; an answer it can't read is the provider's fault, not ours."""
        try:
            return parser(data)
        except ResponseShapeError as exc:
            logger.error("%s answer to %s unreadable: %s", self.dialect.name, action, exc)
            raise self.unexpected(action, written=written) from None

    def parse_each(self, parser: Callable[[Any], Any], items: list[Any], *, what: str) -> list:
        """Every readable item; an unreadable one is logged and skipped, not fatal to the list."""
        found = []
        for item in items:
            try:
                found.append(parser(item))
            except ResponseShapeError as exc:
                logger.warning("%s %s skipped: %s", self.dialect.name, what, exc)
        return found

    def unexpected(self, action: str, *, written: bool = False) -> ProviderUnavailable:
        """A 2xx we can't read. After a write, what happened at the provider is unknown."""
        return ProviderUnavailable(
            f"{self.dialect.name} sent an answer we could not read when asked to {action}.",
            outcome_unknown=written,
        )

    def unavailable(
        self, call: Call, detail: str, *, outcome_unknown: bool = False, status: int | None = None
    ) -> ProviderUnavailable:
        name = self.dialect.name
        if outcome_unknown:
            text = (
                f"{name} failed or timed out while asked to {call.action}; it may or may not "
                "have happened there. Check before trying again."
            )
        else:
            text = f"{name} is not answering, so we could not {call.action}; try again later."
        return ProviderUnavailable(
            text, outcome_unknown=outcome_unknown, status=status, detail=self._scrub(call, detail)
        )

    # Pacing: never send a call the provider already said it would refuse.

    def _note_window(self, response: httpx.Response) -> None:
        name = self.dialect.remaining_header
        if not name or response.headers.get(name) != "0":
            return
        reset = self.dialect.window_reset(response.headers)
        if reset is not None:
            self._spent_until = self._clock() + reset

    def _wait_for_window(self, call: Call) -> None:
        wait = self._spent_until - self._clock()
        if wait <= 0:
            return
        if wait > MAX_RATE_WAIT or not call.policy.wait_on_rate_limit:
            raise ProviderRateLimited(
                f"{self.dialect.name} is rate-limiting {self.dialect.rate_limited_whom}, so we "
                f"could not {call.action}; try again shortly.",
                retry_after=wait,
                status=429,
                detail=f"{call.method} {call.path}: not sent, the rate window is spent",
            )
        self._sleep(wait + random.uniform(0, RATE_JITTER))
        self._spent_until = 0.0

    # One failed try: how long to wait before the next, or the error to raise instead.

    def _after_transport_error(self, call: Call, exc: httpx.TransportError) -> tuple[float, str]:
        reached = not isinstance(exc, _NOT_SENT)
        detail = f"{call.method} {call.path}: {type(exc).__name__}"
        if reached and not call.policy.repeatable:
            raise self.unavailable(call, detail, outcome_unknown=True)
        if call.last:
            unknown = reached and call.policy.unknown_when_exhausted
            raise self.unavailable(call, detail, outcome_unknown=unknown)
        return _backoff(call.attempt), detail

    def _after_error_status(
        self, call: Call, response: httpx.Response, slept: float
    ) -> tuple[float, str]:
        status = response.status_code
        body = _json_object(response)
        reason = self._scrub(call, " ".join(self.dialect.reason(body).split())[:MAX_REASON])
        trace = body.get(self.dialect.trace_field) if self.dialect.trace_field else None
        trace = f" trace={trace}" if isinstance(trace, str) and trace else ""
        detail = f"{call.method} {call.path} -> {status}{trace}: {reason}"
        if status == 429:
            return self._after_rate_limit(call, response, slept, detail), detail
        if status < 500:
            raise self._refused(call, Refusal(status, body, reason, detail))
        if not call.policy.repeatable or call.last:
            unknown = not call.policy.repeatable or call.policy.unknown_when_exhausted
            raise self.unavailable(call, detail, outcome_unknown=unknown, status=status)
        return _backoff(call.attempt), detail

    def _after_rate_limit(
        self, call: Call, response: httpx.Response, slept: float, detail: str
    ) -> float:
        # The provider refused the request outright, so even a booking is safe to send again.
        asked = _seconds(response.headers.get(self.dialect.rate_limit_header))
        wait = _backoff(call.attempt) if asked is None else asked + random.uniform(0, RATE_JITTER)
        give_up = (
            not call.policy.wait_on_rate_limit
            or call.last
            or (asked is not None and asked > MAX_RATE_WAIT)
            or slept + wait > SLEEP_BUDGET
        )
        if give_up:
            raise ProviderRateLimited(
                f"{self.dialect.name} is rate-limiting {self.dialect.rate_limited_whom}, so we "
                f"could not {call.action}; try again shortly.",
                retry_after=asked,
                status=429,
                detail=detail,
            )
        return wait

    def _refused(self, call: Call, refusal: Refusal) -> ProviderError:
        special = self.dialect.refusal(call, refusal)
        if special is not None:
            return special
        name, status, reason = self.dialect.name, refusal.status, refusal.reason
        if status == 401:
            return ProviderAuthError(
                f"{name} rejected the token (revoked, expired or mistyped): "
                f"reconnect {name} on the Integrations tab.",
                status=status,
                detail=refusal.detail,
            )
        if status == 403:
            return ProviderPermissionError(
                f"{name} did not allow us to {call.action}{': ' + reason if reason else ''}.",
                status=status,
                detail=refusal.detail,
            )
        because = f": {reason}" if reason else f" (HTTP {status})"
        return ProviderBadRequest(
            f"{name} refused to {call.action}{because}", status=status, detail=refusal.detail
        )

    def _pause(self, wait: float, slept: float, call: Call, detail: str) -> float:
        if slept + wait > SLEEP_BUDGET:
            raise self.unavailable(call, f"{detail} (retry budget spent)")
        logger.warning("%s retry in %.1fs to %s: %s", self.dialect.name, wait, call.action, detail)
        self._sleep(wait)
        return slept + wait

    def _json(self, response: httpx.Response, call: Call) -> dict[str, Any]:
        if response.status_code == 204 or not response.content:
            return {}
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise self.unexpected(call.action, written=call.policy.writes)
        return body

    def _scrub(self, call: Call, text: str) -> str:
        if self._token:
            text = text.replace(self._token, "[token]")
        for secret in call.secrets:
            text = text.replace(secret, "[secret]")
        return text


def _json_object(response: httpx.Response) -> Mapping[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _seconds(header: str | None) -> float | None:
    """A wait in seconds from a rate-limit header; None when absent or not believable."""
    try:
        seconds = float(header or "")
    except ValueError:
        return None
    return seconds if 0 <= seconds < 86_400 else None


def _backoff(attempt: int) -> float:
    return BACKOFF_BASE * 2 ** (attempt - 1) + random.uniform(0, BACKOFF_BASE)
