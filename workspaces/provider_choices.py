"""The booking providers a workspace may choose, as the provider registry announces them.

``workspaces`` imports none of the other apps, so it can't ask ``integrations.providers`` which
providers exist; ``integrations.providers.register()`` adds each one here instead (from the
provider app's ``AppConfig.ready()``). The workspace model's choices and the provisioning API's
``booking_provider`` and ``webhook_urls`` read this, so a new provider needs no edit here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# A workspace (not imported: the model's choices come from this module).
Workspace = Any


@dataclass(frozen=True)
class ProviderChoice:
    name: str
    label: str
    # Where the provider sends this workspace's webhooks ("" when it takes none).
    webhook_url: Callable[[Workspace], str]


_choices: dict[str, ProviderChoice] = {}


def add(*, name: str, label: str, webhook_url: Callable[[Workspace], str]) -> None:
    """Re-adding a name replaces it and keeps its place."""
    _choices[name] = ProviderChoice(name=name, label=label, webhook_url=webhook_url)


def remove(name: str) -> None:
    _choices.pop(name, None)


def choices() -> list[tuple[str, str]]:
    """(name, label) pairs in the order the providers were added."""
    return [(choice.name, choice.label) for choice in _choices.values()]


def webhook_urls(workspace: Workspace) -> dict[str, str]:
    """Where each provider that takes webhooks must send this workspace's."""
    urls = {name: choice.webhook_url(workspace) for name, choice in _choices.items()}
    return {name: url for name, url in urls.items() if url}
