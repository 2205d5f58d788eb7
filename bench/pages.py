"""Pages and APIs at agency scale (issue 20), in one command:

    .venv/bin/python bench/pages.py                      # 1M leads, 200k appointments, ...
    .venv/bin/python bench/pages.py --leads 1000 --appointments 200 --deliveries 1000 \\
        --messages 500                                   # the same pages at 1k leads

It drops and recreates its own database (``--database-url``, default ``setterdesk_pages_bench``;
the name must contain ``bench``), migrates it, and seeds one workspace with Calendly connected
(``bench/seed.py``) and the rows asked for, each table in one ``INSERT … SELECT
generate_series``. Then, in this process (Django's test client, logged in as the workspace's
admin; no HTTP server, so the figures are the server's own time), it requests each page
``--repeat`` times and prints p50/p95 and the SQL statements each request ran; the figures also go
to ``bench/results/pages-<leads>-<time>.json``.

Deep pages are keyset pages (``?after=<cursor>``), reached as a visitor clicking "Older" would
reach page 1000 of the leads and page 200 of the appointments; the old ``?page=1000`` link is
measured too (it shows the first page). With fewer rows (1k leads) those are the last pages,
or the first again once past the end. The week view is this week's (``/appointments/week/``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "bench"  # noqa: A001

from bench import services  # noqa: E402
from bench.services import BenchError  # noqa: E402

RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/setterdesk_pages_bench"
BENCH_SECRET_KEY = "bench-only-secret-key-not-for-production-0123456789"  # noqa: S105
BENCH_FIELD_KEY = "YmVuY2gtb25seS1maWVsZC1rZXktbm90LWZvci1wciE="  # a Fernet key
TARGET_P95_MS = 100.0


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="bench/pages.py", description=__doc__)
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--appointments", type=int, default=200_000)
    parser.add_argument("--deliveries", type=int, default=1_000_000)
    parser.add_argument("--messages", type=int, default=500_000)
    parser.add_argument("--repeat", type=int, default=20, help="requests per page")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--output", type=Path, default=None)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": args.database_url,
            "REDIS_URL": "",
            "CELERY_TASK_ALWAYS_EAGER": "1",
            "DEBUG": "0",
            "SECRET_KEY": BENCH_SECRET_KEY,
            "FIELD_ENCRYPTION_KEYS": BENCH_FIELD_KEY,
            "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
            "LOG_LEVEL": "WARNING",
            "EMAIL_URL": "memory://",  # production settings refuse to start without one
            # Production serves hashed static names from collectstatic's manifest (made below).
            "STATIC_ROOT": str(Path(tempfile.gettempdir()) / "setterdesk-pages-bench-static"),
            "CALENDLY_API_BASE": "http://127.0.0.1:9",
            "GHL_API_BASE": "http://127.0.0.1:9",
        }
    )
    report = {
        "environment": {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "nproc": os.cpu_count(),
            "load_average_at_start": os.getloadavg(),
        },
        "options": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
    }
    print(
        f"Pages benchmark: {args.leads:,} leads, {args.appointments:,} appointments, "
        f"{args.deliveries:,} deliveries, {args.messages:,} messages; {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    try:
        services.check_postgres(args.database_url)
        ctx = _prepare(args, report)
        report["pages"] = _measure(ctx, repeat=args.repeat)
    except BenchError as exc:
        print(f"\npages: {exc}", file=sys.stderr)
        return 2
    report["environment"]["load_average_at_end"] = os.getloadavg()
    print(f"  load average at the end {os.getloadavg()[0]:.2f}")
    path = args.output or RESULTS_DIR / (
        f"pages-{args.leads}-{report['environment']['date'].replace(':', '')}.json"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"\nJSON: {path}")
    return 0


def _prepare(args, report) -> dict:
    started = time.perf_counter()
    services.recreate_database(args.database_url)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)
    from bench.seed import seed

    seeded = seed(leads=args.leads)
    counts = _seed_rows(seeded, args)
    report["setup"] = {"seconds": round(time.perf_counter() - started, 1), "rows": counts}
    print(f"  made, migrated and seeded in {report['setup']['seconds']:.1f} s: {counts}")
    return {"seeded": seeded, "client": _admin_client(seeded.workspace_id)}


def _seed_rows(seeded, args) -> dict:
    """Appointments spread over a year around now (a third past), hosted round robin by eight
    closers; deliveries and messages over the last 90 days, each for a lead picked by a spread
    of the ids."""
    from django.db import connection

    ws, first, leads = seeded.workspace_id, seeded.first_lead_id, seeded.leads
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO booking_appointment (workspace_id, lead_id, provider, external_id,
                secondary_id, start_at, end_at, status, source, cancel_reason,
                rescheduled_to_external_id, event_type_name, hosts, host_name, host_email,
                created_at, updated_at)
            SELECT %s, %s + (i * 7919) %% %s, 'calendly',
                   'https://api.calendly.com/scheduled_events/b' || i || '/invitees/i' || i, '',
                   now() + ((i %% 365) - 120) * interval '1 day' + (i %% 9) * interval '1 hour',
                   now() + ((i %% 365) - 120) * interval '1 day' + (i %% 9) * interval '1 hour'
                         + interval '30 minutes',
                   CASE WHEN i %% 10 = 0 THEN 'canceled' ELSE 'booked' END, 'webhook', '', '',
                   'Discovery Call',
                   jsonb_build_array(jsonb_build_object(
                       'name', 'Closer ' || i %% 8,
                       'email', 'closer' || i %% 8 || '@agency.example')),
                   'Closer ' || i %% 8, 'closer' || i %% 8 || '@agency.example',
                   now(), now()
            FROM generate_series(1::bigint, %s) AS i
            """,
            [ws, first, leads, args.appointments],
        )
        cursor.execute(
            """
            INSERT INTO integrations_webhookdelivery (workspace_id, provider, dedupe_key, event,
                received_at, body, headers, state, attempts, last_error, processed_at)
            SELECT %s, 'calendly', 'bench:' || i, 'invitee.created',
                   now() - (i %% 90) * interval '1 day' - (i %% 86400) * interval '1 second',
                   convert_to('{"event": "invitee.created", "n": ' || i || '}', 'UTF8'),
                   '{}'::jsonb, 'processed', 1, '', now()
            FROM generate_series(1::bigint, %s) AS i
            """,
            [ws, args.deliveries],
        )
        cursor.execute(
            """
            INSERT INTO followups_outboundmessage (workspace_id, lead_id, channel, subject, body,
                state, sent_via, provider_message_id, error, attempts, dedupe_key, created_at,
                sent_at)
            SELECT %s, %s + (i * 104729) %% %s, 'email', 'Following up',
                   'Hi, following up on our conversation.', 'sent', 'smtp', 'm' || i, '', 1,
                   'bench:' || i, now() - (i %% 90) * interval '1 day',
                   now() - (i %% 90) * interval '1 day'
            FROM generate_series(1::bigint, %s) AS i
            """,
            [ws, first, leads, args.messages],
        )
        # What autovacuum does to a table soon after a bulk insert (statistics and the
        # visibility map, which index-only scans rely on): the steady state pages run in.
        cursor.execute("VACUUM ANALYZE")
    return {
        "leads": leads,
        "appointments": args.appointments,
        "deliveries": args.deliveries,
        "messages": args.messages,
    }


