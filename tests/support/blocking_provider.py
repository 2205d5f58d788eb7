"""A provider that exists only in the tests, for a worker to load with
``--include tests.support.blocking_provider`` (it registers itself on import).

Its mapper leaves one side effect in the database per successful run (an ``AuditEvent`` with
action ``MAPPED``, written in the mapper's transaction) and, when the delivery's body names a
gate directory, blocks after writing it until the test creates ``<gate>/release``. While it
blocks, ``<gate>/started`` holds the pid of the process running it, so a test can kill exactly
that process in the middle of ``process_delivery``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from integrations.providers import ProviderSpec, register
from workspaces import audit

NAME = "blocking"
MAPPED = "test.blocking_provider.mapped"
BLOCK_TIMEOUT = 60.0  # never block a worker for longer than any test waits


class _NoBooking:
    name = NAME

    def __init__(self, workspace):
        self.workspace = workspace


def map_delivery(delivery) -> str:
    data = delivery.json()
    audit.record(
        workspace=delivery.workspace,
        action=MAPPED,
        actor_label=f"pid {os.getpid()}",
        changes={"delivery": delivery.pk},
    )
    gate = data.get("gate")
    if gate:
        _wait_at(Path(gate))
    return data.get("outcome", "processed")


def _wait_at(gate: Path) -> None:
    release = gate / "release"
    if release.exists():
        return
    (gate / "started.tmp").write_text(str(os.getpid()))
    (gate / "started.tmp").rename(gate / "started")  # appears whole or not at all
    deadline = time.monotonic() + BLOCK_TIMEOUT
    while not release.exists():
        if time.monotonic() > deadline:
            raise TimeoutError("the test never released the blocking mapper")
        time.sleep(0.02)


SPEC = ProviderSpec(
    name=NAME,
    label="Blocking test provider",
    factory=_NoBooking,
    map_delivery=map_delivery,
    is_connected=lambda workspace: False,
)

register(SPEC)
