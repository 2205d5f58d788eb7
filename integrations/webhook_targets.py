"""Who a webhook URL names, in one statement, with the connection's secrets decrypted at most
once per process for each stored version of them.

Decrypting the secrets (Fernet) and building two ORM rows cost more than the rest of a webhook
request's lookup, yet the secrets change only on connect, key rotation or disconnect. So each
request still reads the workspace and its connection row (one SELECT, no decryption), and the
decrypted secrets are kept in process memory keyed by the connection's id *and its stored
ciphertext*. Every write of the secrets stores a new ciphertext (Fernet draws a fresh IV each
time; a wipe stores ""), so the first request that reads the row after the write committed
misses the cache and decrypts the new value: a rotated or wiped key is never used again, and no
invalidation message can be lost. ``tests/perf/test_webhook_path.py`` proves it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from integrations.fields import EncryptedJSONField
from integrations.models import Connection
from workspaces.models import Workspace

# Enough for every connection of a large deployment; past it the cache starts over (a miss only
# costs one decryption).
CACHE_MAX = 20_000

_cache: dict[int, tuple[str, dict]] = {}  # connection id -> (stored ciphertext, secrets)
_lock = threading.Lock()


@dataclass
class _RequestTransaction:
    timeout: str
    limited: bool = False  # the lookup has set the statement timeout in this transaction


_request: ContextVar[_RequestTransaction | None] = ContextVar("webhook_request", default=None)


@contextmanager
def request_transaction() -> Iterator[None]:
    """The webhook request's one transaction (PostgreSQL). Its lookup also sets the store's
    statement timeout for the rest of the transaction (``set_config(…, true)`` in the same
    SELECT), so a new delivery costs two statements: the lookup and the store. On SQLite the
    request runs as before (no statement timeout there)."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        token = _request.set(_RequestTransaction(f"{settings.WEBHOOK_STORE_TIMEOUT_MS}ms"))
        try:
            yield
        finally:
            _request.reset(token)


def store_time_limited() -> bool:
    """The statement timeout of the store is already set in the current transaction."""
    state = _request.get()
    return state is not None and state.limited and connection.in_atomic_block


def webhook_target(*, workspace_id, provider: str) -> tuple[Workspace | None, Connection | None]:
    """The active workspace a webhook URL names and its connection to ``provider`` (None when
    not connected). The workspace carries only its id and public id; any other field is loaded
    on first access, as a deferred field is."""
    public_id_field = Workspace._meta.get_field("public_id")
    try:
        public_id = public_id_field.to_python(workspace_id)
    except ValidationError:
        return None, None
    params = [provider, public_id_field.get_db_prep_value(public_id, connection)]
    request = _request.get()
    limit = request is not None and connection.in_atomic_block
    with connection.cursor() as cursor:
        cursor.execute(
            _SQL_LIMITED if limit else _SQL, [request.timeout, *params] if limit else params
        )
        row = cursor.fetchone()
    if row is None:
        return None, None
    if limit:
        request.limited = True
        row = row[1:]
    ws_id, _, conn_id, status, config, stored = row
    workspace = _row(Workspace, id=ws_id, public_id=public_id, is_active=True)
    if conn_id is None:
        return workspace, None
    if isinstance(config, str):  # Django's psycopg backend hands jsonb over as text
        config = json.loads(config)
    conn = _row(
        Connection,
        id=conn_id,
        workspace_id=ws_id,
        provider=provider,
        status=status,
        config=config or {},
        secrets=secrets_of(conn_id, stored),
    )
    conn.workspace = workspace  # the row just read: no second query for it
    return workspace, conn


def secrets_of(connection_id: int, stored: str | None) -> dict:
    """The decrypted secrets of this stored ciphertext, decrypted once per process."""
    stored = stored or ""
    hit = _cache.get(connection_id)
    if hit is not None and hit[0] == stored:
        return dict(hit[1])
    field: EncryptedJSONField = Connection._meta.get_field("secrets")
    secrets = field.from_db_value(stored, None, connection)
    with _lock:
        if len(_cache) >= CACHE_MAX:
            _cache.clear()
        _cache[connection_id] = (stored, secrets)
    return dict(secrets)


def _row(model, **values):
    """A model instance as loaded from the database with only ``values``; the other fields are
    deferred (read on first access)."""
    fields = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(connection.alias, fields, [values[name] for name in fields])


def forget_all() -> None:
    """Empty this process's cache (tests; never needed for correctness)."""
    with _lock:
        _cache.clear()


_W = connection.ops.quote_name(Workspace._meta.db_table)
_C = connection.ops.quote_name(Connection._meta.db_table)
_FROM = (
    f'{_W}."id", {_W}."public_id", {_C}."id", {_C}."status", {_C}."config", '
    f'{_C}."secrets" FROM {_W} LEFT OUTER JOIN {_C} ON ({_C}."workspace_id" = {_W}."id" '
    f'AND {_C}."provider" = %s) WHERE ({_W}."public_id" = %s AND {_W}."is_active")'
)
_SQL = f"SELECT {_FROM}"
# A volatile function in the select list runs once for the one row found: the timeout is set
# only when there is something to store.
_SQL_LIMITED = f"SELECT set_config('statement_timeout', %s, true), {_FROM}"
