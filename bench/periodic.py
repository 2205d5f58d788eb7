"""Periodic work at agency scale (issue 20), in one command:

    .venv/bin/python bench/periodic.py                      # 2,000 + 2,000 workspaces, 600 s
    .venv/bin/python bench/periodic.py --compress 10        # the same in 60 s (see below)

It needs PostgreSQL and Redis (it starts neither). In one run it:

1. starts the two fakes in this process, each with its provider's documented rate limit: the
   Calendly sandbox (``calendly.sandbox``, every token a user of its own, 500 requests per user
   per minute as on paid plans, ``--calendly-limit 50`` for Free) and the GHL sandbox over real
   HTTP (``ghl.sandbox.server``, every token a location of its own, 100 requests per 10 s and
   200,000 a day per location). Over a limit they answer 429 with the provider's headers;
2. drops and recreates its own database (``--database-url``), migrates it, empties its Redis
   database (``--redis-url``), and inserts ``--calendly`` and ``--ghl`` workspaces connected to
   them (bulk inserts; each connection's token encrypted as the product stores it, each
   workspace its own Calendly user or GHL location);
3. starts a Celery worker on the ``providers`` queue with ``--concurrency`` processes (the
   README's recommendation: one per core, Celery's default);
4. plays one beat period of the subscription check (``--period``, 600 s): at its start the
   three spread jobs are sent as beat sends them (``calendly.tasks.check_all_subscriptions``,
   ``calendly.tasks.reconcile_all``, ``ghl.tasks.reconcile_all``, with the beat's ``interval``),
   and the two reconciles again after their interval (300 s). Beat itself is not run: its first
   send comes one interval after it starts, so the benchmark sends at the same moments itself;
5. waits until every workspace was reconciled in both reconcile intervals and had its
   subscription checked, and prints: wall time to finish against the period, API calls in total
   and per workspace per hour per provider, 429 answers (the target is 0), the most requests one
   user or location made in one rate window against the limit, how late the sweeps started
   against their slots, and CPU per process (JSON to ``bench/results/periodic-<time>.json``).

``--compress K`` divides every interval *and* every rate-limit window by K (Calendly's minute,
GHL's 10 s and day), so each workspace makes the same calls per window as in real time: the
rate-limit figures hold, but the worker must do K times the work per second, so wall time and CPU
are K times harder than production's, not equal to them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "bench"  # noqa: A001

from bench import periodic_seed, services  # noqa: E402
from bench.cpu import CpuMeter  # noqa: E402
from bench.services import BenchError  # noqa: E402

RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/setterdesk_periodic_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/7"
BENCH_SECRET_KEY = "bench-only-secret-key-not-for-production-0123456789"  # noqa: S105
BENCH_FIELD_KEY = "YmVuY2gtb25seS1maWVsZC1rZXktbm90LWZvci1wciE="  # a Fernet key
RECONCILE_EVERY, SUBSCRIPTIONS_EVERY = 300.0, 600.0  # config/celery.py's beat schedule
GHL_BURST, GHL_WINDOW, GHL_DAILY = 100, 10.0, 200_000
GRACE = 0.5  # of the period: how long past its end to wait before calling it late


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calendly", type=int, default=2000, help="Calendly workspaces")
    parser.add_argument("--ghl", type=int, default=2000, help="GHL workspaces")
    parser.add_argument(
        "--concurrency", type=int, default=os.cpu_count() or 1, help="worker processes"
    )
    parser.add_argument("--compress", type=float, default=1.0, help="time compression K")
    parser.add_argument(
        "--calendly-limit", type=int, default=500, help="per user per minute (Free: 50)"
    )
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--output", type=Path, default=None, help="JSON path")
    args = parser.parse_args(argv)
    if "bench" not in services.database_name(args.database_url):
        parser.error("the database name must contain 'bench': it is dropped and made again")
    if args.compress < 1:
        parser.error("--compress must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with services.stop_on_signals():
        try:
            report = Bench(args).run()
        except BenchError as exc:
            print(f"\nperiodic: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("\nperiodic: interrupted; what it started is stopped.", file=sys.stderr)
            return 130
    path = _write_json(args, report)
    base = services.BASE_DIR
    print(f"\nJSON: {path.relative_to(base) if path.is_relative_to(base) else path}")
    return 0 if report["verdict"]["met"] else 1


class Bench:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.k = args.compress
        self.reconcile_every = RECONCILE_EVERY / self.k
        self.period = SUBSCRIPTIONS_EVERY / self.k
        self.stamp = dt.datetime.now(dt.UTC)
        self.log_dir = RESULTS_DIR / "logs" / f"periodic-{self.stamp:%Y%m%dT%H%M%SZ}"
        self.report: dict = {}
        self.worker: services.Child | None = None
        self.calendly = self.ghl = None

    def run(self) -> dict:
        try:
            self._start_fakes()
            self._prepare()
            self._start_worker()
            self._play_period()
        finally:
            if self.worker is not None:
                self.worker.stop()
            for server in (self.calendly, self.ghl):
                if server is not None:
                    server.stop()
        self.report["environment"]["load_average_at_end"] = os.getloadavg()
        self._print()
        return self.report

    def _start_fakes(self) -> None:
        from calendly.sandbox.server import start_sandbox
        from ghl.sandbox.server import start_server
        from integrations.sandbox_limits import RateLimiter

        k = self.k
        self.calendly, calendly_url = start_sandbox(
            tenants=True, rate_limit=RateLimiter(self.args.calendly_limit, 60.0 / k)
        )
        self.ghl = start_server(
            rate_limit=RateLimiter(GHL_BURST, GHL_WINDOW / k, daily=GHL_DAILY, day=86_400 / k)
        )
        os.environ.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "DATABASE_URL": self.args.database_url,
                "REDIS_URL": self.args.redis_url,
                "CELERY_TASK_ALWAYS_EAGER": "0",
                "DEBUG": "0",
                "SECRET_KEY": BENCH_SECRET_KEY,
                "FIELD_ENCRYPTION_KEYS": BENCH_FIELD_KEY,
                "LOG_LEVEL": "WARNING",
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "EMAIL_URL": "dummy://",  # no mail is sent; DEBUG off requires one
                "CALENDLY_API_BASE": calendly_url,
                "CALENDLY_AUTH_BASE": calendly_url,
                "GHL_API_BASE": self.ghl.base_url,
                # Subscriptions are made for this address; nothing is delivered to it.
                "PUBLIC_BASE_URL": "http://127.0.0.1:9",
                "PYTHONUNBUFFERED": "1",
            }
        )

    def _prepare(self) -> None:
        args = self.args
        self.report["environment"] = {
            "date": self.stamp.isoformat(timespec="seconds"),
            "nproc": _nproc(),
            "load_average_at_start": os.getloadavg(),
            "python": sys.version.split()[0],
        }
        self.report["options"] = {
            k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
        }
        print(
            f"Periodic work: {args.calendly:,} Calendly + {args.ghl:,} GHL workspaces, "
            f"{args.concurrency} worker process(es), {_nproc()} cores, period {self.period:g} s"
            + (f" (compressed {self.k:g}x from {SUBSCRIPTIONS_EVERY:g} s)" if self.k > 1 else "")
        )
        print(f"  load average {os.getloadavg()[0]:.2f}")
        pg = services.check_postgres(args.database_url)
        redis_version = services.check_redis(args.redis_url)
        self.report["environment"].update({"postgresql": pg, "redis": redis_version})
        started = time.perf_counter()
        services.recreate_database(args.database_url)
        services.flush_redis(args.redis_url)
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0, interactive=False)
        migrated = time.perf_counter() - started
        seeded = periodic_seed.seed(
            calendly=args.calendly, ghl=args.ghl, calendly_base=self.calendly.base_url
        )
        from django.db import connection

        connection.close()
        self.report["setup"] = {"migrate_seconds": round(migrated, 1), **seeded}
        print(
            f"  database {services.database_name(args.database_url)} migrated in {migrated:.1f} s;"
            f" {args.calendly + args.ghl:,} workspaces seeded in {seeded['seed_seconds']:.1f} s"
        )

    def _start_worker(self) -> None:
        self.worker = services.celery_worker(
            concurrency=self.args.concurrency,
            env=dict(os.environ),
            log_path=self.log_dir / "worker.log",
            queues="providers",
        ).start()
        import redis

        from bench.querycount import READY_KEY

        client = redis.Redis.from_url(self.args.redis_url)
        services.wait_until(  # bench.querycount, loaded into the worker, says when it is ready
            lambda: int(client.get(READY_KEY) or 0) >= 1,
            timeout=60,
            what="the Celery worker starting",
            children=(self.worker,),
        )

    def _play_period(self) -> None:
        from config.celery import app

        meter = CpuMeter(
            groups={"celery worker": self.worker.process.pid},
            pids={
                "postgresql": services.postgres_backends(self.args.database_url),
                "redis": lambda: [p] if (p := services.redis_pid(self.args.redis_url)) else [],
            },
        )
        jobs = ("calendly.tasks.reconcile_all", "ghl.tasks.reconcile_all")
        meter.start()
        t0 = dt.datetime.now(dt.UTC)
        start = time.monotonic()
        app.send_task("calendly.tasks.check_all_subscriptions", kwargs={"interval": self.period})
        for job in jobs:
            app.send_task(job, kwargs={"interval": self.reconcile_every})
        second = None
        finished = None
        deadline = self.period * (1 + GRACE)
        while time.monotonic() - start < deadline:
            self.worker.check()
            elapsed = time.monotonic() - start
            if second is None and elapsed >= self.reconcile_every:
                # The first interval's sweeps must all be done when the next beat comes.
                first_round = periodic_seed.swept_since(t0)
                second = dt.datetime.now(dt.UTC)
                for job in jobs:
                    app.send_task(job, kwargs={"interval": self.reconcile_every})
            if second is not None and periodic_seed.all_done(t0, second):
                finished = elapsed
                break
            time.sleep(1.0)
        cpu = meter.stop()
        if second is None:
            raise BenchError("the period ended before the second reconcile beat")
        self.report["run"] = periodic_seed.outcome(t0, second, self.reconcile_every, self.period)
        self.report["run"].update(
            {
                "first_interval_swept_by_second_beat": first_round,
                "period_seconds": self.period,
                "finished_seconds": None if finished is None else round(finished, 1),
                "cpu_seconds": {k: round(v, 1) for k, v in cpu.items()},
            }
        )
        self._rate_figures()

    def _rate_figures(self) -> None:
        hours = self.period * self.k / 3600  # of simulated (real-world) time
        figures = {}
        for name, server, count in (
            ("calendly", self.calendly, self.args.calendly),
            ("ghl", self.ghl, self.args.ghl),
        ):
            stats = server.rate_limit.stats()
            calls = stats["served"] + stats["refused"]
            stats["calls"] = calls
            stats["calls_per_workspace_per_hour"] = round(calls / max(count, 1) / hours, 2)
            stats["real_window_seconds"] = stats["window_seconds"] * self.k
            figures[name] = stats
        self.report["rate_limits"] = figures
        run = self.report["run"]
        first = run["first_interval_swept_by_second_beat"]
        met = (
            run["finished_seconds"] is not None
            and run["finished_seconds"] <= self.period
            and first == {"calendly": self.args.calendly, "ghl": self.args.ghl}
            and all(f["refused"] == 0 for f in figures.values())
        )
        self.report["verdict"] = {"met": met}

    def _print(self) -> None:
        run, rates = self.report.get("run"), self.report.get("rate_limits")
        if not run or not rates:
            return
        k = self.k
        print(
            f"\nOne period of {self.period:g} s"
            + (f" (= {self.period * k:g} s real)" if k > 1 else "")
        )
        done = run["finished_seconds"]
        print(
            "  finished in "
            + (f"{done:g} s" if done is not None else "NOT within 1.5 periods")
            + f" (inside the period: {'yes' if done is not None and done <= self.period else 'NO'})"
        )
        print(
            f"  first reconcile interval ({self.reconcile_every:g} s): swept by the next beat: "
            + ", ".join(f"{p} {n:,}" for p, n in run["first_interval_swept_by_second_beat"].items())
        )
        for name, figures in run["jobs"].items():
            print(f"  {name}: " + ", ".join(f"{k} {v}" for k, v in figures.items()))
        for name, f in rates.items():
            print(
                f"  {name}: {f['calls']:,} API calls, {f['calls_per_workspace_per_hour']} per "
                f"workspace per hour; 429 answers: {f['refused']}; peak {f['peak_per_window']} "
                f"requests per {'user' if name == 'calendly' else 'location'} per "
                f"{f['real_window_seconds']:g} s window (limit {f['limit']})"
            )
        cpu = run["cpu_seconds"]
        print("  CPU seconds: " + ", ".join(f"{name} {value:g}" for name, value in cpu.items()))
        load = self.report["environment"]
        print(
            f"  load average: {load['load_average_at_start'][0]:.2f} at start, "
            f"{load['load_average_at_end'][0]:.2f} at end"
        )
        print(
            f"  target (inside the period, 0 rate-limit answers): "
            f"{'met' if self.report['verdict']['met'] else 'NOT met'}"
        )


def _nproc() -> int:
    try:
        return int(subprocess.run(["nproc"], capture_output=True, text=True).stdout)
    except (OSError, ValueError):
        return os.cpu_count() or 1


def _write_json(args: argparse.Namespace, report: dict) -> Path:
    path = args.output
    if path is None:
        stamp = report["environment"]["date"].replace(":", "").replace("+00:00", "Z")
        path = RESULTS_DIR / f"periodic-{stamp}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    return path


if __name__ == "__main__":
    sys.exit(main())
