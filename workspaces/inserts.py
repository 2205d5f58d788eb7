"""``INSERT … ON CONFLICT DO NOTHING RETURNING``: a row inserted unless a unique constraint
already holds one like it, in one statement.

Django's ``get_or_create`` pays a SELECT, a SAVEPOINT, the INSERT and a RELEASE for a new row,
and a caught IntegrityError would otherwise poison the surrounding transaction. Here a
conflicting row (committed, or committed by a concurrent transaction the INSERT waited for)
leaves nothing behind and the transaction usable, so the caller looks the winner up instead.
PostgreSQL and SQLite (``INSERT OR IGNORE … RETURNING``, 3.35+) both answer the new row's id, or
nothing.
"""

from __future__ import annotations

from django.db import router
from django.db.models import Model
from django.db.models.constants import OnConflict


def insert_unless_conflict(obj: Model, *, returning: tuple[str, ...] = ()) -> bool:
    """Insert ``obj`` (a new instance) unless a unique constraint, partial ones included,
    already holds its values. True when inserted: its primary key, and the fields named in
    ``returning`` (those given as expressions, e.g. a subquery), are then read back from the
    row. No model signal is sent (none is connected for the models this serves)."""
    meta = obj._meta
    fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field]
    returning_fields = [*meta.db_returning_fields, *(meta.get_field(n) for n in returning)]
    using = router.db_for_write(type(obj), instance=obj)
    rows = meta.base_manager._insert(
        [obj],
        fields=fields,
        returning_fields=returning_fields,
        using=using,
        on_conflict=OnConflict.IGNORE,
    )
    row = rows[0] if rows else None
    if row is None:
        return False
    for field, value in zip(returning_fields, row, strict=True):
        setattr(obj, field.attname, value)
    obj._state.adding = False
    obj._state.db = using
    return True
