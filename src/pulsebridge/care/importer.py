"""The bulk import of care records: a batch's records checked one by one and written in bulk.

Records are taken in chunks (``settings.CARE_IMPORT_CHUNK_SIZE``, 2,000). For each chunk: every
record is parsed on its own; the rows the records name (by the sender's id) and the rows they
refer to are fetched in one query per table; the records are applied in order in memory (so a
record that repeats an id sees the one before it); then the new rows are inserted and the
changed ones updated in bulk (``core.bulk``: COPY on PostgreSQL). A 20,000-record batch costs
a few dozen statements, not tens of thousands.

A record that cannot be stored is reported with its index, id and the reason, and the others
are still imported."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from pulsebridge.core.models import Company
from pulsebridge.devices.models import Patient
from pulsebridge.lib import metrics
from pulsebridge.lib.bulk import Table, among

from . import documents
from .models import CareClient, ClientDocument, ExternalRecord, FamilyContact, ImportBatch, Visit
from .models import Worker as CareWorker
from .records import FORMATS, Parsed, RecordFormat, Rejected, parse_record, shown

logger = logging.getLogger("pulsebridge.care")


def chunk_size() -> int:
    return getattr(settings, "CARE_IMPORT_CHUNK_SIZE", 2000)


@dataclass
class Outcome:
    imported: int = 0
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return len(self.rejected)

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [r.as_dict() for r in self.rejected]


TARGETS: dict[str, type[ExternalRecord]] = {"client": CareClient, "worker": CareWorker}


class Importer:
    """Applies one kind of record to one company's rows, held as plain dicts (see core.bulk)."""

    model: type[ExternalRecord]
    fmt: RecordFormat

    def __init__(self, company: Company):
        self.company = company
        self.now = timezone.now()
        self.table = Table(self.model)

    # The steps of one chunk --------------------------------------------------------------

    def import_chunk(self, items: list[tuple[int, Any]], outcome: Outcome) -> None:
        parsed: list[Parsed] = []
        rejected: list[Rejected] = []
        for index, raw in items:
            result = parse_record(self.fmt, index, raw)
            if isinstance(result, Rejected):
                rejected.append(result)
            else:
                parsed.append(result)
        targets = self._resolve_references([*parsed, *rejected])
        for r in rejected:
            # every reason at once: an unknown reference beside the field errors
            unknown = self._unknown_references(r.references, targets)
            if unknown:
                r.message = "; ".join([r.message, *unknown])
        outcome.rejected.extend(rejected)
        if not parsed:
            return
        scoped = self.model.objects.for_company(self.company)
        existing = {
            row["external_id"]: row
            for row in self.table.fetch(scoped.filter(among("external_id", {p.id for p in parsed})))
        }
        created: dict[str, dict[str, Any]] = {}
        updated: dict[str, dict[str, Any]] = {}
        changed: set[str] = set()
        for p in parsed:
            row = created.get(p.id) or existing.get(p.id)
            problem, values = self._values(p, row, targets)
            if problem:
                outcome.rejected.append(Rejected(p.index, p.id, problem))
                continue
            values = self.prepare(p, row, values)
            if row is None:
                row = self.table.new_row(
                    self.now, {"company_id": self.company.pk, "external_id": p.id, **values}
                )
                created[p.id] = row
            else:
                differ = [attr for attr, value in values.items() if row[attr] != value]
                for attr in differ:
                    row[attr] = values[attr]
                if differ and p.id not in created:
                    updated[p.id] = row
                    changed.update(differ)
            self.applied(p, row, values)
            outcome.imported += 1
        self.flush(list(created.values()), list(updated.values()), changed)

    def _unknown_references(
        self, references: dict[str, str | None], targets: dict[str, dict[str, Any]]
    ) -> list[str]:
        return [
            f"{ref.wire} {shown(given)} is not a {ref.target} of this company "
            f"(send the {ref.target} records first)"
            for ref in self.fmt.references
            if (given := references.get(ref.wire)) and given not in targets[ref.target]
        ]

    def _resolve_references(self, parsed: Sequence[Parsed | Rejected]) -> dict[str, dict[str, Any]]:
        """The company's rows named by the chunk's references: target -> {external id: pk}."""
        wanted: dict[str, set[str]] = {}
        for ref in self.fmt.references:
            named = {given for p in parsed if (given := p.references.get(ref.wire))}
            wanted.setdefault(ref.target, set()).update(named)
        found: dict[str, dict[str, Any]] = {}
        for target, ids in wanted.items():
            found[target] = dict(
                TARGETS[target]
                .objects.for_company(self.company)
                .filter(among("external_id", ids))
                .values_list("external_id", "pk")
            )
        return found

    def _values(
        self, p: Parsed, row: dict[str, Any] | None, targets: dict[str, dict[str, Any]]
    ) -> tuple[str, dict[str, Any]]:
        """The attributes to set, or why the record cannot be applied."""
        problems = []
        if row is None:
            missing = [f.wire for f in self.fmt.fields if f.required and f.attr not in p.values]
            missing += [
                r.wire for r in self.fmt.references if r.required and r.wire not in p.references
            ]
            if missing:
                problems.append(
                    f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} required to create "
                    f"{self.fmt.noun} {shown(p.id)}, which does not exist yet"
                )
        values = dict(p.values)
        for ref in self.fmt.references:
            if ref.wire not in p.references:
                continue
            given = p.references[ref.wire]
            if given is None:
                values[ref.attr] = None
                continue
            pk = targets[ref.target].get(given)
            if pk is not None:
                values[ref.attr] = pk
        problems += self._unknown_references(p.references, targets)
        return "; ".join(problems), values

    # Hooks for the kinds that need more ---------------------------------------------------

    def prepare(self, p: Parsed, row: dict | None, values: dict[str, Any]) -> dict[str, Any]:
        """The values to store, given the record and the row it applies to (None: a new one)."""
        return values

    def applied(self, p: Parsed, row: dict, values: dict[str, Any]) -> None:
        """Called once the record's values are on the row."""

    def flush(self, created: list[dict], updated: list[dict], changed: set[str]) -> None:
        self.table.insert(created)
        if updated:
            for row in updated:
                row["updated_at"] = self.now
            self.table.update(updated, changed | {"updated_at"})


