"""Benchmark of the Calendly webhook's ingest path (issue 9), in one command:

    .venv/bin/python bench/webhook_ingest.py --leads 1000
    .venv/bin/python bench/webhook_ingest.py --leads 1000000

It needs PostgreSQL and Redis (it starts neither). In one run it:

1. drops and recreates its own database (``--database-url``, default ``setterdesk_bench``),
   migrates it, empties its Redis database (``--redis-url``, default db 6), and seeds a workspace
   with Calendly connected (a real encrypted connection, the event type chosen, a webhook
   signing key stored) and ``--leads`` leads (``bench/seed.py``);
2. starts the app under gunicorn, as many workers as cores, on ``bench.settings`` (the product's
   settings plus a bare view that only answers 200 and a middleware that counts each request's
   SQL statements);
3. for ``--seconds`` each, from ``--clients`` concurrent clients: the bare view at full speed,
   the insert floor at full speed (``/bench/insert/``: one INSERT of the raw body into a plain
   table, committed: what any store-then-acknowledge endpoint must do), then the webhook at full
   speed (signed ``invitee.created`` deliveries for existing leads, each a new
   invitee, every tenth a duplicate of one already sent), then the webhook at half that rate;
4. starts a Celery worker with two processes on the ``webhooks`` queue, lets it work off what
   the phases above stored, then sends deliveries at a moderate rate and polls the database for
   each one's appointment (POST → appointment visible);
5. prints the figures (and writes them as JSON under ``bench/results/``), and stops everything
   it started, also on Ctrl-C or an error.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "bench"  # noqa: A001

from bench import BARE_PATH as _BARE  # noqa: E402
from bench import INSERT_PATH as _INSERT  # noqa: E402
from bench import services  # noqa: E402
from bench.cpu import CpuMeter  # noqa: E402
from bench.loadgen import Job, Phase, Result, closed_loop, open_loop, render  # noqa: E402
from bench.services import BenchError  # noqa: E402

BARE_PATH = f"/{_BARE}"
INSERT_PATH = f"/{_INSERT}"
RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/setterdesk_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/6"
# The benchmark's own keys, for its processes only (DEBUG is off, as in production).
BENCH_SECRET_KEY = "bench-only-secret-key-not-for-production-0123456789"  # noqa: S105
BENCH_FIELD_KEY = "YmVuY2gtb25seS1maWVsZC1rZXktbm90LWZvci1wciE="  # a Fernet key
MAX_SECONDS = 150  # signatures are made before a phase and must stay within Calendly's 3 min
DUPLICATE_EVERY = 10  # every tenth request repeats a delivery already sent: 10% duplicates
WARMUP_SECONDS = 2.0
POLL_INTERVAL = 0.01
VISIBLE_TIMEOUT = 60.0
TARGETS = {
    "ratio_floor": 0.8,
    "ratio_bare": 0.3,
    "half_rate_p99_ms": 25.0,
    "visible_p99_ms": 60.0,
}


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    pass


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/webhook_ingest.py",
        description=__doc__,
        formatter_class=_HelpFormatter,
    )
    parser.add_argument(
        "--leads", type=_positive, default=1000, help="leads seeded in the workspace"
    )
    parser.add_argument(
        "--seconds",
        type=_seconds,
        default=20.0,
        help=f"length of each timed phase (at most {MAX_SECONDS}: signatures made before a "
        "phase must stay within Calendly's 3 minutes)",
    )
    parser.add_argument(
        "--clients", type=_positive, default=32, help="concurrent clients at full speed"
    )
    parser.add_argument(
        "--workers",
        type=_positive,
        default=os.cpu_count() or 1,
        help="gunicorn worker processes (the default is the number of cores)",
    )
    parser.add_argument(
        "--threads",
        type=_positive,
        default=1,
        help="threads per gunicorn worker (1: the sync worker; more: gthread with keep-alive)",
    )
    parser.add_argument(
        "--celery-concurrency",
        type=_positive,
        default=2,
        help="Celery worker processes consuming the webhooks queue",
    )
    parser.add_argument(
        "--handoff",
        choices=("notify", "enqueue"),
        default="notify",
        help="how a stored delivery reaches the worker (WEBHOOK_HANDOFF): NOTIFY in the insert "
        "and the dispatcher process enqueues it, or the webhook publishes to Redis after commit",
    )
    parser.add_argument(
        "--e2e-rate",
        type=float,
        default=0.0,
        help="deliveries/s of the POST → appointment phase (0: half of what the worker was "
        "measured to process, at most a quarter of the webhook's maximum)",
    )
    parser.add_argument(
        "--drain-timeout",
        type=float,
        default=900.0,
        help="how long the worker may take to process the deliveries stored by the timed "
        "phases before the POST → appointment phase",
    )
    parser.add_argument(
        "--database-url",
        default=DEFAULT_DATABASE_URL,
        help="the benchmark's own PostgreSQL database (its name must contain 'bench': it is "
        "dropped and recreated)",
    )
    parser.add_argument(
        "--redis-url",
        default=DEFAULT_REDIS_URL,
        help="the benchmark's own Redis database (flushed at the start), used as the broker",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="where to write the JSON results [bench/results/webhook_ingest-<leads>-<time>.json]",
    )
    return parser.parse_args(argv)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if not 1 <= value <= MAX_SECONDS:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_SECONDS}")
    return value


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    _configure_environment(args)
    with services.stop_on_signals():
        try:
            report = Bench(args).run()
        except BenchError as exc:
            print(f"\nwebhook_ingest: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("\nwebhook_ingest: interrupted; what it started is stopped.", file=sys.stderr)
            return 130
    path = _write_json(args, report)
    shown = path.relative_to(services.BASE_DIR) if path.is_relative_to(services.BASE_DIR) else path
    print(f"\nJSON: {shown}")
    return 0


def _configure_environment(args: argparse.Namespace) -> None:
    """The same settings for this process (migrate, seed), gunicorn and the worker."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DATABASE_URL": args.database_url,
            "REDIS_URL": args.redis_url,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "WEBHOOK_HANDOFF": args.handoff,
            "DEBUG": "0",
            "EMAIL_URL": "dummy://",  # production settings require one; the benchmark sends none
            "SECRET_KEY": BENCH_SECRET_KEY,
            "FIELD_ENCRYPTION_KEYS": BENCH_FIELD_KEY,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "TRUST_X_FORWARDED_PROTO": "1",
            "LOG_LEVEL": "WARNING",
            # Nothing may leave the machine: a stray provider call is refused at once.
            "CALENDLY_API_BASE": "http://127.0.0.1:9",
            "GHL_API_BASE": "http://127.0.0.1:9",
            "PYTHONUNBUFFERED": "1",
        }
    )


