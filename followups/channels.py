"""Where messages to leads go out, and where their replies come back in.

A channel app registers its implementation from its ``AppConfig.ready()`` (ghl does:
``register_channel("ghl", GhlChannel, is_available)``; the e-mail and outbound-webhook channels
register from ``integrations``). ``followups`` comes before those apps in INSTALLED_APPS, so the
registry is a plain module-level dict that exists as soon as this module is imported.

A workspace's messages go through its chosen ``messaging_channel`` when that channel is
connected; with none chosen, through the first connected channel in registration order. With
none connected, ``channel_for`` answers None and the message ends ``not_sent`` with
``NOT_CONNECTED`` as its reason: nothing is ever called sent that was not. The record-only
channel (sends nothing, records "sent") is for tests only, behind ``MESSAGING_RECORD_ONLY``.

A channel is ``channel_class(workspace)`` with ``.send(*, lead, kind, body, subject="",
message=None)`` returning an object with ``.provider_message_id``; ``kind`` is "sms" or "email"
and ``message`` the OutboundMessage (its id, for receivers that dedupe). Its ``kinds`` says what
it can carry (default: both). It raises ``followups.errors.ProviderError`` subclasses;
``ProviderUnavailable(outcome_unknown=True)`` means the message may have gone out. An optional
``retry_schedule`` (seconds after each failed try) replaces the sweep's fixed retries.

Replies travel the other way through ``deliver_reply``: ``booking`` installs the receiver (the
one that stores the reply and hands it to auto-booking), so a channel below ``booking`` can hand
a reply on without importing it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

logger = logging.getLogger(__name__)

KINDS = ("sms", "email")
NOT_CONNECTED = "no messaging channel is connected"


@dataclass(frozen=True)
class ChannelSpec:
    name: str
    channel_class: Callable
    is_available: Callable


@dataclass(frozen=True)
class Recorded:
    provider_message_id: str = ""


class RecordOnlyChannel:
    """Tests only (``MESSAGING_RECORD_ONLY``): sends nothing and records the message as sent."""

    name = "record_only"
    kinds = KINDS

    def __init__(self, workspace):
        self.workspace = workspace

    def send(self, *, lead, kind: str, body: str, subject: str = "", message=None) -> Recorded:
        return Recorded()


_registry: dict[str, ChannelSpec] = {}
_reply_receiver: Callable | None = None
_reply_lookup: Callable | None = None


def register_channel(name: str, channel_class: Callable, is_available: Callable) -> None:
    """Re-registering a name replaces it (a reloaded app, a test's fake)."""
    _registry[name] = ChannelSpec(name, channel_class, is_available)


def unregister_channel(name: str) -> None:
    _registry.pop(name, None)


def registered() -> list[str]:
    return list(_registry)


def is_connected(workspace, name: str) -> bool:
    spec = _registry.get(name)
    if spec is None:
        return False
    try:
        return bool(spec.is_available(workspace))
    except Exception:  # a broken availability check must not stop every message
        logger.exception("channel %s: availability check failed", spec.name)
        return False


def connected(workspace) -> list[str]:
    """The registered channels this workspace could send through right now."""
    return [name for name in list(_registry) if is_connected(workspace, name)]


def channel_for(workspace):
    """The channel the workspace's messages go through, or None when none can reach its leads."""
    chosen = getattr(workspace, "messaging_channel", None)
    names = [chosen] if chosen else list(_registry)
    for name in names:
        if is_connected(workspace, name):
            spec = _registry[name]
            channel = spec.channel_class(workspace)
            if not getattr(channel, "name", ""):
                channel.name = spec.name
            return channel
    if getattr(settings, "MESSAGING_RECORD_ONLY", False):
        return RecordOnlyChannel(workspace)
    return None


def refusal(workspace) -> str:
    """Why nothing sent now would reach this workspace's leads ("" when something would)."""
    return "" if channel_for(workspace) is not None else NOT_CONNECTED


def kinds_of(channel) -> tuple[str, ...]:
    return tuple(getattr(channel, "kinds", KINDS))


# Replies coming back


def set_reply_receiver(receiver: Callable) -> None:
    """``receiver(*, lead, channel, body, received_at, provider, provider_message_id)``."""
    global _reply_receiver
    _reply_receiver = receiver


def deliver_reply(**reply):
    if _reply_receiver is None:
        raise RuntimeError("No reply receiver is installed (is the booking app installed?).")
    return _reply_receiver(**reply)


def set_reply_lookup(lookup: Callable) -> None:
    """``lookup(lead) -> (provider, provider_message_id) | None``: the lead's latest reply."""
    global _reply_lookup
    _reply_lookup = lookup


def last_reply(lead) -> tuple[str, str] | None:
    return _reply_lookup(lead) if _reply_lookup is not None else None
