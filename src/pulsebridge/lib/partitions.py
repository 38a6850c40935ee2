"""Tables partitioned by month on PostgreSQL (declarative partitioning): the largest tables, the
readings, the tracker events and the webhook attempts, stay fast for years, and history past a
retention period goes by dropping a month's partition instead of deleting rows.

A partitioned table's primary key and unique constraints must include the partition column:
the id stays unique by construction (uuid7 or a sequence), and the model's unique constraints
name the time column too. Nothing may reference such a table with a foreign key.

Layout of a table ``t`` partitioned on column ``c``: ``t_before`` holds everything before the
first month (a year before the install, or the oldest row of a table moved in), then one
partition per calendar month (UTC),
``t_p202611`` for November 2026, made ahead of time by :func:`ensure`; ``t_default`` catches a
row beyond the months made (a clock far ahead), so that an insert never fails for want of a
partition.

SQLite stays unpartitioned: every function here does nothing there."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db import connection, transaction

logger = logging.getLogger(__name__)

MONTHS_AHEAD = 3
# A new table has monthly partitions from this many months back (readings a device stored and
# uploads late, a bench's year of history); anything older goes to the ``_before`` partition.
MONTHS_BACK = 13
MONTH = re.compile(r"_p(\d{4})(\d{2})$")


@dataclass(frozen=True)
class Partition:
    name: str
    start: datetime | None  # None: from the beginning of time
    end: datetime | None  # None: the default partition
    rows: int  # the planner's estimate


def supported() -> bool:
    return connection.vendor == "postgresql"


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def month_start(value: date | datetime) -> datetime:
    return datetime(value.year, value.month, 1, tzinfo=UTC)


def next_month(value: datetime) -> datetime:
    return datetime(value.year + value.month // 12, value.month % 12 + 1, 1, tzinfo=UTC)


def months(start: datetime, end: datetime) -> Iterator[datetime]:
    """The first instants of the months from ``start``'s to ``end``'s, both included."""
    current = month_start(start)
    while current <= end:
        yield current
        current = next_month(current)


def is_partitioned(table: str) -> bool:
    if not supported():
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
            "WHERE c.relname = %s AND pg_table_is_visible(c.oid)",
            [table],
        )
        return cursor.fetchone() is not None


def partitions(table: str) -> list[Partition]:
    """The table's partitions, oldest first, the default last."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid), c.reltuples "
            "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent "
            "WHERE p.relname = %s AND pg_table_is_visible(p.oid)",
            [table],
        )
        found = []
        for name, bound, rows in cursor.fetchall():
            start, end = _bounds(bound)
            found.append(Partition(name, start, end, max(0, int(rows))))
    return sorted(found, key=lambda p: (p.end is None, p.end or datetime.max.replace(tzinfo=UTC)))


def _bounds(bound: str) -> tuple[datetime | None, datetime | None]:
    if bound == "DEFAULT":
        return None, None
    values = re.findall(r"\('([^']*)'\)|\((MINVALUE)\)", bound)
    parsed = []
    for text, minvalue in values:
        parsed.append(None if minvalue else datetime.fromisoformat(text).astimezone(UTC))
    return parsed[0], parsed[1]


def _create(table: str, name: str, start: datetime | None, end: datetime) -> None:
    low = "MINVALUE" if start is None else f"'{start.isoformat()}'"
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {_q(name)} PARTITION OF {_q(table)} "
            f"FOR VALUES FROM ({low}) TO ('{end.isoformat()}')"
        )


def ensure(table: str, *, now: datetime | None = None, ahead: int = MONTHS_AHEAD) -> list[str]:
    """Make the partitions of this month and the ``ahead`` coming ones; the names made. Safe to
    run at any time and from several processes."""
    if not is_partitioned(table):
        return []
    now = now or datetime.now(UTC)
    existing = {p.name for p in partitions(table)}
    made = []
    last = month_start(now)
    for _ in range(ahead):
        last = next_month(last)
    with transaction.atomic():
        # one at a time per table: two processes making the same month would otherwise race
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"partitions:{table}"])
        for start in months(now, last):
            name = f"{table}_p{start:%Y%m}"
            if name not in existing:
                _create(table, name, start, next_month(start))
                made.append(name)
    if made:
        logger.info("partitions of %s made: %s", table, ", ".join(made))
    return made


