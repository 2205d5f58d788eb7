"""A real Celery worker in a subprocess, on the test database pytest-django created.

Tests that use it must commit what the worker should see:
``@pytest.mark.django_db(transaction=True)``. The worker is stopped before the test's tables are
flushed (the fixture depends on ``transactional_db``).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from tests.support.redis_server import die_with_the_tests

BASE_DIR = Path(settings.BASE_DIR)
CELERY = Path(sys.executable).with_name("celery")
QUEUES = "default,webhooks,providers"
READY_TIMEOUT = 60.0  # a cold start on a busy 2-core CI machine takes a few seconds
STOP_TIMEOUT = 15.0
# Where provider clients in the worker point unless a test says otherwise: the discard port,
# so a stray call is refused at once and nothing ever leaves the machine.
NOWHERE = "http://127.0.0.1:9"


def test_database_url() -> str:
    """The URL of the database this test runs on (pytest-django's ``test_…`` one)."""
    db = connection.settings_dict
    user = quote(db.get("USER") or "")
    password = quote(db.get("PASSWORD") or "")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{db['NAME']}"


class CeleryWorker:
    """``celery -A config worker`` with a prefork pool of ``concurrency`` processes.

    ``include`` names modules the worker imports at start (test-only providers under
    ``tests/support/``). ``env`` adds or overrides environment variables (``GHL_API_BASE``,
    ``CALENDLY_API_BASE``, ...). Its log (stdout and stderr) is kept in ``log_path``.
    """

    def __init__(
        self,
        *,
        broker_url: str,
        workdir: Path,
        include: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
        concurrency: int = 1,
    ):
        self.broker_url = broker_url
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.include = tuple(include)
        self.concurrency = concurrency
        self.name = f"test-{uuid.uuid4().hex[:8]}@%h"
        self.log_path = self.workdir / f"worker-{self.name.split('@')[0]}.log"
        self.extra_env = dict(env or {})
        self.process: subprocess.Popen | None = None
        self._log_offset = 0
        self.starts = 0

    # Life cycle

    def start(self, timeout: float = READY_TIMEOUT) -> CeleryWorker:
        if self.is_running:
            return self
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        args = [
            *(str(CELERY), "-A", "config", "worker", "--loglevel=INFO", "--pool=prefork"),
            f"--concurrency={self.concurrency}",
            f"--queues={QUEUES}",
            f"--hostname={self.name}",
            # No chatter with other workers: start faster, and nothing else on the broker.
            *("--without-gossip", "--without-mingle", "--without-heartbeat"),
        ]
        if self.include:
            args += ["--include", ",".join(self.include)]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                args,
                cwd=BASE_DIR,
                env=self._environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own process group, so a kill reaches the pool's processes too.
                start_new_session=True,
                preexec_fn=die_with_the_tests,
            )
        self.starts += 1
        self.wait_for_log(r"@\S+ ready\.", timeout=timeout)
        return self

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """A warm shutdown (SIGTERM: finish the running task, then exit); SIGKILL if it will
        not."""
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                return
        self._reap_group()
        self.process = None

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes at once, as the OOM killer would."""
        if self.process is None:
            return
        self._signal_group(signal.SIGKILL)
        self.process.wait(timeout=STOP_TIMEOUT)
        self.process = None

    def restart(self, timeout: float = READY_TIMEOUT) -> CeleryWorker:
        self.stop()
        return self.start(timeout=timeout)

    @property
    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    # The log

    def log(self, *, since_start: bool = True) -> str:
        if not self.log_path.exists():
            return ""
        with open(self.log_path, "rb") as handle:
            if since_start:
                handle.seek(self._log_offset)
            return handle.read().decode(errors="replace")

    def wait_for_log(self, pattern: str, *, timeout: float = 30.0) -> re.Match:
        """The first match of ``pattern`` in the log since the last start; fails with the log's
        tail when the worker exits or the time is up."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            match = regex.search(self.log())
            if match:
                return match
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"The worker exited:\n{self.log()[-3000:]}")
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"No {pattern!r} in the worker's log within {timeout}s:\n{self.log()[-3000:]}"
                )
            time.sleep(0.05)

    # Helpers

    def _environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "DATABASE_URL": test_database_url(),
                "REDIS_URL": self.broker_url,
                "CELERY_TASK_ALWAYS_EAGER": "0",
                "PUBLIC_BASE_URL": settings.PUBLIC_BASE_URL,
                "GHL_API_BASE": NOWHERE,
                "CALENDLY_API_BASE": NOWHERE,
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(self.extra_env)
        return env

    def _signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signum)

    def _reap_group(self) -> None:
        # Pool processes orphaned by a main process that died first must not linger.
        self._signal_group(signal.SIGKILL)
