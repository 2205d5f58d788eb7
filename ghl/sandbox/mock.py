"""Serving the sandbox location to the real ``ghl.client`` through respx (tests only: respx is
a development dependency). Every request under ``base`` reaches ``api.dispatch``; a scripted
unreachable or timed-out call raises httpx's own error, as the network would."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import httpx
import respx

from . import api
from .controls import Controls
from .records import BASE, OTHER_PERSON, TOKEN
from .state import GhlState


class GhlSandbox(Controls):
    """``GhlSandbox().start()`` ... ``.stop()``: point ``GHL_API_BASE`` at ``base``."""

    def __init__(self, *, base: str = BASE, token: str = TOKEN, other=OTHER_PERSON):
        self.base = base.rstrip("/")
        self.state = GhlState(token=token, other=other)
        self.router = respx.mock(assert_all_called=False)
        self.router.route(url__startswith=self.base).mock(side_effect=self._serve)

    def start(self) -> GhlSandbox:
        self.router.start()
        return self

    def stop(self) -> None:
        self.router.stop()

    def _serve(self, request: httpx.Request) -> httpx.Response:
        path = urlsplit(str(request.url)).path[len(urlsplit(self.base).path) :]
        try:
            body = json.loads(request.content) if request.content else None
        except ValueError:
            status, answer = api.error(400, "The body is not valid JSON")
            return httpx.Response(status, json=answer)
        call = api.Call(request.method, path, request.url.params, body, request.headers)
        try:
            status, answer = api.dispatch(self.state, call)
        except api.Unreachable:
            raise httpx.ConnectError("Connection refused", request=request) from None
        except api.NoAnswer:
            raise httpx.ReadTimeout("GHL did not answer", request=request) from None
        return httpx.Response(status, json=answer)
