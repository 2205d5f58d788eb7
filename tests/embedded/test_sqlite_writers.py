"""The embedded default's SQLite holds 20 concurrent writers: webhook deliveries (a retry racing
each first try), the auto-booking of the replies they carry, and double-submitted form posts.
Before WAL, the busy timeout and IMMEDIATE transactions, 8 to 17 of them failed with "database
is locked"."""

import json
import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).with_name("sqlite_writers.py")


def test_twenty_concurrent_writers_on_a_file_sqlite_lose_nothing_and_double_nothing(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'embedded.sqlite3'}",
        "EMBEDDED_DIR": str(tmp_path / "var"),
        "CELERY_TASK_ALWAYS_EAGER": "1",  # the auto_book task runs in the writer's own thread
        "GHL_API_BASE": "http://127.0.0.1:1",  # nothing here may call GHL
        "LOG_LEVEL": "ERROR",
    }
    env.pop("REDIS_URL", None)
    result = subprocess.run(
        [sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=240
    )
    assert result.returncode == 0, result.stderr[-3000:]
    held = json.loads(result.stdout.strip().splitlines()[-1])

    assert held["errors"] == [], result.stderr[-3000:]
    assert held["statuses"] == [200] * 14 + [302] * 6
    # Four appointments delivered twice each are four appointments and four deliveries.
    assert held["appointments"] == [f"appointment-{n}" for n in range(4)]
    assert held["deliveries"] == ["processed"] * 10
    # Six replies stored, each read by auto-booking; three forms submitted twice, three tasks.
    assert (held["replies"], held["replies_read"], held["manual_tasks"]) == (6, 6, 3)