class Bench:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.stamp = dt.datetime.now(dt.UTC)
        self.log_dir = RESULTS_DIR / "logs" / f"{args.leads}-{self.stamp:%Y%m%dT%H%M%SZ}"
        self.children: list[services.Child] = []
        self.port = services.free_port()
        self.host = "127.0.0.1"
        self.webhook_path = ""
        self.seeded = None
        self.factory = None
        self.accepted: set[str] = set()  # invitee URIs the webhook answered 2xx for
        self.sent = Counter()
        self.report: dict = {}
        self.autoanalyze: services.Autoanalyze | None = None
        self.meter: CpuMeter | None = None

    # The run

    def run(self) -> dict:
        try:
            self._prepare()
            self._start_server()
            asyncio.run(self._request_phases())
            self._start_worker()
            self._drain()
            asyncio.run(self._visible_phase())
            self._finish()
        finally:
            for child in reversed(self.children):
                child.stop()
            if self.autoanalyze is not None:
                self.autoanalyze.stop()
        self.report["environment"].update(
            {
                "load_average_at_end": os.getloadavg(),
                "other_pytest_processes_at_end": _other_test_runs(),
                "autoanalyze_runs": self.autoanalyze.runs if self.autoanalyze else None,
            }
        )
        self._print()
        return self.report

    def _prepare(self) -> None:
        args = self.args
        cores = os.cpu_count()
        others = _other_test_runs()
        self.report["environment"] = {
            "date": self.stamp.isoformat(timespec="seconds"),
            "cores": cores,
            "nproc": _nproc(),
            "load_average_at_start": os.getloadavg(),
            "other_pytest_processes_at_start": others,
            "python": sys.version.split()[0],
        }
        self.report["options"] = {
            k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
        }
        print(
            f"Webhook ingest benchmark: {args.leads:,} leads, {_nproc()} cores, "
            f"{args.workers} gunicorn worker(s) x {args.threads} thread(s), {args.clients} "
            f"clients, {args.seconds:g} s per phase"
        )
        print(f"  load average {os.getloadavg()[0]:.2f}; other pytest processes running: {others}")
        pg = services.check_postgres(args.database_url)
        redis_version = services.check_redis(args.redis_url)
        self.report["environment"].update({"postgresql": pg, "redis": redis_version})
        print(f"  PostgreSQL {pg}, Redis {redis_version}")
        step = time.perf_counter()
        services.recreate_database(args.database_url)
        services.flush_redis(args.redis_url)
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0, interactive=False)
        migrated = time.perf_counter() - step
        from django.db import connection

        from bench.seed import DeliveryFactory, seed

        self.seeded = seed(leads=args.leads)
        from bench.urls import create_floor_table

        create_floor_table()
        connection.close()
        if services.Autoanalyze.needed(args.database_url):
            self.autoanalyze = services.Autoanalyze(args.database_url).start()
        self.factory = DeliveryFactory(seeded=self.seeded, rng=random.Random(9))
        self.webhook_path = f"/webhooks/calendly/{self.seeded.public_id}/"
        self.report["setup"] = {
            "database": services.database_name(args.database_url),
            "migrate_seconds": round(migrated, 1),
            "seed_seconds": round(self.seeded.seconds, 1),
            "workspace_id": self.seeded.workspace_id,
        }
        print(
            f"  database {services.database_name(args.database_url)} made and migrated in "
            f"{migrated:.1f} s; {args.leads:,} leads seeded in {self.seeded.seconds:.1f} s"
        )
        if self.autoanalyze is not None:
            print(
                "  autovacuum is off on this server: tables that grow are ANALYZEd as "
                f"autovacuum would (checked every {self.autoanalyze.interval:.0f} s)"
            )

    def _start_server(self) -> None:
        server = services.gunicorn(
            port=self.port,
            workers=self.args.workers,
            threads=self.args.threads,
            env=dict(os.environ),
            log_path=self.log_dir / "gunicorn.log",
        )
        self.children.append(server.start())
        services.wait_until(
            self._healthy, timeout=60, what="gunicorn answering /healthz", children=(server,)
        )
        groups = {"gunicorn": server.process.pid}
        if self.args.handoff == "notify":
            # Enqueueing moves from gunicorn to the dispatcher: its CPU is counted beside it.
            env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings")
            log_path = self.log_dir / "dispatcher.log"
            dispatcher = services.dispatcher(env=env, log_path=log_path).start()
            self.children.append(dispatcher)
            groups["dispatcher"] = dispatcher.process.pid
            services.wait_until(
                lambda: _listening(self.args.database_url),
                timeout=60,
                what="the dispatcher listening",
                children=(dispatcher,),
            )
        redis_pid = services.redis_pid(self.args.redis_url)
        self.meter = CpuMeter(
            groups=groups,
            pids={
                "PostgreSQL": services.postgres_backends(self.args.database_url),
                "Redis": lambda: [redis_pid] if redis_pid else [],
            },
        )

    def _healthy(self) -> bool:
        import httpx

        try:
            answer = httpx.get(f"http://{self.host}:{self.port}/healthz", timeout=2)
        except httpx.HTTPError:
            return False
        return answer.status_code == 200 and answer.json().get("broker") == "ok"

    async def _request_phases(self) -> None:
        args = self.args
        print("\nRequest path (no Celery worker running: stored deliveries wait in Redis)")
        await self._closed(BARE_PATH, WARMUP_SECONDS, expected=4000)
        warm = await self._closed(self.webhook_path, WARMUP_SECONDS, expected=4000)
        guess = max(len(warm.in_window) / WARMUP_SECONDS, 50.0)
        self.meter.start()
        bare = await self._closed(BARE_PATH, args.seconds, expected=8000)
        self.report["bare"] = self._summary("bare view, full speed", bare, cpu=self.meter.stop())
        await self._closed(INSERT_PATH, WARMUP_SECONDS, expected=4000)
        self.meter.start()
        floor = await self._closed(INSERT_PATH, args.seconds, expected=8000)
        self.report["insert_floor"] = self._summary(
            "insert floor, full speed", floor, cpu=self.meter.stop()
        )
        self.meter.start()
        webhook = await self._closed(
            self.webhook_path, args.seconds, expected=int(guess * args.seconds * 2) + 2000
        )
        self.report["webhook"] = self._summary(
            "webhook, full speed", webhook, cpu=self.meter.stop()
        )
        self._print_ratios()
        half_rate = self.report["webhook"]["rps"] / 2
        stream = self._stream(self.webhook_path, int(half_rate * args.seconds) + 10)
        self.meter.start()
        half = await open_loop(
            host=self.host, port=self.port, jobs=stream, rate=half_rate, seconds=args.seconds
        )
        self._tally(half)
        self.report["half_rate"] = self._summary(
            f"webhook at 0.5 x max ({half_rate:.0f}/s)",
            half,
            behind=half.behind,
            cpu=self.meter.stop(),
        )
        self.report["half_rate"]["target_rate"] = round(half_rate, 1)
        self._print_cpu()
        self.report["queries_per_request"] = _query_summary(webhook.results + half.results)
        self._print_queries()

    async def _closed(self, path: str, seconds: float, *, expected: int) -> Phase:
        # The bare view's and the floor's load is the same requests, cycled: neither dedupes.
        comparison = path in (BARE_PATH, INSERT_PATH)
        stream = self._stream(path, expected, cycle=comparison)
        phase = await closed_loop(
            host=self.host, port=self.port, jobs=stream, clients=self.args.clients, seconds=seconds
        )
        if not comparison:
            self._tally(phase)
        self.report.setdefault("built_during_timed_part", 0)
        self.report["built_during_timed_part"] += stream.built_live
        return phase

    def _stream(self, path: str, count: int, *, cycle: bool = False) -> JobStream:
        return JobStream(
            factory=self.factory,
            render=lambda d: render(
                host=self.host, port=self.port, path=path, body=d.body, headers=d.headers
            ),
            count=count,
            spacing=self.args.clients,
            cycle=cycle,
        )

    def _tally(self, phase: Phase) -> None:
        for result in phase.results:
            self.sent["duplicate" if result.duplicate else "unique"] += 1
            if 200 <= result.status < 300:
                self.accepted.add(result.key)
                self.sent["answered stored" if result.stored else "answered duplicate"] += 1
            else:
                self.sent[f"status {result.status}"] += 1

    def _summary(self, label: str, phase: Phase, *, behind: int = 0, cpu=None) -> dict:
        done = phase.in_window
        latencies = sorted(r.latency for r in done)
        failures = Counter(r.status for r in done if not 200 <= r.status < 300)
        errors = Counter(r.error.split(":")[0] for r in done if r.error)
        summary = {
            "requests": len(done),
            "seconds": round(phase.seconds, 2),
            "rps": round(len(done) / phase.seconds, 1),
            "p50_ms": _ms(_pct(latencies, 0.50)),
            "p95_ms": _ms(_pct(latencies, 0.95)),
            "p99_ms": _ms(_pct(latencies, 0.99)),
            "max_ms": _ms(latencies[-1] if latencies else None),
            "non_2xx": {str(k): v for k, v in failures.items()},
            "errors": dict(errors),
        }
        if behind:
            summary["started_late"] = behind
        if cpu:
            summary["cpu_seconds"] = {k: round(v, 2) for k, v in cpu.items()}
            summary["cpu_ms_per_request"] = {
                k: round(v / max(len(done), 1) * 1000, 3)
                for k, v in cpu.items()
                if not k.startswith("machine") and k != "everyone else"
            }
        bad = sum(failures.values())
        if done and bad > len(done) // 10:
            # A phase of redirects or refusals measures nothing worth printing.
            raise services.BenchError(
                f"{label}: {bad} of {len(done)} answers were not 2xx ({dict(failures)})"
            )
        note = f"   {bad} non-2xx {dict(failures)}" if bad else ""
        if behind:
            note += f"   ({behind} requests started late by the generator)"
        if label.startswith("bare"):
            print(f"  {'':<28}{'req/s':>9} {'p50':>9} {'p95':>9} {'p99':>9}")
        print(
            f"  {label:<28}{summary['rps']:>9,.1f} {summary['p50_ms']:>6.1f} ms "
            f"{summary['p95_ms']:>6.1f} ms {summary['p99_ms']:>6.1f} ms{note}"
        )
        if label.startswith("webhook at"):
            ok = summary["p99_ms"] < TARGETS["half_rate_p99_ms"]
            print(
                f"  {'':<28}(target p99 < {TARGETS['half_rate_p99_ms']:.0f} ms: "
                f"{'met' if ok else 'not met'})"
            )
        return summary

    def _print_ratios(self) -> None:
        rps = self.report["webhook"]["rps"]
        floor = rps / self.report["insert_floor"]["rps"]
        bare = rps / self.report["bare"]["rps"]
        self.report["ratio_insert_floor"] = round(floor, 3)
        self.report["ratio_bare"] = round(bare, 3)
        self.report["ratio"] = self.report["ratio_bare"]  # the name earlier results used
        # One line each, exactly so: the lead's comparison greps them.
        print(f"ratio webhook/insert floor: {floor:.2f}")
        print(f"ratio webhook/bare: {bare:.2f}")
        print(
            f"  (targets: webhook/insert floor ≥ {TARGETS['ratio_floor']}, "
            f"webhook/bare ≥ {TARGETS['ratio_bare']})"
        )

    def _print_cpu(self) -> None:
        print("\nCPU time per request in ms (from /proc), and how busy the machine was")
        parts = ("gunicorn", "dispatcher", "PostgreSQL", "Redis", "load generator")
        print(f"  {'':<28}" + "".join(f"{p:>15}" for p in parts) + "   machine busy (others)")
        rows = (
            ("bare", "bare view"),
            ("insert_floor", "insert floor"),
            ("webhook", "webhook"),
            ("half_rate", "half"),
        )
        for key, label in rows:
            row = self.report[key]
            per = row.get("cpu_ms_per_request", {})
            cpu = row.get("cpu_seconds", {})
            busy = ""
            if cpu.get("machine total"):
                share = cpu["machine busy"] / cpu["machine total"] * 100
                others = cpu["everyone else"] / cpu["machine total"] * 100
                busy = f"{share:.0f}% ({others:.0f}%)"
            cells = "".join(f"{per.get(p, float('nan')):>15.2f}" for p in parts)
            print(f"  {label:<28}{cells}   {busy}")

    def _print_queries(self) -> None:
        q = self.report["queries_per_request"]
        print("\nSQL statements per webhook request (every request, counted in gunicorn)")
        for kind in ("new delivery", "duplicate"):
            row = q.get(kind)
            if row:
                print(
                    f"  {kind:<14} mean {row['mean']:.2f}  min {row['min']}  max {row['max']}  "
                    f"({row['requests']:,} requests; {row['verbs']})"
                )

    # The worker

    def _start_worker(self) -> None:
        env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings")
        worker = services.celery_worker(
            concurrency=self.args.celery_concurrency,
            env=env,
            log_path=self.log_dir / "celery.log",
        )
        self.children.append(worker.start())
        self.meter.groups["celery worker"] = worker.process.pid
        import redis

        client = redis.Redis.from_url(self.args.redis_url)
        services.wait_until(
            lambda: int(client.get("bench:worker_ready") or 0) >= 1,
            timeout=90,
            what="the Celery worker starting",
            children=tuple(self.children),
        )

    def _drain(self) -> None:
        states = _delivery_states(self.args.database_url)
        backlog = states.get("received", 0)
        print(
            f"\nProcessing: {self.args.celery_concurrency} worker processes work off the "
            f"{backlog:,} deliveries stored above"
        )
        started = time.perf_counter()
        self.meter.start()
        services.wait_until(
            lambda: _delivery_states(self.args.database_url).get("received", 0) == 0,
            timeout=self.args.drain_timeout,
            what=f"processing the {backlog:,} stored deliveries",
            children=tuple(self.children),
        )
        cpu = self.meter.stop()
        seconds = time.perf_counter() - started
        rate = backlog / seconds if seconds else 0.0
        # Only the worker's own CPU: its PostgreSQL backends don't live long enough to be read
        # (Celery's Django fixup closes the connection around every task).
        per = {"celery worker": round(cpu.get("celery worker", 0) / max(backlog, 1) * 1000, 2)}
        busy = cpu["machine busy"] / cpu["machine total"] * 100 if cpu.get("machine total") else 0
        self.report["drain"] = {
            "deliveries": backlog,
            "seconds": round(seconds, 1),
            "per_second": round(rate, 1),
            "cpu_seconds": {k: round(v, 2) for k, v in cpu.items()},
            "cpu_ms_per_delivery": per,
        }
        print(f"  {backlog:,} processed in {seconds:.1f} s: {rate:.1f} deliveries/s")
        print(
            f"  CPU time per delivery in the Celery worker {per['celery worker']:.1f} ms; "
            f"machine {busy:.0f}% busy"
        )

    async def _visible_phase(self) -> None:
        args = self.args
        rate = args.e2e_rate or max(
            5.0, min(self.report["drain"]["per_second"] / 2, self.report["webhook"]["rps"] / 4)
        )
        stream = self._stream(self.webhook_path, int(rate * args.seconds) + 10)
        watcher = AppointmentWatcher(args.database_url, self.seeded.workspace_id)
        watcher.start()
        try:
            phase = await open_loop(
                host=self.host,
                port=self.port,
                jobs=stream.watching(watcher),
                rate=rate,
                seconds=args.seconds,
            )
            self._tally(phase)
            unique = [r for r in phase.results if not r.duplicate and 200 <= r.status < 300]
            await asyncio.to_thread(watcher.wait_for, {r.key for r in unique}, VISIBLE_TIMEOUT)
        finally:
            watcher.stop()
        times = sorted(watcher.seen[r.key] - r.sent_at for r in unique if r.key in watcher.seen)
        missing = sum(1 for r in unique if r.key not in watcher.seen)
        answered = sorted(r.latency for r in unique)
        self.report["post_to_appointment"] = {
            "rate": round(rate, 1),
            "seconds": args.seconds,
            "deliveries": len(unique),
            "p50_ms": _ms(_pct(times, 0.50)),
            "p95_ms": _ms(_pct(times, 0.95)),
            "p99_ms": _ms(_pct(times, 0.99)),
            "max_ms": _ms(times[-1] if times else None),
            "not_visible_after_s": {str(VISIBLE_TIMEOUT): missing},
            "webhook_answer_p50_ms": _ms(_pct(answered, 0.50)),
            "webhook_answer_p99_ms": _ms(_pct(answered, 0.99)),
            "poll_interval_ms": POLL_INTERVAL * 1000,
        }
        row = self.report["post_to_appointment"]
        met = bool(times) and row["p99_ms"] < TARGETS["visible_p99_ms"] and not missing
        print(
            f"\nPOST → appointment visible ({args.celery_concurrency} worker processes, "
            f"{rate:.0f} deliveries/s for {args.seconds:g} s, polled every "
            f"{POLL_INTERVAL * 1000:.0f} ms)"
        )
        print(
            f"  p50 {row['p50_ms']:.1f} ms  p95 {row['p95_ms']:.1f} ms  p99 {row['p99_ms']:.1f} ms"
            f"  max {row['max_ms']:.1f} ms  over {len(times):,} deliveries"
            f"{f'; {missing} never visible' if missing else ''}  "
            f"(target p99 < {TARGETS['visible_p99_ms']:.0f} ms: {'met' if met else 'not met'})"
        )

    def _finish(self) -> None:
        url = self.args.database_url
        services.wait_until(
            lambda: _delivery_states(url).get("received", 0) == 0,
            timeout=120,
            what="processing the last deliveries",
            children=tuple(self.children),
        )
        states = _delivery_states(url)
        counts = _final_counts(url, self.seeded.workspace_id)
        stored = sum(states.values())
        tasks = _task_records(self.args.redis_url)
        processed = [t for t in tasks if t["outcome"] == "processed"]
        self.report["queries_per_processed_delivery"] = _task_query_summary(processed)
        self.report["totals"] = {
            "sent_unique": self.sent["unique"],
            "sent_duplicates": self.sent["duplicate"],
            "answered_stored": self.sent["answered stored"],
            "answered_duplicate": self.sent["answered duplicate"],
            "not_2xx": {k: v for k, v in self.sent.items() if k.startswith("status")},
            "distinct_accepted": len(self.accepted),
            "deliveries_stored": stored,
            "deliveries_by_state": states,
            "appointments": counts["appointments"],
            "appointments_distinct_invitees": counts["distinct_invitees"],
            "leads": counts["leads"],
            "leads_seeded": self.seeded.leads,
            "process_delivery_runs": len(tasks),
        }

    # Output

    def _print(self) -> None:
        q = self.report.get("queries_per_processed_delivery")
        if q:
            print(
                "\nSQL statements per processed delivery (every delivery's processing, alone or "
                "in a batch, counted in the Celery worker)"
            )
            print(
                f"  mean {q['mean']:.2f}  min {q['min']}  max {q['max']}  over "
                f"{q['deliveries']:,} deliveries; processing time p50 {q['task_p50_ms']:.1f} ms, "
                f"p99 {q['task_p99_ms']:.1f} ms"
            )
            print(f"  {q['verbs']}")
        t = self.report.get("totals")
        if t:
            dup_ok = t["appointments"] == t["distinct_accepted"] == t["deliveries_stored"]
            print("\nAt the end")
            refused = f"; not 2xx {t['not_2xx']}" if t["not_2xx"] else ""
            print(
                f"  sent {t['sent_unique']:,} unique deliveries + {t['sent_duplicates']:,} "
                f"duplicates; answered 'stored' {t['answered_stored']:,}, 'duplicate' "
                f"{t['answered_duplicate']:,}{refused}"
            )
            print(
                f"  deliveries stored {t['deliveries_stored']:,} {t['deliveries_by_state']}; "
                f"appointments {t['appointments']:,} "
                f"({'one per unique delivery, none from duplicates' if dup_ok else 'MISMATCH'}); "
                f"leads {t['leads']:,} (seeded {t['leads_seeded']:,})"
            )
        env = self.report["environment"]
        print(
            f"  load average at the end {env['load_average_at_end'][0]:.2f}; other pytest "
            f"processes running: {env['other_pytest_processes_at_end']}"
        )
        if self.report.get("built_during_timed_part"):
            print(
                f"  note: {self.report['built_during_timed_part']:,} requests were built during "
                "a timed part (the pre-built ones ran out)"
            )


