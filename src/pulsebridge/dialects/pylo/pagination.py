"""Pylo cursor pagination.

Pages are cut on an immutable, unique ordering key (a time and the row id), so rows that share
a timestamp still page correctly and a deep page costs what the first one does. The token is
signed (tamper-evident) and bound to the query it was issued for."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.core import signing
from django.db.models import Q, QuerySet
from rest_framework.exceptions import ValidationError

from pulsebridge.lib.rows import RowAfter

PAGE_SIZE = 1000


def _fingerprint(query: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(query, sort_keys=True, default=str).encode()).hexdigest()[:16]


def cursor_from(request) -> str | None:
    """The document calls the parameter both ``cursor`` and ``cursor_token``: accept both."""
    token = request.query_params.get("cursor_token") or request.query_params.get("cursor")
    return token or None


def paginate(
    queryset: QuerySet,
    *,
    time_field: str,
    token: str | None,
    salt: str,
    query: dict[str, Any] | None = None,
    page_size: int = PAGE_SIZE,
    position: Callable[[Any], tuple[datetime, Any]] | None = None,
) -> tuple[list, str | None]:
    """One page of ``queryset`` ordered by ``(time_field, pk)`` and the token of the next.

    ``position`` gives a row's ``(time, pk)``, for a queryset of ``values_list`` rows; by
    default rows are model instances."""
    fingerprint = _fingerprint(query or {})
    queryset = queryset.order_by(time_field, "pk")
    if token is not None:
        try:
            cursor = signing.loads(token, salt=salt)
            if cursor["q"] != fingerprint:
                raise ValidationError(
                    {"cursor_token": "this cursor_token belongs to another query"}
                )
            after_time = datetime.fromisoformat(cursor["t"])
            after_pk = cursor["k"]
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            raise ValidationError({"cursor_token": "invalid or tampered cursor_token"}) from None
        # (time, pk) > (after_time, after_pk) as one row comparison (lib.rows says why); the
        # ``time >= t`` beside it lets SQLite's index start at the cursor.
        queryset = queryset.filter(
            Q(**{f"{time_field}__gte": after_time}),
            RowAfter(time_field, after_time, after_pk, model=queryset.model),
        )
    rows = list(queryset[: page_size + 1])
    if len(rows) <= page_size:
        return rows, None
    rows = rows[:page_size]
    if position is None:
        last_time, last_pk = getattr(rows[-1], time_field), rows[-1].pk
    else:
        last_time, last_pk = position(rows[-1])
    next_token = signing.dumps(
        {"t": last_time.isoformat(), "k": str(last_pk), "q": fingerprint},
        salt=salt,
    )
    return rows, next_token