def drop_before(table: str, cutoff: datetime) -> list[str]:
    """Drop the monthly partitions that end at or before ``cutoff`` (retention); the names
    dropped. The ``_before`` partition is emptied (not dropped) once it lies wholly before the
    cutoff."""
    if not is_partitioned(table):
        return []
    dropped = []
    with transaction.atomic():
        for part in partitions(table):
            if part.end is None or part.end > cutoff:
                continue
            with connection.cursor() as cursor:
                if part.start is None:  # kept: the next old row needs somewhere to go
                    if _is_empty(part.name):
                        continue
                    cursor.execute(f"DELETE FROM {_q(part.name)}")  # noqa: S608 - a catalogue name
                else:
                    cursor.execute(f"DROP TABLE {_q(part.name)}")
            dropped.append(part.name)
    if dropped:
        logger.info("partitions of %s past retention: %s", table, ", ".join(dropped))
    return dropped


# --------------------------------------------------------------------------- making the parent


@dataclass(frozen=True)
class _Definition:
    """What a table is made of, beyond its columns, as PostgreSQL writes it."""

    primary_key: tuple[str, list[str]] | None  # (name, columns)
    uniques: list[tuple[str, list[str]]]
    foreign_keys: list[tuple[str, str]]  # (name, definition)
    checks: list[tuple[str, str]]
    indexes: list[tuple[str, str]]  # (name, CREATE INDEX ...), not those of constraints
    identity: list[str]  # identity columns


def _definition(table: str) -> _Definition:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT con.conname, con.contype, pg_get_constraintdef(con.oid), "
            "ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(n, o) "
            "      JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n "
            "      ORDER BY k.o) "
            "FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid "
            "WHERE c.relname = %s AND pg_table_is_visible(c.oid)",
            [table],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid "
            "WHERE c.relname = %s AND pg_table_is_visible(c.oid) AND NOT EXISTS ("
            "  SELECT 1 FROM pg_constraint con WHERE con.conindid = x.indexrelid)",
            [table],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
            "WHERE c.relname = %s AND pg_table_is_visible(c.oid) AND a.attidentity <> ''",
            [table],
        )
        identity = [name for (name,) in cursor.fetchall()]
    return _Definition(
        primary_key=next(((n, cols) for n, t, _, cols in constraints if t == "p"), None),
        uniques=[(n, cols) for n, t, _, cols in constraints if t == "u"],
        foreign_keys=[(n, d) for n, t, d, _ in constraints if t == "f"],
        checks=[(n, d) for n, t, d, _ in constraints if t == "c"],
        indexes=indexes,
        identity=identity,
    )


def _is_empty(table: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {_q(table)})")  # noqa: S608 - a table name
        return bool(cursor.fetchone()[0])


def partition_empty_table(table: str, column: str, *, now: datetime | None = None) -> bool:
    """Turn an EMPTY table into one partitioned by month on ``column`` (a migration's step);
    False, and nothing changed, when the table holds rows: those are moved while the server runs
    by :func:`copy_into_partitions` (``pulsebridge partitions migrate``)."""
    if not supported() or is_partitioned(table):
        return False
    if not _is_empty(table):
        logger.warning(
            "%s holds rows: left unpartitioned; run `pulsebridge partitions migrate` to move them",
            table,
        )
        return False
    _make_partitioned_copy(table, table, column, now=now)
    return True