class ClientImporter(Importer):
    """Clients, each the company's Patient with the same id (created or updated with it)."""

    model = CareClient
    fmt = FORMATS["client"]
    patient_fields = ("id", "external_id", "name", "phone_number", "email")

    def import_chunk(self, items, outcome) -> None:
        self.patient_details: dict[str, dict[str, str]] = {}
        super().import_chunk(items, outcome)

    def applied(self, p, row, values) -> None:
        # Only what the record carried is passed on, as ensure_patient does with details.
        details = self.patient_details.setdefault(p.id, {})
        if {"first_name", "last_name"} & values.keys():
            details["name"] = f"{row['first_name']} {row['last_name']}".strip()[:200]
        if {"phone", "phone2"} & values.keys():
            details["phone_number"] = row["phone2"] or row["phone"]  # the mobile, for messages
        if "email" in values:
            details["email"] = row["email"]

    def flush(self, created, updated, changed) -> None:
        patients = self._ensure_patients()
        for row in created:
            row["patient_id"] = patients[row["external_id"]]
        super().flush(created, updated, changed)

    def _ensure_patients(self) -> dict[str, Any]:
        """``devices.services.ensure_patient`` for a whole chunk: the company's patients with
        these ids, created where missing, with the details given overwriting the stored ones;
        their primary keys by id."""
        table = Table(Patient)
        ids = set(self.patient_details)
        patients = self._stored_patients(ids)
        missing = ids - patients.keys()
        if missing:
            new = {
                eid: table.new_row(
                    self.now,
                    {
                        "company_id": self.company.pk,
                        "external_id": eid,
                        **self.patient_details[eid],
                    },
                )
                for eid in missing
            }
            inserted = table.insert_missing(list(new.values()))
            if inserted is not None:
                patients.update((eid, row) for eid, row in new.items() if row["id"] in inserted)
                missing = {eid for eid, row in new.items() if row["id"] not in inserted}
            if missing:
                # Created meanwhile by another request (a Pylo device assignment ...): the
                # stored ones are read back, and given the details below.
                patients.update(self._stored_patients(missing))
        changed, fields = [], set()
        for eid, details in self.patient_details.items():
            patient = patients[eid]
            differ = [name for name, value in details.items() if patient[name] != value]
            for name in differ:
                patient[name] = details[name]
            if differ:
                patient["updated_at"] = self.now
                changed.append(patient)
                fields.update(differ)
        table.update(changed, fields | {"updated_at"})
        return {eid: patient["id"] for eid, patient in patients.items()}

    def _stored_patients(self, ids: set[str]) -> dict[str, dict[str, Any]]:
        scoped = Patient.objects.for_company(self.company).filter(among("external_id", ids))
        return {p["external_id"]: p for p in scoped.values(*self.patient_fields)}


class FamilyImporter(Importer):
    model = FamilyContact
    fmt = FORMATS["family"]


class WorkerImporter(Importer):
    model = CareWorker
    fmt = FORMATS["worker"]


class VisitImporter(Importer):
    """Visits: ``CANCELLED`` cancels one (creating it cancelled if it was never sent), ``NEW``
    and ``CHANGED`` make it scheduled again."""

    model = Visit
    fmt = FORMATS["schedule"]

    def prepare(self, p, row, values):
        if p.status == "CANCELLED":
            values["status"] = Visit.Status.CANCELLED.value
            already = row is not None and row["status"] == Visit.Status.CANCELLED
            values["cancelled_at"] = row["cancelled_at"] if already else self.now
        else:
            values["status"] = Visit.Status.SCHEDULED.value
            values["cancelled_at"] = None
        return values


