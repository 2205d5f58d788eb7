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

from django.core.exceptions import ValidationError
from django.db import connection

from integrations.fields import EncryptedJSONField
from integrations.models import Connection
from workspaces.models import Workspace

# Enough for every connection of a large deployment; past it the cache starts over (a miss only
# costs one decryption).
CACHE_MAX = 20_000

_cache: dict[int, tuple[str, dict]] = {}  # connection id -> (stored ciphertext, secrets)
_lock = threading.Lock()


def webhook_target(*, workspace_id, provider: str) -> tuple[Workspace | None, Connection | None]:
    """The active workspace a webhook URL names and its connection to ``provider`` (None when
    not connected). The workspace carries only its id and public id; any other field is loaded
    on first access, as a deferred field is."""
    public_id_field = Workspace._meta.get_field("public_id")
    try:
        public_id = public_id_field.to_python(workspace_id)
    except ValidationError:
        return None, None
    with connection.cursor() as cursor:
        cursor.execute(_SQL, [provider, public_id_field.get_db_prep_value(public_id, connection)])
        row = cursor.fetchone()
    if row is None:
        return None, None
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
_SQL = (
    f'SELECT {_W}."id", {_W}."public_id", {_C}."id", {_C}."status", {_C}."config", '
    f'{_C}."secrets" FROM {_W} LEFT OUTER JOIN {_C} ON ({_C}."workspace_id" = {_W}."id" '
    f'AND {_C}."provider" = %s) WHERE ({_W}."public_id" = %s AND {_W}."is_active")'
)
