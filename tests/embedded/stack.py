"""`make demo` itself, run by a test: the web server, the embedded Celery worker with beat, and the
Calendly sandbox, as a newcomer gets them, on a database of the test's choosing (a SQLite file by
default). Nothing is faked in between: the test drives it over HTTP (the admin and booking APIs,
the sandbox's controls, a browser) and reads what it stored with ``manage.py shell``.

    with DemoStack(tmp_path) as demo:
        demo.api("POST", f"/api/workspaces/{demo.workspace_id}/leads", {...})
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent  # the suite's own virtualenv, already installed
READY_TIMEOUT = 180.0  # migrating a fresh database on a busy 2-core machine takes a while
SANDBOX_TOKEN = "sandbox-token"  # calendly.sandbox's default personal access token
EVENT_TYPE_PATH = "/casey-closer/discovery-call"
# What must not leak from the suite's own environment into the newcomer's.
SUITE_ONLY = {"DATABASE_URL", "REDIS_URL", "CELERY_TASK_ALWAYS_EAGER", "PUBLIC_BASE_URL"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Start make as a shell in a terminal does: Ctrl-C's signal neither ignored nor blocked. A suite
# started in the background (``make test &``, a CI runner) inherits SIGINT ignored, and a shell
# that starts with it ignored can't trap it: Ctrl-C would reach only the Celery processes. A
# small exec'ing launcher rather than ``preexec_fn``, which is unsafe in a process with threads.
AS_FROM_A_TERMINAL = [
    sys.executable,
    "-c",
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL);"
    " signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT});"
    " os.execvp(sys.argv[1], sys.argv[1:])",
]


class DemoStack:
    def __init__(self, workdir: Path, *, database_url: str = ""):
        self.workdir = Path(workdir)
        self.port, self.sandbox_port = free_port(), free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.sandbox_url = f"http://127.0.0.1:{self.sandbox_port}"
        self.env = {k: v for k, v in os.environ.items() if k not in SUITE_ONLY}
        self.env.update(
            DATABASE_URL=database_url or f"sqlite:///{self.workdir / 'db.sqlite3'}",
            EMBEDDED_DIR=str(self.workdir / "var"),
        )
        self.log_path = self.workdir / "make-demo.log"
        self.process: subprocess.Popen | None = None
        self.http = httpx.Client(timeout=30)
        self.key = ""
        self.workspace_id = ""

    # Life cycle

    def __enter__(self) -> DemoStack:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                *AS_FROM_A_TERMINAL,
                "make",
                "--no-print-directory",
                "demo",
                f"PORT={self.port}",
                f"SANDBOX_PORT={self.sandbox_port}",
                f"BIN={BIN}",
                "WORKER_LOGLEVEL=INFO",  # what the worker did is in the log a failure shows
                "-o",
                f"{BIN}/.installed",  # installed already: make installs nothing
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log_path.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            self.wait_for(lambda: (self.health() or {}).get("scheduler") == "ok", READY_TIMEOUT)
        except BaseException:
            self.stop()
            raise
        self.key = self.manage("create_api_key", "walkthrough").strip().splitlines()[-1]
        found = self.api("GET", "/api/admin/workspaces?external_id=demo").json()["results"]
        self.workspace_id = found[0]["id"]
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
        self.http.close()

    def stop(self) -> None:
        """Ctrl-C, as in the terminal: every process of the group gets SIGINT."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGINT)
            self.process.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
        with contextlib.suppress(ProcessLookupError):  # whatever outlived Ctrl-C
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process = None

    @property
    def log(self) -> str:
        return self.log_path.read_text()

    # Talking to it

    def health(self) -> dict | None:
        try:
            return self.http.get(f"{self.base_url}/healthz", timeout=2).json()
        except (httpx.HTTPError, ValueError):
            assert self.process is None or self.process.poll() is None, self.log[-3000:]
            return None

    def api(self, method: str, path: str, body: dict | None = None) -> httpx.Response:
        headers = {"Authorization": f"Api-Key {self.key}"}
        return self.http.request(method, f"{self.base_url}{path}", json=body, headers=headers)

    def sandbox(self, action: str, **body) -> dict:
        answer = self.http.post(f"{self.sandbox_url}/_sandbox/{action}", json=body)
        answer.raise_for_status()
        return answer.json()

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={**self.env, "PORT": str(self.port)},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout

    def query(self, code: str):
        """What the app stored: ``code`` is Python run by ``manage.py shell`` that sets
        ``result`` to something JSON can carry."""
        printed = self.manage("shell", "-c", f"{code}\nimport json; print(json.dumps(result))")
        return json.loads(printed.strip().splitlines()[-1])

    def wait_for(self, condition, timeout: float, every: float = 1.0, state=None):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if answer := condition():
                return answer
            time.sleep(every)
        raise AssertionError(
            f"not within {timeout:.0f} s; last seen {state}; make demo's log:\n{self.log[-4000:]}"
        )

    # The steps every walkthrough starts with, through the admin API

    def connect_calendly(self) -> dict:
        answer = self.api(
            "PUT",
            f"/api/admin/workspaces/{self.workspace_id}/integrations/calendly",
            {"access_token": SANDBOX_TOKEN, "event_type": f"{self.sandbox_url}{EVENT_TYPE_PATH}"},
        )
        assert answer.status_code == 200, answer.text
        # The worker makes the webhook subscription after the answer, as the card says: wait
        # for it, as a user waits for "active", or a booking made first has no webhook at all.
        self.wait_for(
            lambda: any(
                sub["state"] == "active" for sub in self.sandbox_state()["webhook_subscriptions"]
            ),
            timeout=60,
            every=0.2,
        )
        return answer.json()

    def sandbox_state(self) -> dict:
        return self.http.get(f"{self.sandbox_url}/_sandbox/state").json()
