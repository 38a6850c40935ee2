"""``pulsebridge partitions list|ensure|prune|migrate``: the tables partitioned by month on
PostgreSQL (readings, tracker events, webhook attempts). The worker runs ``ensure`` and
``prune`` once a day by itself; ``migrate`` moves an existing table that holds rows into a
partitioned one while the server keeps running (docs/deployment.md)."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.db import connection

from pulsebridge.lib import partitions
from pulsebridge.lib.commands import SubcommandCommand, add_json_flag, iso, positive_int
from pulsebridge.operations.partitioning import TABLES, prune_all


class Command(SubcommandCommand):
    help = "List, make, drop and migrate the monthly partitions of the largest tables."

    def add_subcommands(self, subparsers) -> None:
        add_json_flag(subparsers.add_parser("list", help="each table's partitions"))
        ensure = subparsers.add_parser("ensure", help="make the coming months' partitions")
        ensure.add_argument("--ahead", type=positive_int, default=partitions.MONTHS_AHEAD)
        add_json_flag(ensure)
        add_json_flag(subparsers.add_parser("prune", help="drop the months past retention"))
        migrate = subparsers.add_parser(
            "migrate", help="move a table that holds rows into monthly partitions, online"
        )
        migrate.add_argument("table", choices=sorted(TABLES))
        migrate.add_argument("--batch", type=positive_int, default=10_000, metavar="ROWS")
        migrate.add_argument(
            "--no-swap",
            action="store_true",
            help="copy only; run again without it to put the copy in the table's place",
        )
        add_json_flag(migrate)

    def handle(self, *args, subcommand: str, **options):
        if connection.vendor != "postgresql":
            raise CommandError(
                "partitions are a PostgreSQL feature; this database is "
                f"{connection.vendor} (its tables stay as they are)"
            )
        super().handle(*args, subcommand=subcommand, **options)

    def handle_list(self, *, json, **_):
        shown = {}
        for name, t in TABLES.items():
            shown[name] = {
                "table": t.table,
                "partitioned": partitions.is_partitioned(t.table),
                "retention_days": t.retention_days,
                "partitions": [
                    {"name": p.name, "from": iso(p.start), "to": iso(p.end), "rows": p.rows}
                    for p in partitions.partitions(t.table)
                ],
            }
        if json:
            self.emit_json(shown)
            return
        for name, info in shown.items():
            if not info["partitioned"]:
                self.stdout.write(
                    f"{name}: {info['table']} is not partitioned "
                    f"(`pulsebridge partitions migrate {name}`)"
                )
                continue
            kept = f"{info['retention_days']} days" if info["retention_days"] else "for ever"
            self.stdout.write(f"{name}: {info['table']}, kept {kept}")
            for p in info["partitions"]:
                span = f"{p['from'] or '...'} to {p['to'] or '...'}"
                self.stdout.write(f"  {p['name']:<44} {span:<45} ~{p['rows']} rows")

    def handle_ensure(self, *, ahead, json, **_):
        made = {t.name: partitions.ensure(t.table, ahead=ahead) for t in TABLES.values()}
        self._report("made", made, json)

    def handle_prune(self, *, json, **_):
        self._report("dropped", prune_all(), json)

    def handle_migrate(self, *, table, batch, no_swap, json, **_):
        t = TABLES[table]
        if partitions.is_partitioned(t.table):
            raise CommandError(f"{t.table} is partitioned already")

        def progress(copied: int) -> None:
            if not json:
                self.stderr.write(f"  {copied} rows copied", ending="\r")

        copied = partitions.copy_into_partitions(
            t.table, t.column, t.key, batch=batch, progress=progress
        )
        old = None if no_swap else partitions.swap_in(t.table, t.key)
        if json:
            self.emit_json({"table": t.table, "copied": copied, "swapped": old is not None,
                            "old_table": old})  # fmt: skip
            return
        self.stdout.write(f"{t.table}: {copied} rows copied into monthly partitions")
        if old is not None:
            self.stdout.write(
                f"{t.table} is now partitioned; the old table is {old}: drop it once you have "
                f"checked (DROP TABLE {old})"
            )

    def _report(self, verb: str, names: dict[str, list[str]], json: bool) -> None:
        if json:
            self.emit_json({verb: names})
            return
        for name, made in names.items():
            self.stdout.write(f"{name}: {verb} {', '.join(made) if made else 'nothing'}")
