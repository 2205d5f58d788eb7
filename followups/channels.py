"""Where outbound messages go out: a registry of channel implementations.

A provider app registers its channel from its ``AppConfig.ready()`` (ghl does:
``register_channel("ghl", GhlChannel, is_available)``). ``followups`` comes before the provider
apps in INSTALLED_APPS, so the registry is a plain module-level dict that exists as soon as this
module is imported. A workspace's messages go through the first registered channel available to
it, else through the record-only channel, which sends nothing and only records the message as
sent (development, the demo, workspaces without a messaging provider).

A channel is ``channel_class(workspace)`` with ``.send(*, lead, kind, body, subject="")``
returning an object with ``.provider_message_id``; ``kind`` is "sms" or "email". It raises
``followups.errors.ProviderError`` subclasses; ``ProviderUnavailable(outcome_unknown=True)``
means the message may have gone out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger(__name__)

KINDS = ("sms", "email")


@dataclass(frozen=True)
class ChannelSpec:
    name: str
    channel_class: Callable
    is_available: Callable


@dataclass(frozen=True)
class Recorded:
    provider_message_id: str = ""


class RecordOnlyChannel:
    """Sends nothing: the message is recorded as sent, so the lead page shows what would go."""

    name = "record_only"

    def __init__(self, workspace):
        self.workspace = workspace

    def send(self, *, lead, kind: str, body: str, subject: str = "") -> Recorded:
        return Recorded()


_registry: dict[str, ChannelSpec] = {}


def register_channel(name: str, channel_class: Callable, is_available: Callable) -> None:
    """Re-registering a name replaces it (a reloaded app, a test's fake)."""
    _registry[name] = ChannelSpec(name, channel_class, is_available)


def unregister_channel(name: str) -> None:
    _registry.pop(name, None)


def registered() -> list[str]:
    return list(_registry)


def channel_for(workspace):
    """The channel the workspace's messages go through."""
    for spec in list(_registry.values()):
        try:
            available = spec.is_available(workspace)
        except Exception:  # a broken availability check must not stop every message
            logger.exception("channel %s: availability check failed", spec.name)
            available = False
        if available:
            channel = spec.channel_class(workspace)
            if not getattr(channel, "name", ""):
                channel.name = spec.name
            return channel
    return RecordOnlyChannel(workspace)
