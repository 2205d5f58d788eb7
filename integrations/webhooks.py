"""The HTTP edge every provider's webhook view shares: read the raw body within a size limit,
refuse with a short reason, keep the headers that matter, and answer the provider's retry status
(never a 5xx page, never a 2xx) when the delivery can't be stored right now.

A provider's view keeps what is its own: how a request is authenticated, what its body must
look like, and which status makes that provider try again (GHL retries only on 429; Calendly
retries anything that is not 2xx).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from functools import wraps

from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError
from django.http import HttpRequest, JsonResponse

from integrations.webhook_targets import request_transaction

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024
RETRY_AFTER_SECONDS = "60"
HEADER_VALUE_MAX = 500
# All an unauthenticated caller learns: which key is missing, or that none is set for this
# workspace, goes to the log and the provider's card.
UNAUTHENTICATED = "signature missing or invalid"


class Refused(Exception):
    """Answer ``status`` with ``reason`` (short, safe: it is sent back to whoever asked)."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


def guarded(*, provider: str, unavailable_status: int) -> Callable:
    """Wrap a webhook view: a ``Refused`` becomes its answer (a 401 says only
    ``UNAUTHENTICATED``), and a database that can't store the delivery becomes
    ``unavailable_status`` with ``Retry-After``, so the provider sends it again. Never a 5xx:
    an unexpected error is logged and answered as "retry" too.

    The view runs in one transaction (``request_transaction``). A refusal is answered inside
    it, so what the view recorded before refusing (a rejected signature counted on the card, an
    unreadable body kept as ``failed``) commits; an error rolls all of it back."""

    def decorator(view):
        @wraps(view)
        def wrapper(request: HttpRequest, workspace_id, *args, **kwargs) -> JsonResponse:
            try:
                with request_transaction():
                    try:
                        return view(request, workspace_id, *args, **kwargs)
                    except Refused as exc:
                        return _refusal(provider, workspace_id, exc)
            except DatabaseError:
                logger.exception("%s webhook for %s could not be stored", provider, workspace_id)
                return _retry_later(unavailable_status)
            except Exception:
                logger.exception("%s webhook for %s failed unexpectedly", provider, workspace_id)
                return _retry_later(unavailable_status)

        return wrapper

    return decorator


def read_body(request: HttpRequest, *, max_bytes: int = MAX_BODY_BYTES) -> bytes:
    """The raw bytes, as signed; 413 past ``max_bytes`` (checked before reading when the length
    is declared), 400 when empty (nothing to verify or keep)."""
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if declared.isdigit() and int(declared) > max_bytes:
        raise Refused(413, "body too large")
    try:
        body = request.body
    except RequestDataTooBig:
        raise Refused(413, "body too large") from None
    if len(body) > max_bytes:
        raise Refused(413, "body too large")
    if not body:
        raise Refused(400, "empty body")
    return body


def kept_headers(request: HttpRequest, names: Iterable[str]) -> dict[str, str]:
    """The headers worth keeping with a delivery (never a secret: callers name them)."""
    return {
        name: request.headers[name][:HEADER_VALUE_MAX] for name in names if name in request.headers
    }


def _refusal(provider: str, workspace_id, exc: Refused) -> JsonResponse:
    if exc.status == 401:
        logger.info("%s webhook for %s refused: %s", provider, workspace_id, exc.reason)
        return answer(401, UNAUTHENTICATED)
    return answer(exc.status, exc.reason)


def _retry_later(status: int) -> JsonResponse:
    response = answer(status, "cannot store the delivery right now; retry")
    response["Retry-After"] = RETRY_AFTER_SECONDS
    return response


def answer(status: int, reason: str) -> JsonResponse:
    return JsonResponse({"ok": 200 <= status < 300, "detail": reason}, status=status)
