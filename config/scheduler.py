"""Is the beat schedule running? A beat-scheduled task records a heartbeat each minute after a
worker ran it; /healthz reads how old it is.

The heartbeat lives beside the broker, where every process of the deployment can see it: a Redis
key with REDIS_URL, else a file in EMBEDDED_DIR (the web server and the embedded worker share the
machine)."""

from __future__ import annotations

import time
from pathlib import Path

from celery.beat import PersistentScheduler
from django.conf import settings

KEY = "setterdesk:scheduler-heartbeat"
FRESH_FOR_S = 180  # three beats of the 1-minute jobs may be missed before it reads "late"
INTERVAL_S = 60.0


def record_heartbeat(now: float | None = None) -> None:
    stamp = repr(time.time() if now is None else now)
    if settings.REDIS_URL:
        _redis().set(KEY, stamp, ex=24 * 3600)
        return
    path = _file()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(stamp)
    partial.replace(path)  # a reader never sees half a number


def last_heartbeat() -> float | None:
    import redis

    try:
        raw = _redis().get(KEY) if settings.REDIS_URL else _file().read_text()
        return float(raw) if raw else None
    except (OSError, ValueError, redis.RedisError):
        return None


def scheduler_state(now: float | None = None) -> str:
    """``off`` when no schedule is expected (tasks run in-process, or SCHEDULER_EXPECTED=0),
    ``ok`` when the periodic jobs ran within the last three minutes, else ``late``."""
    if settings.CELERY_TASK_ALWAYS_EAGER or not settings.SCHEDULER_EXPECTED:
        return "off"
    beat = last_heartbeat()
    now = time.time() if now is None else now
    return "ok" if beat is not None and now - beat <= FRESH_FOR_S else "late"


def _file() -> Path:
    return Path(settings.EMBEDDED_DIR) / "scheduler-heartbeat"


def _redis():
    import redis

    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)


class BeatScheduler(PersistentScheduler):
    """Celery's file-backed schedule, in a folder made first: on a fresh checkout beat may start
    before anything else created EMBEDDED_DIR, and without the folder it dies at once."""

    def setup_schedule(self):
        Path(self.schedule_filename).parent.mkdir(parents=True, exist_ok=True)
        super().setup_schedule()
