"""Cursor pages for FHIR searches.

A page ends at a row's place in the order ``(time, id)`` (and, for a reading written as two
Observations, at which of them): the next page starts right after it, so rows sharing a
timestamp page correctly, whatever arrives meanwhile, and a deep page costs what the first one
does. The cursor is signed (tamper-evident) and bound to the search it was issued for.

The place is compared as one row value, ``(time, id) >= (t, k)``: PostgreSQL starts its index
scan there, SQLite (3.15+) understands it too. ``time >= t`` beside it lets a table partitioned
by time skip the partitions before the cursor."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core import signing
from django.db.models import (
    BooleanField,
    DateTimeField,
    F,
    Func,
    Q,
    QuerySet,
    TextField,
    UUIDField,
    Value,
)

from .errors import invalid

SALT = "fhir.search"


class _Row(Func):
    """``(a, b)`` in SQL."""

    function = ""
    template = "(%(expressions)s)"
    output_field = TextField()  # never read: only compared


class _Compare(Func):
    template = "%(expressions)s"
    output_field = BooleanField()

    def __init__(self, left, right, operator: str):
        self.arg_joiner = f" {operator} "
        super().__init__(left, right)


def at_or_beyond(time_field: str, time: datetime, pk: Any, *, descending: bool) -> Q:
    """Rows at ``(time, pk)`` or after it in the order (before it when ``descending``)."""
    row = _Row(F(time_field), F("pk"))
    # typed, so that each database gets the id in its own storage form (SQLite: 32 hex digits)
    place = _Row(Value(time, output_field=DateTimeField()),
                 Value(uuid.UUID(str(pk)), output_field=UUIDField()))  # fmt: skip
    if descending:
        return Q(**{f"{time_field}__lte": time}) & Q(_Compare(row, place, "<="))
    return Q(**{f"{time_field}__gte": time}) & Q(_Compare(row, place, ">="))


@dataclass(frozen=True)
class Cursor:
    time: datetime
    pk: str
    variant: int  # the last variant of row ``pk`` already written
    total: int | None


def fingerprint(resource_type: str, params: list[tuple[str, str]]) -> str:
    data = json.dumps([resource_type, sorted(params)], separators=(",", ":"))
    return hashlib.sha256(data.encode()).hexdigest()[:20]


def issue(cursor: Cursor, query: str) -> str:
    return signing.dumps(
        {
            "t": cursor.time.isoformat(),
            "k": cursor.pk,
            "v": cursor.variant,
            "n": cursor.total,
            "q": query,
        },
        salt=SALT,
        compress=True,
    )


def read(token: str, query: str) -> Cursor:
    try:
        data = signing.loads(token, salt=SALT)
        if data["q"] != query:
            raise invalid("This _cursor belongs to another search.", "_cursor")
        return Cursor(datetime.fromisoformat(data["t"]), str(data["k"]), int(data["v"]), data["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise invalid("The _cursor is invalid or was tampered with.", "_cursor") from None


def ordered(queryset: QuerySet, time_field: str, *, descending: bool) -> QuerySet:
    if descending:
        return queryset.order_by(f"-{time_field}", "-pk")
    return queryset.order_by(time_field, "pk")
