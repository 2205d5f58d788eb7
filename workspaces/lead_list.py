"""The leads list's reads: one page of a workspace's leads, most recently updated first, by
keyset (``workspaces.keyset``: no offset, no total) on the ``(workspace, updated_at, id)``
index, and searched through indexes, so a page costs the same at a thousand leads or a million.

The search matches part of the full name ("ann smi", "Number 42"), of the e-mail, or of the
phone number as typed with any spacing ("(312) 555-01"). On PostgreSQL each of the three is a
trigram (pg_trgm) GIN index over exactly the expression filtered on here (migration
``0008_lead_list_indexes``): keep the two in step.
"""

from __future__ import annotations

import re

from django.db.models import CharField, F, Func, Q, QuerySet

from workspaces import keyset
from workspaces.models import Lead

PAGE_SIZE = 25
_PHONE_TYPED = re.compile(r"^[\d\s()+.\-]+$")
MIN_PHONE_DIGITS = 3


class FullName(Func):
    """``first_name || ' ' || last_name``, written out so that the SQL is exactly the expression
    the name's trigram index is built on (``Concat`` would add COALESCEs and parameters)."""

    template = "(%(expressions)s)"
    arg_joiner = " || ' ' || "
    output_field = CharField()

    def __init__(self):
        super().__init__(F("first_name"), F("last_name"))


def search(qs: QuerySet[Lead], query: str) -> QuerySet[Lead]:
    """The leads whose full name or e-mail holds ``query`` (any case), or whose phone holds
    its digits when it is typed like a phone number."""
    query = " ".join(query.split())
    if not query:
        return qs
    match = Q(search_name__icontains=query) | Q(email__icontains=query)
    digits = re.sub(r"\D", "", query)
    if _PHONE_TYPED.match(query) and len(digits) >= MIN_PHONE_DIGITS:
        match |= Q(phone__contains=digits)
    return qs.alias(search_name=FullName()).filter(match)


def page_of(qs: QuerySet[Lead], *, after: str = "", before: str = "") -> keyset.Page:
    """The page of ``qs`` just older than the ``after`` cursor, or just newer than ``before``,
    else the first, most recently updated first."""
    return keyset.page_of(
        qs, field="updated_at", descending=True, after=after, before=before, size=PAGE_SIZE
    )
