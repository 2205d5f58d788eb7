"""A provider's documented rate limit, for its sandbox (``calendly.sandbox``, ``ghl.sandbox``):
so a test or a benchmark sees a 429 exactly where the real provider would send one.

Fixed windows per key (a Calendly user, a GHL location): ``limit`` requests per ``window``
seconds, and optionally ``daily`` per day. A request over either is refused (the caller answers
429) and counted as refused, not as served. It also keeps what a benchmark reports: requests
served and refused, and the most requests one key made in one window.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

DAY = 86_400.0


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset: float  # seconds until the window ends
    daily: int | None = None
    daily_remaining: int | None = None


class RateLimiter:
    def __init__(
        self,
        limit: int,
        window: float,
        *,
        daily: int | None = None,
        day: float = DAY,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.limit = limit
        self.window = window
        self.daily = daily
        self.day = day
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}  # key -> (window start, count)
        self._days: dict[str, tuple[float, int]] = {}
        self.served = 0
        self.refused = 0
        self.peak = 0  # most requests served to one key in one window
        self.keys: set[str] = set()

    def take(self, key: str) -> Verdict:
        """Count one request of ``key``; whether it is within the limits."""
        with self._lock:
            now = self._clock()
            started, count = self._current(self._windows, key, now, self.window)
            day_started, day_count = self._current(self._days, key, now, self.day)
            over_daily = self.daily is not None and day_count >= self.daily
            allowed = count < self.limit and not over_daily
            if allowed:
                count += 1
                day_count += 1
                self._windows[key] = (started, count)
                self._days[key] = (day_started, day_count)
                self.served += 1
                self.peak = max(self.peak, count)
                self.keys.add(key)
            else:
                self.refused += 1
            return Verdict(
                allowed=allowed,
                limit=self.limit,
                remaining=max(self.limit - count, 0),
                reset=max(started + self.window - now, 0.0),
                daily=self.daily,
                daily_remaining=None if self.daily is None else max(self.daily - day_count, 0),
            )

    @staticmethod
    def _current(table: dict, key: str, now: float, length: float) -> tuple[float, int]:
        started, count = table.get(key, (now, 0))
        if now - started >= length:
            return now, 0
        return started, count

    def stats(self) -> dict:
        with self._lock:
            return {
                "limit": self.limit,
                "window_seconds": self.window,
                "daily": self.daily,
                "served": self.served,
                "refused": self.refused,
                "peak_per_window": self.peak,
                "keys": len(self.keys),
            }
