"""Spreading a periodic job's per-workspace work evenly over its interval.

A beat entry that enqueued every workspace's call at once would send thousands of provider calls
in the same second at agency scale, and each workspace's calls would all land together with its
other jobs'. Instead each workspace has a fixed place (its *slot*) in the interval, the same
every interval, and the beat enqueues its task with a countdown to that slot: one beat run
enqueues the whole interval's work, which then arrives at a steady rate.

Slots come from the workspace id times the golden ratio (modulo 1): consecutive ids land as far
apart as any sequence allows, so N workspaces are never more than a few times closer than
``interval / N`` apart, however many there are. ``salt`` (the job's name) shifts one job's slots
against another's, so a workspace's reconcile and its subscription check don't fall together.

A slot is relative to the clock, not to when the beat ran: a beat that comes late enqueues each
workspace for its next slot (those whose slot it missed wait one more interval, never a burst),
and a second beat in the same interval enqueues the same slots again; the task itself refuses a
run that comes less than half an interval after the last one (``reconcile.claim``,
``calendly.subscriptions.ensure``), so a workspace is done at most once per interval.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from datetime import datetime

GOLDEN = (5**0.5 - 1) / 2


def offset(key: int, interval: float, *, salt: str = "") -> float:
    """The workspace's place in the interval, in seconds from the interval's start."""
    shift = zlib.crc32(salt.encode()) / 2**32
    return ((key * GOLDEN + shift) % 1.0) * interval


def delay(key: int, interval: float, now: datetime, *, salt: str = "") -> float:
    """Seconds from ``now`` to the workspace's next slot, in [0, interval)."""
    return (offset(key, interval, salt=salt) - now.timestamp()) % interval


def enqueue(task, keys: Iterable[int], *, interval: float, now: datetime, salt: str) -> int:
    """Enqueue ``task(key, interval=interval)`` for each key at its next slot; how many."""
    count = 0
    for key in keys:
        task.apply_async(
            args=(key,),
            kwargs={"interval": interval},
            countdown=delay(key, interval, now, salt=salt),
        )
        count += 1
    return count
