"""``(time, pk) > (t, k)`` as a condition a queryset can filter on, written with Django's public
expression API (``Func``), not its internal tuple lookups.

PostgreSQL takes the row comparison as a condition on a ``(..., time, id)`` index and reads a page
straight from it; spelled ``time > t OR (time = t AND pk > k)`` it could not, and sorted the rest
of the window first. SQLite is given that spelling (a caller adds ``time >= t`` beside it, so that
SQLite's index starts at the cursor)."""

from __future__ import annotations

from typing import Any

from django.db.models import BooleanField, F, Func, Q, Value


class RowAfter(Func):
    """True for the rows that come after ``(after_time, after_pk)`` in ``(time_field, pk)`` order."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, time_field: str, after_time: Any, after_pk: Any, *, model) -> None:
        meta = model._meta
        super().__init__(
            F(time_field),
            F("pk"),
            Value(after_time, output_field=meta.get_field(time_field)),
            Value(after_pk, output_field=meta.pk),
        )

    def _parts(self, compiler, connection):
        sqls, params = [], []
        for expression in self.get_source_expressions():
            sql, expression_params = compiler.compile(expression)
            sqls.append(sql)
            params.append(tuple(expression_params))
        return sqls, params

    def as_sql(self, compiler, connection, *args, **extra_context):
        (time, pk, after_time, after_pk), params = self._parts(compiler, connection)
        sql = f"({time}, {pk}) > ({after_time}, {after_pk})"
        return sql, [p for group in params for p in group]

    def as_sqlite(self, compiler, connection, *args, **extra_context):
        (time, pk, after_time, after_pk), (tp, kp, atp, akp) = self._parts(compiler, connection)
        sql = f"({time} > {after_time} OR ({time} = {after_time} AND {pk} > {after_pk}))"
        return sql, [*tp, *atp, *tp, *atp, *kp, *akp]


class CheckedOnly(Func):
    """``condition`` (a ``Q``) tested on every row the plan reads, never a way in to an index:
    ``(condition) IS TRUE``, the same rows on every database.

    For a condition that narrows nothing once a more selective one holds, and whose index the
    planner would otherwise walk: a company's readings of one patient, where the patient is the
    company's. On a table holding one company (an install of one practice, the benches) the
    company's index looks to PostgreSQL as if it read the heap in order, and it walks
    ``(company, measured_at, id)`` over every patient's readings, keeping the patient's, rather
    than ``(patient, measured_at, id)``, which reads the page and stops (bench P3, page 1:
    docs/performance.md, "Figures from the code")."""

    output_field = BooleanField()
    conditional = True
    template = "(%(expressions)s) IS TRUE"

    def __init__(self, condition: Q) -> None:
        super().__init__(condition)
