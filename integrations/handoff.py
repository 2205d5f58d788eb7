"""How a stored delivery reaches a worker without a broker round trip on the request path.

``store_once`` stores a delivery (or finds the stored one) in a single statement. With
``WEBHOOK_HANDOFF=notify`` (PostgreSQL, a real broker) that same statement also sends
``NOTIFY webhook_deliveries, '<id>'``: PostgreSQL delivers a notification only when its
transaction commits, so a listener never hears of a row it can't read, and a rolled-back store
is never announced. ``python manage.py dispatch_deliveries`` LISTENs and enqueues each id. A
notification nobody heard (dispatcher down, broker down) leaves the row ``received``, and the
sweep sends it after a minute, as it does for a lost enqueue. With the default
``WEBHOOK_HANDOFF=enqueue`` (and on SQLite or with eager tasks) the inbox enqueues after commit.
"""

from __future__ import annotations

import json
import logging
import time

from django.conf import settings
from django.db import IntegrityError, connection
from django.utils import timezone

from integrations.models import DispatchMark, WebhookDelivery

logger = logging.getLogger(__name__)

CHANNEL = "webhook_deliveries"
NOTIFY, ENQUEUE = "notify", "enqueue"

_TABLE = connection.ops.quote_name(WebhookDelivery._meta.db_table)
_KEY = "workspace_id = %s AND provider = %s AND dedupe_key = %s"
# One statement stores a new delivery or finds the stored one: the INSERT's RETURNING says
# "created"; when it returned nothing, the SELECT below it (same statement, same snapshot) finds
# the row it conflicted with. Only a row committed by a racing request after this statement
# began is invisible to that SELECT; then the statement returns nothing and ``store_once``
# looks again.
_STORE = (
    "WITH stored AS ("
    f"INSERT INTO {_TABLE} (workspace_id, provider, dedupe_key, event, received_at, body,"
    " headers, state, attempts, last_error)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s::jsonb, %s, 0, '')"
    " ON CONFLICT (workspace_id, provider, dedupe_key) DO NOTHING"
    " RETURNING id{notify})"
    " SELECT id, true FROM stored"
    f" UNION ALL SELECT id, false FROM {_TABLE} WHERE {_KEY}"
    " AND NOT EXISTS (SELECT FROM stored)"
)
_WITH_NOTIFY = _STORE.format(notify=f", pg_notify('{CHANNEL}', id::text)")
_WITHOUT_NOTIFY = _STORE.format(notify="")
_FIND = f"SELECT id FROM {_TABLE} WHERE {_KEY}"
CATCH_UP_SECONDS = 60  # older waiting rows are the sweep's
_MARK = connection.ops.quote_name(DispatchMark._meta.db_table)
# Recent rows still waiting that no dispatcher has handed on: a row at or below the mark was
# enqueued, and its message is at the broker (or was lost with a killed worker, and the sweep
# sends it once). Sending those again here would race the sweep for the same row.
_WAITING = (
    f"SELECT id FROM {_TABLE} WHERE state = 'received' AND retry_at IS NULL"
    " AND received_at > now() - make_interval(secs => %s)"
    f" AND id > COALESCE((SELECT last_id FROM {_MARK} WHERE id = 1), 0) ORDER BY received_at"
)
# Raised before the ids are enqueued: a dispatcher that dies in between leaves them to the sweep,
# as it does for what it heard and never sent.
_RAISE_MARK = (
    f"INSERT INTO {_MARK} (id, last_id, updated_at) VALUES (1, %s, now())"
    f" ON CONFLICT (id) DO UPDATE SET last_id = GREATEST({_MARK}.last_id, EXCLUDED.last_id),"
    " updated_at = EXCLUDED.updated_at"
)


def notifies() -> bool:
    """Deliveries are announced by NOTIFY (and a dispatcher enqueues them)."""
    return (
        connection.vendor == "postgresql"
        and getattr(settings, "WEBHOOK_HANDOFF", ENQUEUE) == NOTIFY
        and not settings.CELERY_TASK_ALWAYS_EAGER
    )


def store_once(
    *, workspace, provider: str, dedupe_key: str, event: str, body: bytes, headers: dict
) -> tuple[WebhookDelivery, bool, bool]:
    """(the delivery, created, announced by NOTIFY), in one statement: an INSERT … ON CONFLICT
    DO NOTHING that stores (and NOTIFYs) a new delivery, or finds the stored one and changes
    nothing. PostgreSQL only; call it inside the caller's transaction."""
    notify = notifies()
    received_at = timezone.now()
    state = WebhookDelivery.State.RECEIVED
    key = [workspace.pk, provider, dedupe_key]
    params = [*key, event, received_at, body, json.dumps(headers), state]
    with connection.cursor() as cursor:
        cursor.execute(_WITH_NOTIFY if notify else _WITHOUT_NOTIFY, [*params, *key])
        row = cursor.fetchone()
        if row is None:  # the conflicting row was committed after the statement began
            cursor.execute(_FIND, key)
            found = cursor.fetchone()
            row = (found[0], False) if found else None
    if row is None:  # the conflicting row went away in between (pruned): the provider retries
        raise IntegrityError("The delivery's key conflicted with a row that is gone.")
    pk, created = row
    if created:
        delivery = _row(
            id=pk,
            workspace_id=workspace.pk,
            provider=provider,
            dedupe_key=dedupe_key,
            event=event,
            received_at=received_at,
            body=body,
            headers=headers,
            state=state,
            attempts=0,
            last_error="",
            retry_at=None,
            processed_at=None,
        )
    else:  # the stored row: its other fields load on first use
        delivery = _row(id=pk, workspace_id=workspace.pk, provider=provider, dedupe_key=dedupe_key)
    return delivery, created, notify and created