def _admin_client(workspace_id: int):
    from django.contrib.auth import get_user_model
    from django.test import Client

    from workspaces.models import Membership

    user = get_user_model().objects.create_user(
        username="bench-admin", email="admin@bench.example", password="bench-only-password"
    )
    Membership.objects.create(user=user, workspace_id=workspace_id, role=Membership.Role.ADMIN)
    client = Client()
    client.force_login(user)
    return client


def _pages(seeded) -> list[tuple[str, str]]:
    w = seeded.public_id
    lead = seeded.first_lead_id + seeded.leads // 2
    today = datetime.now(UTC).date()
    week = (
        f"from={today.isoformat()}T00:00:00Z&to={(today + timedelta(days=7)).isoformat()}T00:00:00Z"
    )
    deep_leads, deep_upcoming, deep_past, api_page = _deep_cursors(seeded)
    # "312 02000" for +13120200000..99: part of a number, typed with a space
    phone = f"{seeded.leads // 5:07d}"[:5]
    return [
        ("appointments list", f"/w/{w}/appointments/"),
        ("appointments list, page 200", f"/w/{w}/appointments/?after={deep_upcoming}"),
        ("appointments list, past", f"/w/{w}/appointments/?when=past"),
        ("appointments list, past p. 200", f"/w/{w}/appointments/?when=past&after={deep_past}"),
        ("appointments week view", f"/w/{w}/appointments/week/"),
        ("leads list", f"/w/{w}/leads/"),
        ("leads list, search", f"/w/{w}/leads/?q=Number+{seeded.leads // 3}"),
        ("leads list, search by e-mail", f"/w/{w}/leads/?q=lead{seeded.leads // 4}%40"),
        ("leads list, search by phone", f"/w/{w}/leads/?q=312+{phone}"),
        ("leads list, page 1000", f"/w/{w}/leads/?after={deep_leads}"),
        ("leads list, old ?page=1000", f"/w/{w}/leads/?page=1000"),
        ("lead page", f"/w/{w}/leads/{lead}/"),
        ("integrations tab", f"/w/{w}/integrations/"),
        ("appointments API", f"/api/workspaces/{w}/appointments"),
        ("appointments API, page 100", f"/api/workspaces/{w}/appointments?page={api_page}"),
        ("appointments API, one week", f"/api/workspaces/{w}/appointments?{week}"),
        ("lead messages API", f"/api/workspaces/{w}/leads/{lead}/messages"),
    ]