class JobStream:
    """The requests of one phase, signed before it starts: new deliveries, and every tenth a
    repeat of one sent at least ``spacing`` requests earlier (so already answered, as a real
    retry is). Runs past the pre-built ones by building on the fly (counted)."""

    def __init__(self, *, factory, render, count: int, spacing: int, cycle: bool = False):
        self.factory = factory
        self.render = render
        self.spacing = spacing
        self.cycle = cycle
        self.rng = random.Random(count)
        self.originals: list[Job] = []
        self.made = 0
        self.t = int(time.time())
        self.jobs = [self._make() for _ in range(count)]
        self.position = 0
        self.built_live = 0
        self.watcher = None

    def _make(self) -> Job:
        self.made += 1
        if self.made % DUPLICATE_EVERY == 0 and len(self.originals) > self.spacing:
            original = self.originals[self.rng.randrange(len(self.originals) - self.spacing)]
            return Job(raw=original.raw, key=original.key, duplicate=True)
        delivery = self.factory.make(t=self.t)
        job = Job(raw=self.render(delivery), key=delivery.key)
        self.originals.append(job)
        return job

    def watching(self, watcher: AppointmentWatcher) -> JobStream:
        self.watcher = watcher
        return self

    def __iter__(self):
        return self

    def __next__(self) -> Job:
        if self.position < len(self.jobs):
            job = self.jobs[self.position]
        elif self.cycle:
            job = self.jobs[self.position % len(self.jobs)]
        else:
            job = self._make()
            self.built_live += 1
        self.position += 1
        if self.watcher is not None and not job.duplicate:
            self.watcher.expect(job.key)
        return job


