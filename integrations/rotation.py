"""Re-encrypting stored secrets with the first of FIELD_ENCRYPTION_KEYS.

Works on the raw column values (the fields decrypt on load), one conditional UPDATE per row, so
a concurrent write of the same row is never overwritten with an older value.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction

from integrations.fields import encrypted_fields, needs_rotation, rotate

BATCH = 500


@dataclass(frozen=True)
class Rotated:
    label: str  # "integrations.Connection.secrets"
    scanned: int
    rewritten: int


def rotate_all() -> list[Rotated]:
    return [rotate_field(model, field) for model, field in encrypted_fields()]


def rotate_field(model, field) -> Rotated:
    quote = connection.ops.quote_name
    table, column, pk = (
        quote(model._meta.db_table),
        quote(field.column),
        quote(model._meta.pk.column),
    )
    scanned = rewritten = 0
    last_pk = None
    while True:
        rows = _batch(table, column, pk, last_pk)
        if not rows:
            break
        last_pk = rows[-1][0]
        for row_pk, token in rows:
            scanned += 1
            if token and needs_rotation(token):
                rewritten += _rewrite(table, column, pk, row_pk, token)
    label = f"{model._meta.label}.{field.name}"
    return Rotated(label=label, scanned=scanned, rewritten=rewritten)


def _batch(table, column, pk, after):
    where, params = (f"WHERE {pk} > %s", [after]) if after is not None else ("", [])
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {pk}, {column} FROM {table} {where} ORDER BY {pk} LIMIT %s",  # noqa: S608
            [*params, BATCH],
        )
        return cursor.fetchall()


def _rewrite(table, column, pk, row_pk, token) -> int:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {column} = %s WHERE {pk} = %s AND {column} = %s",  # noqa: S608
            [rotate(token), row_pk, token],
        )
        return cursor.rowcount
