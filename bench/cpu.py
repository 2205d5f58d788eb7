"""Where the CPU went during a phase: the load generator (this process), gunicorn (its process
group), the Celery worker (its group), the PostgreSQL backends serving the benchmark's database,
Redis, and the whole machine (``/proc/stat``: what is left is everyone else's).

Read from ``/proc`` (Linux); elsewhere every figure is simply missing.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _ticks(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[11]) + int(fields[12])  # utime, stime


def _group(pgid: int) -> list[int]:
    pids = []
    with contextlib.suppress(OSError):
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open(f"/proc/{name}/stat") as handle:
                    rest = handle.read().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(rest[2]) == pgid:  # pgrp
                pids.append(int(name))
    return pids


def _machine() -> tuple[int, int] | None:
    """(busy, total) jiffies of all cores since boot."""
    try:
        with open("/proc/stat") as handle:
            values = [int(v) for v in handle.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    total = sum(values[:8])  # without guest time, already counted in user
    return total - idle, total


@dataclass
class Snapshot:
    parts: dict[str, dict[int, int]] = field(default_factory=dict)
    machine: tuple[int, int] | None = None


class CpuMeter:
    """``start()`` then ``stop()`` around a phase; ``stop()`` answers CPU seconds per part.

    Sampled every ``interval`` seconds in between too, so a process that ends during the phase
    (a database connection recycled) still counts up to its last sample."""

    def __init__(
        self,
        *,
        groups: dict[str, int],
        pids: dict[str, Callable[[], list[int]]],
        interval: float = 0.5,
    ):
        self.groups = groups  # name -> process group id
        self.pids = pids  # name -> function returning the pids now
        self.interval = interval
        self.started: Snapshot | None = None
        self.seen: dict[str, dict[int, int]] = {}
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def _snapshot(self) -> Snapshot:
        snap = Snapshot(machine=_machine())
        snap.parts["load generator"] = {os.getpid(): _ticks(os.getpid()) or 0}
        for name, pgid in list(self.groups.items()):
            snap.parts[name] = {p: t for p in _group(pgid) if (t := _ticks(p)) is not None}
        for name, find in self.pids.items():
            try:
                pids = find()
            except Exception:  # a figure we can't read is missing, not fatal
                pids = []
            snap.parts[name] = {p: t for p in pids if (t := _ticks(p)) is not None}
        return snap

    def _remember(self, snap: Snapshot) -> None:
        for name, pids in snap.parts.items():
            seen = self.seen.setdefault(name, {})
            for pid, ticks in pids.items():
                seen[pid] = max(ticks, seen.get(pid, 0))

    def _sample(self) -> None:
        while not self.stopping.wait(self.interval):
            self._remember(self._snapshot())

    def start(self) -> None:
        self.started = self._snapshot()
        self.seen = {}
        self.stopping.clear()
        self.thread = threading.Thread(target=self._sample, name="cpu-meter", daemon=True)
        self.thread.start()

    def stop(self) -> dict[str, float]:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout=5)
        end = self._snapshot()
        self._remember(end)
        start = self.started or Snapshot()
        seconds = {}
        for name, pids in self.seen.items():
            before = start.parts.get(name, {})
            seconds[name] = sum(t - before.get(p, 0) for p, t in pids.items()) / TICK
        if start.machine and end.machine:
            busy = (end.machine[0] - start.machine[0]) / TICK
            total = (end.machine[1] - start.machine[1]) / TICK
            seconds["machine busy"] = busy
            seconds["machine total"] = total
            seconds["everyone else"] = max(
                0.0, busy - sum(v for k, v in seconds.items() if not k.startswith("machine"))
            )
        return seconds