def _make_partitioned_copy(
    table: str,
    target: str,
    column: str,
    *,
    now: datetime | None,
    suffix: str = "",
    first: datetime | None = None,
) -> None:
    """Create ``target`` partitioned on ``column`` with ``table``'s columns, keys, checks,
    foreign keys and indexes (their names with ``suffix``). When ``target`` is ``table`` itself
    (an empty table), the original is replaced."""
    definition = _definition(table)
    source = table
    with connection.cursor() as cursor:
        highest = {}
        for name in definition.identity:
            cursor.execute(f"SELECT COALESCE(max({_q(name)}), 0) FROM {_q(table)}")  # noqa: S608 - names from the catalogue
            highest[name] = cursor.fetchone()[0]
        if target == table:
            source = f"{table}_unpartitioned"
            cursor.execute(f"ALTER TABLE {_q(table)} RENAME TO {_q(source)}")
        # LIKE leaves out the identity of a column (PostgreSQL 15 refuses identity columns on a
        # partitioned table): a sequence of the target's own does what it did, below.
        cursor.execute(
            f"CREATE TABLE {_q(target)} (LIKE {_q(source)} INCLUDING DEFAULTS INCLUDING STORAGE "
            f"INCLUDING COMMENTS) PARTITION BY RANGE ({_q(column)})"
        )
        if target == table:
            cursor.execute(f"DROP TABLE {_q(source)}")  # frees its names, sequences included
        for name, start in highest.items():
            sequence = f"{target}_{name}_seq"
            cursor.execute(f"CREATE SEQUENCE {_q(sequence)} OWNED BY {_q(target)}.{_q(name)}")
            cursor.execute("SELECT setval(%s, %s)", [sequence, max(start, 1)])
            cursor.execute(
                f"ALTER TABLE {_q(target)} ALTER COLUMN {_q(name)} "
                f"SET DEFAULT nextval('{sequence}'::regclass)"
            )
        if definition.primary_key is not None:
            name, columns = definition.primary_key
            keyed = columns if column in columns else [*columns, column]
            cursor.execute(
                f"ALTER TABLE {_q(target)} ADD CONSTRAINT {_q(name + suffix)} "
                f"PRIMARY KEY ({', '.join(map(_q, keyed))})"
            )
        for name, columns in definition.uniques:
            if column not in columns:
                raise ValueError(
                    f"{table}: unique constraint {name} ({', '.join(columns)}) must include "
                    f"{column} to be kept by a table partitioned on it"
                )
            cursor.execute(
                f"ALTER TABLE {_q(target)} ADD CONSTRAINT {_q(name + suffix)} "
                f"UNIQUE ({', '.join(map(_q, columns))})"
            )
        for name, check in [*definition.checks, *definition.foreign_keys]:
            cursor.execute(f"ALTER TABLE {_q(target)} ADD CONSTRAINT {_q(name + suffix)} {check}")
        for name, create in definition.indexes:
            create = create.replace(f"INDEX {name} ON ", f"INDEX {_q(name + suffix)} ON ")
            create = re.sub(r" ON (ONLY )?(\S+\.)?\S+ USING ", f" ON {_q(target)} USING ", create)
            cursor.execute(create)
    now = now or datetime.now(UTC)
    back = month_start(now)
    for _ in range(MONTHS_BACK):
        back = month_start(back.replace(day=1) - timedelta(days=1))
    first = month_start(min(first or back, back))
    _create(target, f"{target}_before", None, first)
    for start in months(first, now):
        _create(target, f"{target}_p{start:%Y%m}", start, next_month(start))
    ensure(target, now=now)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {_q(target + '_default')} PARTITION OF {_q(target)} DEFAULT"
        )


# --------------------------------------------------------------------------- moving rows in


COPY_SUFFIX = "_partitioned"
OLD_SUFFIX = "_unpartitioned_old"


