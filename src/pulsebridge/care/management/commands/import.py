"""``pulsebridge import list|show|run``: the bulk care-data batches (Hayylo Inbound API), for
operators."""

from __future__ import annotations

import uuid

from django.core.management.base import CommandError

from pulsebridge.care.models import ImportBatch
from pulsebridge.care.services import batch_report, import_now
from pulsebridge.core.services import company_by_code as get_company
from pulsebridge.lib.commands import SubcommandCommand, add_json_flag, iso, positive_int

SHOWN_ERRORS = 20


def batch_json(batch: ImportBatch) -> dict:
    """The operator's view of a batch, with the names its sender reads in the Hayylo answer."""
    report = batch_report(batch)
    return {
        "batchId": report.batch_id,
        "schemaType": report.schema_type,
        "status": report.status,
        "received": report.received,
        "imported": report.imported,
        "failed": report.failed,
        "errors": [{"index": e.index, "id": e.id, "message": e.message} for e in report.errors],
        "company": batch.company.code,
        "receivedAt": iso(batch.received_at),
        "startedAt": iso(batch.started_at),
        "finishedAt": iso(batch.finished_at),
        "failure": batch.failure,
    }


def summary_json(batch: ImportBatch) -> dict:
    data = batch_json(batch)
    del data["errors"], data["failure"]
    return data


class Command(SubcommandCommand):
    help = "List, show and run the import batches of care data (Hayylo Inbound API)."

    def add_subcommands(self, subparsers) -> None:
        listing = subparsers.add_parser("list", help="a company's batches, newest first")
        listing.add_argument("--company", required=True, help="the company code")
        listing.add_argument(
            "--status", choices=ImportBatch.Status.values, help="only batches in this state"
        )
        listing.add_argument(
            "--limit", type=positive_int, default=50, help="at most this many (default 50)"
        )
        add_json_flag(listing)

        show = subparsers.add_parser("show", help="one batch, with the records not imported")
        show.add_argument("batch_id", metavar="BATCH_ID")
        add_json_flag(show)

        run = subparsers.add_parser(
            "run",
            help="import a batch now, in this process: one still queued, one left in "
            "processing by a worker that died, or one that failed",
        )
        run.add_argument("batch_id", metavar="BATCH_ID")
        add_json_flag(run)

    def _batch(self, batch_id: str) -> ImportBatch:
        try:
            pk = uuid.UUID(batch_id)
        except ValueError:
            raise CommandError(f"{batch_id!r} is not a batch id (a UUID)") from None
        batch = ImportBatch.objects.select_related("company").defer("payload").filter(pk=pk)
        found = batch.first()
        if found is None:
            raise CommandError(f"no batch {batch_id}")
        return found

    def handle_list(self, *, company, status, limit, json, **_):
        owner = get_company(company)
        batches = ImportBatch.objects.for_company(owner).select_related("company")
        if status:
            batches = batches.filter(status=status)
        rows = list(batches.defer("payload", "errors").order_by("-received_at", "-pk")[:limit])
        if json:
            self.emit_json({"count": len(rows), "batches": [summary_json(b) for b in rows]})
            return
        if not rows:
            self.stdout.write(f"no import batches for {owner.code}")
            return
        self.stdout.write(
            f"{'batch id':36}  {'schema type':14}  {'status':10}  {'received':>8}  "
            f"{'imported':>8}  {'failed':>6}  received at"
        )
        for b in rows:
            self.stdout.write(
                f"{b.pk!s:36}  {b.schema_type:14}  {b.status:10}  {b.received:>8}  "
                f"{b.imported:>8}  {b.failed:>6}  {iso(b.received_at)}"
            )

    def handle_show(self, *, batch_id, json, **_):
        self._show(self._batch(batch_id), json)

    def handle_run(self, *, batch_id, json, **_):
        batch = self._batch(batch_id)
        if batch.status == ImportBatch.Status.DONE:
            raise CommandError(f"batch {batch.pk} is already done")
        self._show(import_now(batch), json)

    def _show(self, batch: ImportBatch, json: bool) -> None:
        if json:
            self.emit_json(batch_json(batch))
            return
        lines = [
            f"batch        {batch.pk}",
            f"company      {batch.company.code}",
            f"schema type  {batch.schema_type}",
            f"status       {batch.status}",
            f"records      {batch.received} received, {batch.imported} imported, "
            f"{batch.failed} failed",
            f"received at  {iso(batch.received_at)}",
            f"started at   {iso(batch.started_at) or '-'}",
            f"finished at  {iso(batch.finished_at) or '-'}",
        ]
        if batch.failure:
            lines.append(f"failure      {batch.failure}")
        self.stdout.write("\n".join(lines))
        if batch.errors:
            self.stdout.write("errors:")
            for error in batch.errors[:SHOWN_ERRORS]:
                where = "batch" if error["index"] is None else f"#{error['index']}"
                self.stdout.write(f"  {where} {error['id'] or ''}: {error['message']}")
            if len(batch.errors) > SHOWN_ERRORS:
                self.stdout.write(
                    f"  ... and {len(batch.errors) - SHOWN_ERRORS} more (--json lists them all)"
                )
