"""Keyset pagination for list pages: a page starts where the last one ended (its last row's
ordering value and id) instead of after an offset, and no total is counted, so page 1 and page
10,000 cost the same at a thousand rows or a million. Counting a million rows is the one cost a
list page cannot keep flat.

The order is one datetime column (``updated_at``, ``start_at``), then the id, either way; an
index on ``(workspace, that column, id)`` makes each page one range of it. A cursor is
``<microseconds since 1970>.<id>``: exact, and safe in a URL as it is. One that does not parse
(an edited or old link) is the first page, never an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.db.models import BooleanField, Model, QuerySet
from django.db.models.expressions import RawSQL

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CURSOR = re.compile(r"^(\d{1,18})\.(\d{1,18})$")


@dataclass(frozen=True)
class Page:
    object_list: list
    previous_cursor: str  # the page before this one ("" on the first)
    next_cursor: str  # the page after ("" on the last)

    @property
    def has_previous(self) -> bool:
        return bool(self.previous_cursor)

    @property
    def has_next(self) -> bool:
        return bool(self.next_cursor)


def page_of(
    qs: QuerySet,
    *,
    field: str,
    descending: bool,
    after: str = "",
    before: str = "",
    size: int = 25,
) -> Page:
    """The ``size`` rows of ``qs`` (ordered by ``field`` then id) following the ``after``
    cursor, or preceding ``before``, else the first ones. One statement (two when a
    ``before`` page turns out to be the first)."""
    sign = "-" if descending else ""
    qs = qs.order_by(sign + field, sign + "pk")
    if key := parse(before):
        rows = list(beyond(qs, field, key, descending=not descending)[: size + 1])
        if len(rows) > size:  # more rows still before these: a full page in between
            rows = rows[:size][::-1]
            return Page(rows, cursor_of(rows[0], field), cursor_of(rows[-1], field))
        return _first(qs, field, size)  # back at the top: the first page, full
    if (key := parse(after)) is None:
        return _first(qs, field, size)
    rows = list(beyond(qs, field, key, descending=descending)[: size + 1])
    if not rows:  # past the end (the rows moved since): the first page
        return _first(qs, field, size)
    return Page(rows[:size], cursor_of(rows[0], field), _next(rows, field, size))


def _first(qs: QuerySet, field: str, size: int) -> Page:
    rows = list(qs[: size + 1])
    return Page(rows[:size], "", _next(rows, field, size))


def _next(rows: list, field: str, size: int) -> str:
    return cursor_of(rows[size - 1], field) if len(rows) > size else ""


def cursor_of(row: Model, field: str) -> str:
    return f"{(getattr(row, field) - EPOCH) // timedelta(microseconds=1)}.{row.pk}"


def parse(raw: str) -> tuple[datetime, int] | None:
    found = _CURSOR.match(raw or "")
    if not found:
        return None
    try:
        at = EPOCH + timedelta(microseconds=int(found[1]))
    except OverflowError:
        return None
    return at, int(found[2])


def beyond(qs: QuerySet, field: str, key, *, descending: bool) -> QuerySet:
    """The rows past ``key`` in the order (``descending`` or not), in that order."""
    qs = qs.filter(_row_compare(qs.model, field, "<" if descending else ">", key))
    sign = "-" if descending else ""
    return qs.order_by(sign + field, sign + "pk")


def _row_compare(model, field: str, op: str, key: tuple[datetime, int]) -> RawSQL:
    """``(start_at, id) > (%s, %s)``: a row comparison, which PostgreSQL reads as one range of
    the ``(workspace, start_at, id)`` index, so a deep page starts where the last one ended
    (``start_at > t OR (start_at = t AND id > n)`` would scan every tied row first)."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    column = quote(model._meta.get_field(field).column)
    at = connection.ops.adapt_datetimefield_value(key[0])
    return RawSQL(
        f"({table}.{column}, {table}.{quote(model._meta.pk.column)}) {op} (%s, %s)",
        (at, key[1]),
        output_field=BooleanField(),
    )