def copy_into_partitions(
    table: str,
    column: str,
    key: str,
    *,
    batch: int = 10_000,
    now: datetime | None = None,
    progress=None,
) -> int:
    """Move a table that holds rows into one partitioned on ``column`` while the server keeps
    writing to it. The rows copied; then :func:`swap_in` puts the copy in the table's place.

    1. ``<table>_partitioned`` is made with the table's columns, keys and indexes and monthly
       partitions from its oldest row's month; a trigger on the table mirrors every insert,
       update and delete into it from now on;
    2. the rows are copied in batches of ``batch`` in order of ``key`` (the primary key), each
       batch its own short transaction (``ON CONFLICT DO NOTHING``: a row the trigger mirrored
       already is skipped), so writers wait for nothing but a batch's row locks;
    3. :func:`swap_in` then renames, in one short transaction.
    Resumable: run it again after an interruption and it carries on after the last key it
    copied (kept in a small table of its own)."""
    if not supported() or is_partitioned(table):
        return 0
    target = table + COPY_SUFFIX
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT min({_q(column)}) FROM {_q(table)}")  # noqa: S608 - names from the caller's model
        oldest = cursor.fetchone()[0]
    with transaction.atomic():
        if not _exists(target):
            _make_partitioned_copy(table, target, column, now=now, suffix="_p", first=oldest)
        _mirror(table, target, column)
    copied, last = 0, _progress(table)
    names = _columns(table)
    key_type = _type_of(table, key)
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            after = "" if last is None else f"WHERE {_q(key)} > %s::{key_type}"
            cursor.execute(
                f"WITH rows AS (SELECT {names} FROM {_q(table)} {after} "  # noqa: S608 - names from the catalogue
                f"ORDER BY {_q(key)} LIMIT {int(batch)}), "
                f"copied AS (INSERT INTO {_q(target)} ({names}) SELECT {names} FROM rows "
                f"ON CONFLICT DO NOTHING) "
                f"SELECT count(*), max({_q(key)}) FROM rows",
                [] if last is None else [last],
            )
            count, highest = cursor.fetchone()
            if count:
                _save_progress(table, str(highest))
        if not count:
            return copied
        copied += count
        last = str(highest)
        if progress is not None:
            progress(copied)


def swap_in(table: str, key: str) -> str:
    """Put ``<table>_partitioned`` in the table's place, in one transaction under a brief
    exclusive lock; the old table stays as ``<table>_unpartitioned_old`` (every name of it
    renamed) until the operator drops it. Its name."""
    target, old = table + COPY_SUFFIX, table + OLD_SUFFIX
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {_q(table)} IN ACCESS EXCLUSIVE MODE")
        cursor.execute(f"DROP TRIGGER IF EXISTS {_q(_trigger(table))} ON {_q(table)}")
        for name in _owned_names(table):
            cursor.execute(_rename_relation_or_constraint(table, name, name + "_old"))
        cursor.execute(f"ALTER TABLE {_q(table)} RENAME TO {_q(old)}")
        cursor.execute(f"ALTER TABLE {_q(target)} RENAME TO {_q(table)}")
        for name in _owned_names(table):
            if name.endswith("_p"):
                cursor.execute(_rename_relation_or_constraint(table, name, name[:-2]))
        for part in partitions(table):
            cursor.execute(
                f"ALTER TABLE {_q(part.name)} RENAME TO {_q(table + part.name[len(target) :])}"
            )
        for sequence in _sequences(table):
            column = sequence.removeprefix(target + "_").removesuffix("_seq")
            cursor.execute(
                f"SELECT setval(%s, GREATEST((SELECT COALESCE(max({_q(column)}), 0) "  # noqa: S608 - names from the catalogue
                f"FROM {_q(old)}), (SELECT last_value FROM {_q(sequence)})))",
                [sequence],
            )
        cursor.execute(f"DELETE FROM {PROGRESS} WHERE table_name = %s", [table])  # noqa: S608 - a constant
    return old


def _exists(table: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [table])
        return bool(cursor.fetchone()[0])


def _columns(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
            "WHERE c.relname = %s AND pg_table_is_visible(c.oid) AND a.attnum > 0 "
            "AND NOT a.attisdropped ORDER BY a.attnum",
            [table],
        )
        return ", ".join(_q(name) for (name,) in cursor.fetchall())