class AppointmentWatcher:
    """Polls the database (every 10 ms, its own connection) for the appointments of deliveries
    sent, and notes when each is first seen. A row seen by a query was committed before that
    query began, so ``seen`` is the query's start: at most one poll late."""

    def __init__(self, database_url: str, workspace_id: int):
        self.database_url = database_url
        self.workspace_id = workspace_id
        self.pending: set[str] = set()
        self.seen: dict[str, float] = {}
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="appointment-watcher", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)

    def expect(self, key: str) -> None:
        with self.lock:
            self.pending.add(key)

    def wait_for(self, keys: set[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if keys <= self.seen.keys():
                    return
            time.sleep(0.05)

    def _run(self) -> None:
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as conn:
            while not self.stopping.is_set():
                with self.lock:
                    keys = list(self.pending)
                if keys:
                    began = time.time()
                    rows = conn.execute(
                        "SELECT external_id FROM booking_appointment WHERE workspace_id = %s "
                        "AND provider = 'calendly' AND external_id = ANY(%s)",
                        [self.workspace_id, keys],
                    ).fetchall()
                    with self.lock:
                        for (key,) in rows:
                            self.seen.setdefault(key, began)
                            self.pending.discard(key)
                self.stopping.wait(POLL_INTERVAL)


# Reading the database and Redis


def _delivery_states(database_url: str) -> dict[str, int]:
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT state, count(*) FROM integrations_webhookdelivery GROUP BY state"
        ).fetchall()
    return dict(rows)


def _listening(database_url: str) -> bool:
    import psycopg

    from integrations.handoff import LOCK_KEY

    with psycopg.connect(database_url, autocommit=True) as conn:
        # The elected dispatcher holds its advisory lock, and is idle once it has listened and
        # caught up (its last statement done).
        (count,) = conn.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
            " WHERE l.locktype = 'advisory' AND l.granted AND l.objid = %s::bigint::oid"
            " AND a.state = 'idle' AND a.datname = current_database()",
            [LOCK_KEY],
        ).fetchone()
    return count > 0


