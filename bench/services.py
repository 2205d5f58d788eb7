"""What the benchmark runs on: PostgreSQL and Redis (checked, never started or stopped here),
its own database (dropped and made again each run), and the processes it starts (gunicorn, a
Celery worker), each in its own process group and stopped with it, whatever happens.

A child is also told by the kernel to stop (SIGTERM) if the benchmark itself dies without
cleaning up (``PR_SET_PDEATHSIG``), so nothing is left running even after a ``kill -9``.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
STOP_TIMEOUT = 20.0


class BenchError(Exception):
    """A reason to stop the run, said plainly."""


# PostgreSQL and Redis


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def server_url(url: str) -> str:
    """The same server's maintenance database, to create and drop the benchmark's own."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres"))


def check_postgres(url: str) -> str:
    import psycopg

    try:
        with psycopg.connect(server_url(url), connect_timeout=3) as conn:
            return conn.execute("SHOW server_version").fetchone()[0]
    except psycopg.OperationalError as exc:
        raise BenchError(
            f"PostgreSQL is not answering at {_safe(url)}: {str(exc).strip().splitlines()[0]}\n"
            "Start it (Debian/Ubuntu: `apt-get install postgresql`, then `pg_ctlcluster 15 main "
            "start`, or `make services`), or point --database-url at one."
        ) from None


def check_redis(url: str) -> str:
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=3, socket_connect_timeout=3)
        return client.info("server")["redis_version"]
    except redis.RedisError as exc:
        raise BenchError(
            f"Redis is not answering at {url}: {exc}\n"
            "Start it (Debian/Ubuntu: `apt-get install redis-server`, or `make services`), or "
            "point --redis-url at one."
        ) from None


def flush_redis(url: str) -> None:
    """Empty the benchmark's own Redis database: no queued tasks or counts of an earlier run."""
    import redis

    redis.Redis.from_url(url).flushdb()


def recreate_database(url: str) -> None:
    """Drop the benchmark's database (closing its connections) and create it empty."""
    import psycopg
    from psycopg import sql

    name = database_name(url)
    if "bench" not in name:
        raise BenchError(
            f"Refusing to drop the database {name!r}: the benchmark's database name must "
            "contain 'bench' (it is dropped and made again on every run)."
        )
    with psycopg.connect(server_url(url), autocommit=True, connect_timeout=3) as conn:
        ident = sql.Identifier(name)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(ident))


def _safe(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":•••@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Child processes


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the benchmark's process goes away."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Child:
    """A process (with its own children) the benchmark started, logged to ``log_path``."""

    def __init__(self, name: str, args: list[str], *, env: dict[str, str], log_path: Path):
        self.name = name
        self.args = args
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> Child:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                self.args,
                cwd=BASE_DIR,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: a stop reaches its workers too
                preexec_fn=_die_with_parent,  # noqa: PLW1509
            )
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def check(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            raise BenchError(f"{self.name} exited (code {self.process.returncode}):\n{self.tail()}")

    def tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM (gunicorn and Celery both stop gracefully on it), then SIGKILL the whole
        group, so no worker outlives its master."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self._signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=STOP_TIMEOUT)
        self._signal(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        self.process = None

    def _signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signum)


def gunicorn(
    *, port: int, workers: int, threads: int, env: dict[str, str], log_path: Path
) -> Child:
    args = [
        str(BIN / "gunicorn"),
        "config.wsgi:application",
        f"--bind=127.0.0.1:{port}",
        f"--workers={workers}",
        f"--threads={threads}",  # 1: the sync worker; more: gthread
        "--backlog=4096",
        "--timeout=60",
        "--graceful-timeout=10",
        "--log-level=warning",
    ]
    return Child("gunicorn", args, env=env, log_path=log_path)


def celery_worker(
    *, concurrency: int, env: dict[str, str], log_path: Path, queues: str = "webhooks"
) -> Child:
    args = [
        str(BIN / "celery"),
        "-A",
        "config",
        "worker",
        "--pool=prefork",
        f"--concurrency={concurrency}",
        f"--queues={queues}",
        "--hostname=bench@%h",
        "--loglevel=WARNING",
        "--include=bench.querycount",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    return Child("celery worker", args, env=env, log_path=log_path)


def dispatcher(*, env: dict[str, str], log_path: Path) -> Child:
    """``manage.py dispatch_deliveries``: LISTENs for the deliveries the webhook announces
    (``WEBHOOK_HANDOFF=notify``) and enqueues each."""
    args = [str(BIN / "python"), "manage.py", "dispatch_deliveries"]
    return Child("dispatcher", args, env=env, log_path=log_path)


def wait_until(check, *, timeout: float, what: str, children: tuple[Child, ...] = ()) -> None:
    deadline = time.monotonic() + timeout
    while True:
        for child in children:
            child.check()
        if check():
            return
        if time.monotonic() > deadline:
            tails = "\n".join(f"--- {c.name} ---\n{c.tail()}" for c in children)
            raise BenchError(f"{what} did not happen within {timeout:.0f}s.\n{tails}")
        time.sleep(0.1)


@contextlib.contextmanager
def stop_on_signals():
    """SIGTERM and SIGHUP end the run like Ctrl-C does, so every ``finally`` runs."""

    def interrupt(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    previous = {s: signal.signal(s, interrupt) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


class Autoanalyze:
    """What autovacuum would do, for a server that has it off (as the shared one here): every
    ``interval`` seconds, ANALYZE each table changed by more than 50 rows + 10% of its size since
    its last analyze (autovacuum's own threshold), so the planner sees tables grow as in
    production instead of planning for the empty tables it last saw."""

    QUERY = """
        SELECT s.relname
        FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
        WHERE s.n_mod_since_analyze > 50 + 0.1 * greatest(c.reltuples, 0)
    """

    def __init__(self, url: str, *, interval: float = 10.0):
        self.url = url
        self.interval = interval
        self.runs = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="autoanalyze", daemon=True)

    @staticmethod
    def needed(url: str) -> bool:
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            return conn.execute("SHOW autovacuum").fetchone()[0] != "on"

    def start(self) -> Autoanalyze:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=30)

    def _run(self) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.stopping.wait(self.interval):
                for (table,) in conn.execute(self.QUERY).fetchall():
                    conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))
                    self.runs += 1


def postgres_backends(url: str):
    """A function answering the pids of the server processes connected to this database."""
    import psycopg

    conn = psycopg.connect(server_url(url), autocommit=True)
    name = database_name(url)

    def find() -> list[int]:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", [name]
        ).fetchall()
        return [pid for (pid,) in rows]

    return find


def redis_pid(url: str) -> int | None:
    """The Redis server's pid, when it runs on this machine."""
    import redis

    if urlsplit(url).hostname not in ("127.0.0.1", "localhost", "::1"):
        return None
    return int(redis.Redis.from_url(url).info("server")["process_id"])
