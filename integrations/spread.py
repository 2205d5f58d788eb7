"""Spreading a periodic job's per-workspace work evenly over its interval.

A beat entry that enqueued every workspace's call at once would send thousands of provider calls
in the same second at agency scale. Instead each workspace has a fixed place (its *slot*) in
the interval after each beat, and the beat enqueues its task with a countdown to that slot: one
beat run enqueues the whole interval's work, which then arrives at a steady rate. The slots fill
the first nine tenths of the interval (``SPAN``), so the queue has the last tenth to drain and a
beat's work ends inside its interval.

Slots come from the workspace id times the golden ratio (modulo 1): consecutive ids land as far
apart as any sequence allows, so N workspaces are never more than a few times closer than
``SPAN * interval / N`` apart, however many there are. ``salt`` (the job's name) shifts one
job's slots against another's, so a workspace's reconcile and its subscription check don't fall
together.

A slot is relative to the beat, so a beat that comes late shifts its whole interval's work by as
much (never a burst), and consecutive beats one interval apart do each workspace one interval
apart. A second beat in the same interval enqueues everything again; the task itself refuses a
run that comes less than half an interval after the last one (``reconcile.claim``,
``calendly.subscriptions.ensure``), so a workspace is done at most once per interval.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

GOLDEN = (5**0.5 - 1) / 2
SPAN = 0.9  # of the interval: the slots' share; the rest lets the queue drain


def offset(key: int, interval: float, *, salt: str = "") -> float:
    """The workspace's slot: seconds after the beat, in [0, SPAN * interval)."""
    shift = zlib.crc32(salt.encode()) / 2**32
    return ((key * GOLDEN + shift) % 1.0) * interval * SPAN


def enqueue(task, keys: Iterable[int], *, interval: float, salt: str) -> int:
    """Enqueue ``task(key, interval=interval)`` for each key at its slot; how many."""
    count = 0
    for key in keys:
        task.apply_async(
            args=(key,),
            kwargs={"interval": interval},
            countdown=offset(key, interval, salt=salt),
        )
        count += 1
    return count
