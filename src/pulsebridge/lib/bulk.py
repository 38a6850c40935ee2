"""Bulk writes of plain rows (dicts keyed by field attribute name) to one model's table.

On PostgreSQL the rows go in with COPY, straight into the table or through a temporary table
and one ``INSERT ... ON CONFLICT DO NOTHING`` or ``UPDATE ... FROM``: no model instance is
built and no parameter is bound one at a time, which makes a 20,000-row import several times
faster than ``bulk_create``/``bulk_update``. A handful of rows goes in with one plain
``INSERT ... VALUES`` instead, one round trip where COPY needs two. Elsewhere (SQLite, the
embedded default) the rows become model instances for Django's ``bulk_create``/``bulk_update``.

The rows hold Python values that psycopg adapts itself (str, int, bool, None, UUID, date,
time, aware datetime), and dicts or lists for JSON fields: no field written here needs more
of Django's preparation than that. Used by the care import and by the readings ingest."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Generic, TypeVar, cast

import orjson
from django.db import IntegrityError, connection, models, transaction
from django.db.models import F, Lookup, Q
from psycopg.types.json import Jsonb

UPDATE_BATCH_SIZE = 500
# Up to this many rows, one INSERT (its rows as insert_sql sends them); beyond it, COPY.
FEW_ROWS = 50
# psycopg keeps a statement's parsed form (its placeholders turned into $1, $2 ...) only for a
# statement of at most this many parameters and 4,096 characters; one past either is parsed
# again, with a regular expression, on every execution (its _queries module). In a statement of
# the caller's (insert_sql), rows travel as VALUES, one parameter per value, while the statement
# stays within this; more as one JSON document, one parameter for any number of rows.
CACHED_STATEMENT_PARAMS = 50


class AnyOf(Lookup):
    """``column = ANY(%s)`` with the values as one array parameter (PostgreSQL): the same as
    ``__in``, without a thousand parameters for the driver to splice into the query."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", [*params, list(self.rhs)]


def among(field: str, values: Iterable[Any]) -> Q | AnyOf:
    """A filter: ``field`` is one of ``values``."""
    if connection.vendor == "postgresql":
        return AnyOf(F(field), list(values))
    return Q(**{f"{field}__in": list(values)})


def _dumps(value: Any) -> bytes | str:
    """JSON for a JSON column: orjson (a tenth of the standard encoder's time), or the standard
    encoder for what orjson refuses (integers past 64 bits, keys that are not strings)."""
    try:
        return orjson.dumps(value)
    except TypeError:  # orjson.JSONEncodeError is one
        return json.dumps(value)


def _json_rows(rows: list[dict[str, Any]]) -> str:
    """The rows as one JSON array of objects keyed by attribute name, for ``json_to_recordset``;
    through the standard encoder what orjson refuses (integers past 64 bits, keys that are not
    strings), with ids and times as their text."""
    try:
        return orjson.dumps(rows).decode()
    except TypeError:
        return json.dumps(rows, default=str)