class DocumentImporter(Importer):
    """Client documents: the decoded bytes go to storage, the row keeps where, size and hash."""

    model = ClientDocument
    fmt = FORMATS["clientDocument"]

    def prepare(self, p, row, values):
        content = values.pop("content", None)
        if content is not None:
            extension = values.get("extension") or row["extension"]
            values["file"] = documents.store(self.company, content, extension)
            values["size"] = content.size
            values["sha256"] = content.sha256
        return values


IMPORTERS: dict[str, type[Importer]] = {
    "client": ClientImporter,
    "family": FamilyImporter,
    "worker": WorkerImporter,
    "schedule": VisitImporter,
    "clientDocument": DocumentImporter,
}


def import_records(company: Company, schema_type: str, records: list[Any]) -> Outcome:
    """Import records of one type for one company; the report of what was not imported.

    Records are released as they are done, so the memory held shrinks as the import goes."""
    importer = IMPORTERS[schema_type](company)
    outcome = Outcome()
    size = chunk_size()
    for start in range(0, len(records), size):
        stop = min(start + size, len(records))
        importer.import_chunk([(i, records[i]) for i in range(start, stop)], outcome)
        records[start:stop] = [None] * (stop - start)
    outcome.rejected.sort(key=lambda r: r.index)
    return outcome


def import_batch(batch_id: str) -> None:
    """Import a stored batch, after any earlier batch of its company that is still waiting.

    The sender's order matters (clients before their visits), and two workers may pick up two
    batches of one company at once: so earlier batches go first and each import holds a lock
    on its company. Safe to run again: a finished batch is left alone, and every record is an
    upsert."""
    batch = ImportBatch.objects.filter(pk=batch_id).values("company_id", "received_at").first()
    if batch is None:
        logger.warning("import batch %s does not exist", batch_id)
        return
    earlier = (
        ImportBatch.objects.filter(
            company_id=batch["company_id"],
            status__in=[ImportBatch.Status.QUEUED, ImportBatch.Status.PROCESSING],
        )
        .filter(
            Q(received_at__lt=batch["received_at"])
            | Q(received_at=batch["received_at"], pk__lt=batch_id)
        )
        .order_by("received_at", "pk")
        .values_list("pk", flat=True)
    )
    for pk in [*earlier, batch_id]:
        _import_one(pk)


def _import_one(batch_id) -> None:
    ImportBatch.objects.filter(pk=batch_id, status=ImportBatch.Status.QUEUED).update(
        status=ImportBatch.Status.PROCESSING, started_at=timezone.now()
    )
    try:
        with transaction.atomic():
            batch = ImportBatch.objects.select_for_update().defer("payload").get(pk=batch_id)
            if batch.is_finished:
                return
            # FOR NO KEY UPDATE: imports of one company wait for each other, while rows that
            # merely point at the company (readings, orders ...) can still be written.
            company = Company.objects.select_for_update(no_key=True).get(pk=batch.company_id)
            payload = ImportBatch.objects.values_list("payload", flat=True).get(pk=batch_id)
            records = json.loads(payload)["dataSet"]
            del payload
            outcome = import_records(company, batch.schema_type, records)
            batch.status = ImportBatch.Status.DONE
            batch.imported = outcome.imported
            batch.failed = outcome.failed
            batch.errors = outcome.errors
            batch.failure = ""
            batch.finished_at = timezone.now()
            batch.save(
                update_fields=["status", "imported", "failed", "errors", "failure", "finished_at"]
            )
        _count_finished(batch_id)
    except Exception as exc:
        logger.exception("import batch %s failed", batch_id)
        failed = ImportBatch.objects.filter(pk=batch_id).exclude(status=ImportBatch.Status.DONE)
        failed.update(
            status=ImportBatch.Status.FAILED,
            imported=0,
            failed=F("received"),
            failure=f"{type(exc).__name__}: {exc}"[:2000],
            errors=[
                {
                    "index": None,
                    "id": None,
                    "message": "The import stopped on an internal error and nothing of this "
                    "batch was imported; it can be run again once the cause is fixed.",
                }
            ],
            finished_at=timezone.now(),
        )
        _count_finished(batch_id)


def _count_finished(batch_id) -> None:
    """/metrics: the batch's status and how long it took from being received."""
    rows = ImportBatch.objects.filter(pk=batch_id).values("status", "received_at", "finished_at")
    row = rows.first()
    if row is None or row["finished_at"] is None:
        return
    metrics.IMPORTS.labels(row["status"]).inc()
    metrics.IMPORT_SECONDS.observe((row["finished_at"] - row["received_at"]).total_seconds())


def prune_bodies(before: datetime) -> int:
    """Empty the stored request bodies of the batches imported before ``before``; how many. The
    batch and its outcome (counts, errors) stay for the status endpoint; a failed batch keeps its
    body, so that it can be run again."""
    return (
        ImportBatch.objects.filter(status=ImportBatch.Status.DONE, finished_at__lt=before)
        .exclude(payload="")
        .update(payload="")
    )
