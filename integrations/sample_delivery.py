""" "Send a test event": a delivery signed by the provider's own hook with the workspace's own
stored key, sent through our real webhook endpoint, so the admin sees it verified, stored and
processed in the deliveries table. It is built to end ``ignored``: it never touches a lead or
an appointment."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.test import RequestFactory
from django.urls import resolve

from integrations.providers import ProviderSpec
from workspaces.models import Workspace


@dataclass(frozen=True)
class SampleDelivery:
    """What the provider's hook built: our endpoint's path, the body and its signed headers."""

    path: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Sent:
    status: int
    answer: str  # the endpoint's short answer ("stored", or why it refused)

    @property
    def accepted(self) -> bool:
        return 200 <= self.status < 300


def can_send(spec: ProviderSpec) -> bool:
    return spec.test_event is not None


def send_test_event(*, spec: ProviderSpec, workspace: Workspace) -> Sent:
    """Through the endpoint's own view, in this process: a deployment with one web worker
    would otherwise wait on itself. The view does everything a provider's request meets:
    signature check, storage, the hand-off to the workers."""
    event: SampleDelivery = spec.test_event(workspace)
    headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in event.headers.items()}
    request = RequestFactory().post(
        event.path, data=event.body, content_type="application/json", **headers
    )
    match = resolve(event.path)
    response = match.func(request, *match.args, **match.kwargs)
    return Sent(status=response.status_code, answer=_answer(response.content))


def _answer(content: bytes) -> str:
    try:
        data = json.loads(content or b"{}")
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    return str(data.get("status") or data.get("detail") or data.get("error") or "")[:200]