def among_sql(column: str, values: list[Any]) -> tuple[str, list[Any]]:
    """Raw SQL for ``column`` is one of ``values``: one array parameter on PostgreSQL, one
    parameter per value elsewhere."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


M = TypeVar("M", bound=models.Model)


def max_length(model: type[models.Model], name: str) -> int:
    """The declared width of a text column, for messages and checks made before the database
    would refuse a longer value."""
    return int(cast(models.Field, model._meta.get_field(name)).max_length or 0)


class Loader(Generic[M]):
    """Model instances from plain SQL rows, as ``Model.objects.raw()`` makes them, without the
    cost a raw query set pays on every run to work out its columns and converters (measured on
    a one-reading request's device and endpoint look-ups: docs/performance.md, "Figures from the
    code"). ``columns(alias)`` lists the model's columns in the order
    ``load`` expects them (extra columns after them are ignored); the database's values are
    converted as the ORM converts them (SQLite gives UUIDs and times as text)."""

    def __init__(self, model: type[M]):
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        self.attnames = [f.attname for f in self.fields]
        self._converters: dict[str, list[tuple[int, list, Any]]] = {}
        self._columns: dict[tuple[str, str], str] = {}

    def columns(self, alias: str) -> str:
        key = (connection.vendor, alias)
        sql = self._columns.get(key)
        if sql is None:  # once: quoting every column on every request was a tenth of its CPU
            q = connection.ops.quote_name
            sql = self._columns[key] = ", ".join(
                f"{alias}.{q(cast(str, f.column))}" for f in self.fields
            )
        return sql

    def load(self, values: tuple | list) -> M:
        values = list(values[: len(self.fields)])
        for i, converters, col in self._converters_for():
            for convert in converters:
                values[i] = convert(values[i], col, connection)
        return self.model.from_db(connection.alias, self.attnames, values)

    def _converters_for(self) -> list[tuple[int, list, Any]]:
        found = self._converters.get(connection.vendor)
        if found is None:
            found = []
            for i, f in enumerate(self.fields):
                col = f.get_col(self.model._meta.db_table)
                converters = connection.ops.get_db_converters(col) + col.get_db_converters(
                    connection
                )
                if converters:
                    found.append((i, converters, col))
            self._converters[connection.vendor] = found
        return found


def _is_timestamp(field: models.Field) -> bool:
    return getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)


class Table:
    def __init__(self, model: type[models.Model]):
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        self.attnames = [f.attname for f in self.fields]
        self.pk = model._meta.pk.attname
        self.name = model._meta.db_table
        self.timestamps = {f.attname for f in self.fields if _is_timestamp(f)}
        self.json = {f.attname for f in self.fields if isinstance(f, models.JSONField)}
        self._column_of = {f.attname: cast(str, f.column) for f in self.fields}
        self._columns_sql: dict[tuple[str, tuple[str, ...]], str] = {}
        self._recordset: str | None = None
        # Per field: a callable giving each new row its own value (ids), or a constant.
        self._defaults: list[tuple[str, Any, bool]] = []
        for f in self.fields:
            if f.attname in self.timestamps:
                continue
            if not f.has_default():
                # NOT_PROVIDED is a class, so callable: test for a default before calling one
                self._defaults.append((f.attname, None, False))
            elif callable(f.default):
                self._defaults.append((f.attname, f.default, True))
            else:
                self._defaults.append((f.attname, f.get_default(), False))

    # Rows ------------------------------------------------------------------------------------

    def new_row(self, now: datetime, values: dict[str, Any]) -> dict[str, Any]:
        """A complete row: the given values, then each field's default (called, so every row
        gets its own id), with ``auto_now``/``auto_now_add`` timestamps set to ``now``."""
        row = dict.fromkeys(self.timestamps, now)
        for attname, default, call in self._defaults:
            row[attname] = default() if call else default
        row.update(values)
        return row

    def fetch(self, queryset: models.QuerySet) -> Iterable[dict[str, Any]]:
        """Rows of the queryset as dicts of every column but the timestamps (an update sets
        ``updated_at`` itself, and nothing reads ``created_at``)."""
        return queryset.values(*(a for a in self.attnames if a not in self.timestamps))

    # Writes ----------------------------------------------------------------------------------

    def insert(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        if connection.vendor != "postgresql":
            self.model._default_manager.bulk_create([self.model(**row) for row in rows])
        elif len(rows) <= FEW_ROWS:
            self._insert_one(rows, skip_conflicts=False)
        else:
            self._copy(self.name, self.attnames, rows)

    def insert_missing(self, rows: list[dict[str, Any]]) -> set[Any] | None:
        """Insert the rows, skipping any that a unique constraint says exist already; the
        primary keys inserted where the database says so (PostgreSQL), else None."""
        if not rows:
            return set()
        if connection.vendor != "postgresql":
            self.model._default_manager.bulk_create(
                [self.model(**row) for row in rows], ignore_conflicts=True
            )
            return None
        if len(rows) <= FEW_ROWS:
            return self._insert_one(rows, skip_conflicts=True)
        try:  # nearly always none exists: straight in
            with transaction.atomic():
                self._copy(self.name, self.attnames, rows)
            return {row[self.pk] for row in rows}
        except IntegrityError:
            pass
        columns = self._columns(self.attnames)
        with self._scratch(self.attnames) as scratch:
            self._copy(scratch, self.attnames, rows)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {self._q(self.name)} ({columns}) "  # noqa: S608 - names from _meta
                    f"SELECT {columns} FROM {scratch} ON CONFLICT DO NOTHING "
                    f"RETURNING {self._q(self._column(self.pk))}"
                )
                return {pk for (pk,) in cursor.fetchall()}

    def update(self, rows: list[dict[str, Any]], attnames: Iterable[str]) -> None:
        """Write ``attnames`` of each row (found by primary key)."""
        attnames = sorted(set(attnames) - {self.pk})
        if not rows or not attnames:
            return
        if connection.vendor != "postgresql":
            fields = [self.model._meta.get_field(a).name for a in attnames]
            self.model._default_manager.bulk_update(
                [self.model(**row) for row in rows], fields, batch_size=UPDATE_BATCH_SIZE
            )
            return
        names = [self.pk, *attnames]
        with self._scratch(names) as scratch:
            self._copy(scratch, names, rows)
            assignments = ", ".join(
                f"{self._q(self._column(a))} = s.{self._q(self._column(a))}" for a in attnames
            )
            pk = self._q(self._column(self.pk))
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {self._q(self.name)} AS t SET {assignments} "  # noqa: S608 - names from _meta
                    f"FROM {scratch} AS s WHERE t.{pk} = s.{pk}"
                )

    # PostgreSQL ------------------------------------------------------------------------------

    def _q(self, name: str) -> str:
        return connection.ops.quote_name(name)

    def _column(self, attname: str) -> str:
        return self._column_of[attname]

    def _columns(self, attnames: Iterable[str]) -> str:
        """The quoted column list, built once per list: a one-reading request quoted 24 names."""
        key = (connection.vendor, tuple(attnames))
        sql = self._columns_sql.get(key)
        if sql is None:
            sql = self._columns_sql[key] = ", ".join(self._q(self._column_of[a]) for a in key[1])
        return sql

    def _values(self, row: dict[str, Any], attnames: list[str]) -> list[Any]:
        if not self.json:
            return [row[a] for a in attnames]
        return [Jsonb(row[a], _dumps) if a in self.json else row[a] for a in attnames]

    def insert_sql(
        self,
        rows: list[dict[str, Any]],
        *,
        skip_conflicts: bool,
        returning: Iterable[str] = (),
        budget: int = CACHED_STATEMENT_PARAMS,
        where: str | None = None,
    ) -> tuple[str, list[Any]]:
        """One ``INSERT`` of the rows (PostgreSQL), as SQL and parameters, for a statement of
        the caller's (a data-modifying ``WITH``). Rows whose values fit in ``budget``
        parameters (what the caller's statement has left of ``CACHED_STATEMENT_PARAMS``) go as
        ``VALUES``, one parameter per value; more as one JSON document read by
        ``json_to_recordset``: one parameter, a statement text that is the same for any number
        of rows, and no value for the driver to adapt one by one. ``where``: a condition on
        each row (the record ``r``, its fields named by attribute), which sends them as the
        JSON document whatever their number; only the rows that meet it go in."""
        conflicts = " ON CONFLICT DO NOTHING" if skip_conflicts else ""
        columns = self._columns(returning)
        into = f"INSERT INTO {self._q(self.name)} ({self._columns(self.attnames)}) "
        tail = conflicts + (f" RETURNING {columns}" if columns else "")
        if where is None and len(rows) * len(self.attnames) <= budget:
            one = "(" + ", ".join(["%s"] * len(self.attnames)) + ")"
            params = [value for row in rows for value in self._values(row, self.attnames)]
            return f"{into}VALUES {', '.join([one] * len(rows))}{tail}", params
        only = f" WHERE {where}" if where else ""
        return f"{into}{self._from_recordset()}{only}{tail}", [_json_rows(rows)]

    def _from_recordset(self) -> str:
        if self._recordset is None:  # the record's fields are named as the rows' keys
            typed = ", ".join(
                f"{self._q(f.attname)} {f.cast_db_type(connection)}" for f in self.fields
            )
            names = ", ".join(self._q(a) for a in self.attnames)
            self._recordset = f"SELECT {names} FROM json_to_recordset(%s::json) AS r({typed})"  # noqa: S608 - names from _meta
        return self._recordset

    def _insert_one(self, rows: list[dict[str, Any]], *, skip_conflicts: bool) -> set[Any]:
        """One ``INSERT`` (``insert_sql``); the primary keys inserted."""
        sql, params = self.insert_sql(rows, skip_conflicts=skip_conflicts, returning=[self.pk])
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return {pk for (pk,) in cursor.fetchall()}

    def _copy(self, table: str, attnames: list[str], rows: list[dict[str, Any]]) -> None:
        target = table if table.startswith('"') else self._q(table)
        sql = f"COPY {target} ({self._columns(attnames)}) FROM STDIN"
        # COPY needs the driver's own cursor; its errors become Django's, as execute()'s do.
        with connection.wrap_database_errors, connection.cursor() as cursor:  # noqa: SIM117
            with cursor.cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(self._values(row, attnames))

    def _scratch(self, attnames: list[str]):
        """A temporary table with these columns of this table (types only, no constraints),
        dropped when done."""
        return _Scratch(self, attnames)


class _Scratch:
    def __init__(self, table: Table, attnames: list[str]):
        self.table = table
        self.attnames = attnames
        self.name = table._q(f"care_scratch_{table.name}")

    def __enter__(self) -> str:
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE {self.name} AS "  # noqa: S608 - names from _meta
                f"SELECT {self.table._columns(self.attnames)} FROM {self.table._q(self.table.name)} "
                "WITH NO DATA"
            )
        return self.name

    def __exit__(self, exc_type, *exc) -> None:
        if exc_type is None:  # after an error the transaction is rolled back, table and all
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {self.name}")
