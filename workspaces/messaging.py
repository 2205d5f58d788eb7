"""Which channel carries a workspace's messages to its leads, and the rule that only a connected
one can be chosen.

``workspaces`` knows no provider, so whether a channel is connected is asked of a check the
follow-up engine installs at start-up (``set_connection_check``); until it does, nothing counts
as connected and only ``None`` can be chosen.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from workspaces import audit
from workspaces.models import Workspace

CHOICES = tuple(Workspace.MessagingChannel.values)

_connection_check: Callable[[Workspace, str], bool] | None = None


class ChannelNotConnected(Exception):
    """The channel asked for can't carry messages for this workspace; ``reason`` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def set_connection_check(check: Callable[[Workspace, str], bool]) -> None:
    global _connection_check
    _connection_check = check


def refusal(workspace: Workspace | None, channel: str | None) -> str:
    """Why ``channel`` can't be this workspace's messaging channel ("" when it can)."""
    if channel is None:
        return ""
    if channel not in CHOICES:
        return f"Choose one of {', '.join(CHOICES)} or null."
    label = Workspace.MessagingChannel(channel).label
    if workspace is None or workspace.pk is None or _connection_check is None:
        return f"{label} is not connected: connect it first, then choose it."
    if not _connection_check(workspace, channel):
        return f"{label} is not connected: connect it first, then choose it."
    return ""


def choose_messaging_channel(
    *, workspace: Workspace, channel: str | None, actor=None, actor_label: str = ""
) -> bool:
    """Make ``channel`` (or None) the workspace's messaging channel, audited. Returns whether
    anything changed; raises ChannelNotConnected for a channel that is not connected."""
    reason = refusal(workspace, channel)
    if reason:
        raise ChannelNotConnected(reason)
    with transaction.atomic():
        locked = Workspace.objects.select_for_update().get(pk=workspace.pk)
        before = locked.messaging_channel
        if before == channel:
            return False
        locked.messaging_channel = channel
        locked.save(update_fields=["messaging_channel", "updated_at"])
        audit.record(
            workspace=locked,
            action="messaging_channel.chosen",
            actor=actor,
            actor_label=actor_label,
            changes={"messaging_channel": [before, channel]},
        )
    workspace.messaging_channel = channel
    return True