def _row(**values) -> WebhookDelivery:
    """The row as loaded from the database with only ``values``; the rest is deferred."""
    fields = [f.attname for f in WebhookDelivery._meta.concrete_fields if f.attname in values]
    return WebhookDelivery.from_db(connection.alias, fields, [values[f] for f in fields])


# One dispatcher listens per deployment: each holds this advisory lock on its LISTEN connection
# while it listens, and the others stand by. A dispatcher that dies loses its connection and so
# its lock, and a standby takes over within STANDBY_SECONDS (the sweep covers the gap).
LOCK_KEY = 0x5E77E2D5  # any constant the deployment's other advisory locks don't use
STANDBY_SECONDS = 5.0
# A batch is processed by one task, one delivery after another: small enough that a slow one
# delays few others.
BATCH_MAX = 20


def dispatch_forever(
    *,
    enqueue,
    idle_seconds: float = 30.0,
    stop=lambda: False,
    standby_seconds=STANDBY_SECONDS,
    listening=lambda: None,
) -> None:
    """LISTEN on its own connection and ``enqueue(ids)`` for the notifications, while holding
    the dispatcher's lock; stand by while another dispatcher holds it; reconnect after an error
    (what was announced meanwhile is left to the sweep). ``listening()`` is called once it
    listens and has caught up."""
    import psycopg

    while not stop():
        try:
            with psycopg.connect(_conninfo(), autocommit=True) as listener:
                if not _elected(listener):
                    _wait(standby_seconds, stop)
                    continue
                # The mark is a hint: losing its last raises in a database crash only means a
                # few rows sent twice. So its writes don't wait for the WAL flush, and cost the
                # deliveries' own commits nothing.
                listener.execute("SET synchronous_commit TO off")
                listener.execute(f"LISTEN {CHANNEL}")
                logger.info("Dispatcher listening on %s", CHANNEL)
                # What was announced while nobody listened (a start, a take-over) is not sent
                # again: enqueue the recent rows still waiting that no dispatcher handed on,
                # instead of leaving them to the sweep's minute.
                waiting = [pk for (pk,) in listener.execute(_WAITING, [CATCH_UP_SECONDS])]
                _hand_on(listener, enqueue, waiting)
                listening()
                while not stop():
                    _dispatch_burst(listener, enqueue, idle_seconds)
        except psycopg.OperationalError:
            logger.exception("Dispatcher lost its database connection; reconnecting")
            _wait(1.0, stop)


def _elected(listener) -> bool:
    return listener.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY]).fetchone()[0]


def _wait(seconds: float, stop) -> None:
    deadline = time.monotonic() + seconds
    while not stop() and time.monotonic() < deadline:
        time.sleep(min(0.1, seconds))


class WorkerDispatcher:
    """The dispatcher as a thread of a Celery worker's main process, so a deployment that
    runs workers needs nothing more for the NOTIFY hand-off (``config.celery`` starts it when
    the worker is ready and stops it at shutdown). Every worker runs one; one is elected."""

    def __init__(self, enqueue):
        import threading

        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=dispatch_forever,
            kwargs={"enqueue": enqueue, "idle_seconds": 1.0, "stop": self._stop.is_set},
            name="webhook-dispatcher",
            daemon=True,
        )

    def start(self) -> WorkerDispatcher:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout=timeout)


def _dispatch_burst(listener, enqueue, idle_seconds: float) -> None:
    """Wait for a notification, take every other one already received, and enqueue them as
    one batch: under load a burst costs one broker message, and a lone delivery waits for
    nothing."""
    notes = list(listener.notifies(timeout=idle_seconds, stop_after=1))
    if not notes:
        return
    notes += listener.notifies(timeout=0, stop_after=BATCH_MAX - len(notes))
    ids = []
    for note in notes:
        try:
            ids.append(int(note.payload))
        except ValueError:
            logger.warning(
                "Dispatcher ignored a notification that is not an id: %r", note.payload[:50]
            )
    _hand_on(listener, enqueue, ids)


def _hand_on(listener, enqueue, ids: list[int]) -> None:
    """Raise the mark to the highest id, then enqueue the ids in batches."""
    if not ids:
        return
    listener.execute(_RAISE_MARK, [max(ids)])
    for start in range(0, len(ids), BATCH_MAX):
        enqueue(ids[start : start + BATCH_MAX])


def _conninfo() -> str:
    """Django's own connection settings, for a connection of the dispatcher's own."""
    from psycopg.conninfo import make_conninfo

    params = connection.get_connection_params()
    kept = {k: v for k, v in params.items() if isinstance(v, str | int) and v != ""}
    kept.pop("prepare_threshold", None)
    return make_conninfo(**kept)