def _deep_cursors(seeded) -> tuple[str, str, str, int]:
    """The cursors a visitor reaches by clicking "Older" 999 times on the leads list and 199
    times on the appointments lists (found here, outside the measured requests), and the API's
    page 100 (its last, when there are fewer)."""
    from django.utils import timezone

    from booking.models import Appointment
    from workspaces.keyset import cursor_of
    from workspaces.models import Lead

    now = timezone.now()
    leads = Lead.objects.filter(workspace_id=seeded.workspace_id)
    lead = leads.order_by("-updated_at", "-id")[min(999 * 25, seeded.leads) - 1]
    appointments = Appointment.objects.filter(workspace_id=seeded.workspace_id)
    upcoming = appointments.filter(start_at__gte=now).order_by("start_at", "id")
    past = appointments.filter(start_at__lt=now).order_by("-start_at", "-id")
    cursors = [cursor_of(lead, "updated_at")]
    for qs in (upcoming, past):
        row = qs[min(199 * 25, qs.count()) - 1] if qs.exists() else None
        cursors.append(cursor_of(row, "start_at") if row else "")
    return (*cursors, max(1, min(100, -(-appointments.count() // 50))))


def _measure(ctx, *, repeat: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = ctx["client"]
    results = {}
    print(f"\n  {'page':<32}{'status':>7}{'p50':>10}{'p95':>10}{'statements':>12}")
    for label, url in _pages(ctx["seeded"]):
        # secure: as behind the TLS proxy (production settings redirect plain http)
        client.get(url, secure=True)  # warm: templates, the session
        times, statements, status = [], [], None
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url, secure=True)
                times.append(time.perf_counter() - started)
            status = response.status_code
            statements.append(
                sum(1 for q in queries.captured_queries if q["sql"] not in ("BEGIN", "COMMIT"))
            )
        times.sort()
        row = {
            "url": url,
            "status": status,
            "p50_ms": round(times[len(times) // 2] * 1000, 1),
            "p95_ms": round(times[min(len(times) - 1, int(len(times) * 0.95))] * 1000, 1),
            "statements": max(statements),
        }
        results[label] = row
        flag = "" if row["p95_ms"] < TARGET_P95_MS else "   over 100 ms"
        flag += "" if status == 200 else "   NOT A 200: not the page"
        print(
            f"  {label:<32}{status:>7}{row['p50_ms']:>7.1f} ms{row['p95_ms']:>7.1f} ms"
            f"{row['statements']:>12}{flag}"
        )
    return results


if __name__ == "__main__":
    sys.exit(main())
