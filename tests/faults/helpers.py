"""Waiting for what a worker does, with a deadline on every wait."""

from __future__ import annotations

import time
from collections.abc import Callable

WAIT = 30.0  # the longest any fault test waits for a worker: far past a healthy second


def wait_until(check: Callable[[], object], *, what: str, timeout: float = WAIT):
    """Poll ``check`` until it returns something truthy; fail saying ``what`` never happened."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"Within {timeout}s, never: {what}")
        time.sleep(0.05)