def _trigger(table: str) -> str:
    return f"{table}_mirror"


def _mirror(table: str, target: str, column: str) -> None:
    """A trigger that repeats every change of ``table`` in ``target`` from now on."""
    names = _columns(table)
    new_values = ", ".join(f"NEW.{n}" for n in names.split(", "))
    key = _definition(table).primary_key
    if key is None:
        raise ValueError(f"{table} has no primary key to mirror its rows by")
    match = " AND ".join(f"{_q(c)} = OLD.{_q(c)}" for c in dict.fromkeys([*key[1], column]))
    function = _trigger(table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""CREATE OR REPLACE FUNCTION {_q(function)}() RETURNS trigger AS $$
            BEGIN
                IF TG_OP IN ('UPDATE', 'DELETE') THEN
                    DELETE FROM {_q(target)} WHERE {match};
                END IF;
                IF TG_OP IN ('INSERT', 'UPDATE') THEN
                    INSERT INTO {_q(target)} ({names}) VALUES ({new_values})
                    ON CONFLICT DO NOTHING;
                END IF;
                RETURN NULL;
            END $$ LANGUAGE plpgsql"""  # noqa: S608 - names from the catalogue
        )
        cursor.execute(f"DROP TRIGGER IF EXISTS {_q(function)} ON {_q(table)}")
        cursor.execute(
            f"CREATE TRIGGER {_q(function)} AFTER INSERT OR UPDATE OR DELETE ON {_q(table)} "
            f"FOR EACH ROW EXECUTE FUNCTION {_q(function)}()"
        )


PROGRESS = "pulsebridge_partition_copy"


def _progress(table: str) -> str | None:
    """Where an interrupted copy stopped: the last key it copied (keys of rows the trigger
    mirrored are no guide: with time-ordered ids they are the newest)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {PROGRESS} (table_name text PRIMARY KEY, last_key text)"
        )
        cursor.execute(f"SELECT last_key FROM {PROGRESS} WHERE table_name = %s", [table])  # noqa: S608 - a constant
        row = cursor.fetchone()
    return row[0] if row else None


def _save_progress(table: str, key: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {PROGRESS} VALUES (%s, %s) ON CONFLICT (table_name) "  # noqa: S608 - a constant
            "DO UPDATE SET last_key = EXCLUDED.last_key",
            [table, key],
        )


def _type_of(table: str, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
            "JOIN pg_class c ON c.oid = a.attrelid WHERE c.relname = %s AND a.attname = %s "
            "AND pg_table_is_visible(c.oid)",
            [table, column],
        )
        return cursor.fetchone()[0]


def _owned_names(table: str) -> list[str]:
    """The table's constraints and indexes (index names are unique in the schema)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT con.conname FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid "
            "WHERE c.relname = %s AND pg_table_is_visible(c.oid) "
            "UNION SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "JOIN pg_class c ON c.oid = x.indrelid WHERE c.relname = %s "
            "AND pg_table_is_visible(c.oid)",
            [table, table],
        )
        return sorted({name for (name,) in cursor.fetchall()})


def _rename_relation_or_constraint(table: str, name: str, new: str) -> str:
    """A constraint that owns an index is renamed as a constraint (its index follows); any
    other index as an index."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid "
            "WHERE c.relname = %s AND con.conname = %s",
            [table, name],
        )
        if cursor.fetchone() is not None:
            return f"ALTER TABLE {_q(table)} RENAME CONSTRAINT {_q(name)} TO {_q(new)}"
    return f"ALTER INDEX {_q(name)} RENAME TO {_q(new)}"


def _sequences(table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.relname FROM pg_depend d JOIN pg_class s ON s.oid = d.objid "
            "JOIN pg_class t ON t.oid = d.refobjid "
            "WHERE s.relkind = 'S' AND t.relname = %s AND pg_table_is_visible(t.oid)",
            [table],
        )
        return [name for (name,) in cursor.fetchall()]
