"""`make run PORT=…` as a newcomer runs it, on SQLite with the embedded broker: it serves on that
port, a real worker with beat runs the periodic jobs (/healthz says "scheduler": "ok" well within
three minutes), nothing it prints reads like an error, and Ctrl-C stops every process."""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.embedded.stack import AS_FROM_A_TERMINAL

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent  # the virtualenv the suite runs in is already installed


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthz(port: int) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
            return json.loads(answer.read())
    except OSError:
        return None


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def still_running(pgid: int, output) -> str:
    """What a failed stop left behind, for the failure message: the group's processes, and the
    Python ones' stacks (PYTHONFAULTHANDLER makes SIGABRT print them into make's log)."""
    ps = subprocess.run(
        ["ps", "-o", "pid,ppid,stat,nlwp,args", "-g", str(pgid)], capture_output=True, text=True
    ).stdout
    signals = []
    for line in ps.splitlines()[1:]:
        pid = int(line.split()[0])
        with contextlib.suppress(OSError):
            status = Path(f"/proc/{pid}/status").read_text().splitlines()
            signals.append(f"{pid}: " + " ".join(s for s in status if s.startswith("Sig")))
    for line in ps.splitlines()[1:]:
        if "python" in line:
            os.kill(int(line.split()[0]), signal.SIGABRT)
    time.sleep(2)
    output.seek(0)
    signals = "\n".join(signals)
    return f"{ps}\n{signals}\n{output.read()[-20000:]}"


@pytest.fixture
def make_run(tmp_path):
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_TASK_ALWAYS_EAGER", "PUBLIC_BASE_URL"}
    }
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        EMBEDDED_DIR=str(tmp_path / "var"),
        PYTHONFAULTHANDLER="1",
    )
    output = (tmp_path / "make.log").open("w+")
    process = subprocess.Popen(
        # -o: the virtualenv counts as installed (the suite's own), so make installs nothing.
        [
            *AS_FROM_A_TERMINAL,
            "make",
            "--no-print-directory",
            "run",
            f"PORT={port}",
            f"BIN={BIN}",
            "-o",
            f"{BIN}/.installed",
        ],
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    yield port, process, output
    if group_alive(process.pid):
        os.killpg(process.pid, signal.SIGKILL)


def test_make_run_serves_on_its_port_runs_the_schedule_and_stops_on_ctrl_c(make_run):
    port, process, output = make_run
    deadline = time.monotonic() + 180
    health = None
    while time.monotonic() < deadline and (health or {}).get("scheduler") != "ok":
        time.sleep(1)
        health = healthz(port)
    assert health == {"database": "ok", "broker": "embedded", "scheduler": "ok"}

    output.seek(0)
    printed = output.read()
    assert f"is ready at http://127.0.0.1:{port}/" in printed  # seed_demo's address is the real one
    for alarming in ("WARNING", "Error", "Traceback"):
        assert alarming not in printed, printed

    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail(f"make run outlived Ctrl-C by 30 s:\n{still_running(process.pid, output)}")
    deadline = time.monotonic() + 30
    while group_alive(process.pid) and time.monotonic() < deadline:
        time.sleep(0.5)
    if group_alive(process.pid):
        pytest.fail(f"a process of make run outlived Ctrl-C:\n{still_running(process.pid, output)}")
    assert healthz(port) is None