def _final_counts(database_url: str, workspace_id: int) -> dict[str, int]:
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        appointments, distinct = conn.execute(
            "SELECT count(*), count(DISTINCT external_id) FROM booking_appointment "
            "WHERE workspace_id = %s",
            [workspace_id],
        ).fetchone()
        (leads,) = conn.execute(
            "SELECT count(*) FROM workspaces_lead WHERE workspace_id = %s", [workspace_id]
        ).fetchone()
    return {"appointments": appointments, "distinct_invitees": distinct, "leads": leads}


def _task_records(redis_url: str) -> list[dict]:
    import redis

    from bench.querycount import TASK_LIST

    return [json.loads(raw) for raw in redis.Redis.from_url(redis_url).lrange(TASK_LIST, 0, -1)]


# Figures


def _pct(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return None
    rank = max(1, int(-(-q * len(sorted_values) // 1)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


def _query_summary(results: list[Result]) -> dict:
    """Per kind of answer: the statement counts, and the most common mix of statements."""
    kinds: dict[str, list[Result]] = {"new delivery": [], "duplicate": []}
    for r in results:
        if r.queries is not None and 200 <= r.status < 300:
            kinds["new delivery" if r.stored else "duplicate"].append(r)
    summary = {}
    for kind, rows in kinds.items():
        if rows:
            counts = [r.queries for r in rows]
            summary[kind] = {
                "requests": len(rows),
                "mean": round(sum(counts) / len(counts), 3),
                "min": min(counts),
                "max": max(counts),
                "verbs": Counter(r.verbs for r in rows).most_common(1)[0][0],
            }
    return summary


def _task_query_summary(tasks: list[dict]) -> dict | None:
    if not tasks:
        return None
    counts = [t["queries"] for t in tasks]
    times = sorted(t["seconds"] for t in tasks)
    verbs: Counter[str] = Counter()
    for t in tasks:
        verbs.update(t["verbs"])
    mean_verbs = {v: round(n / len(tasks), 2) for v, n in verbs.most_common()}
    return {
        "deliveries": len(tasks),
        "mean": round(sum(counts) / len(counts), 3),
        "min": min(counts),
        "max": max(counts),
        "by_verb_mean": mean_verbs,
        "verbs": ", ".join(f"{v} {n}" for v, n in mean_verbs.items()),
        "task_p50_ms": _ms(_pct(times, 0.50)),
        "task_p99_ms": _ms(_pct(times, 0.99)),
    }


def _nproc() -> int:
    try:
        return int(subprocess.run(["nproc"], capture_output=True, text=True).stdout)
    except (OSError, ValueError):
        return os.cpu_count() or 1


def _other_test_runs() -> int:
    """How many pytest processes other engineers have running (our figures are noisy then)."""
    try:
        out = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    except OSError:
        return -1
    return sum(1 for line in out.splitlines() if "pytest" in line and "python" in line)


def _write_json(args: argparse.Namespace, report: dict) -> Path:
    path = args.output
    if path is None:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        stamp = report["environment"]["date"].replace(":", "").replace("+0000", "Z")
        path = RESULTS_DIR / f"webhook_ingest-{args.leads}-{stamp}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    return path


if __name__ == "__main__":
    sys.exit(main())
