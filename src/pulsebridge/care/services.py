"""Care data: receiving bulk batches and reporting on them. The import itself is in
``importer.py``; it runs in the background worker, never inside a request."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from pulsebridge.core.models import ApiKey, Company

from . import importer, tasks
from .models import ImportBatch

SCHEMA_TYPES = tuple(ImportBatch.SchemaType.values)


def receive_batch(
    company: Company,
    schema_type: str,
    payload: str,
    records: int,
    api_key: ApiKey | None = None,
) -> ImportBatch:
    """Keep a batch as received and queue its import for when the batch is committed."""
    if schema_type not in SCHEMA_TYPES:
        raise ValueError(f"unknown schema type {schema_type!r}")
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            company=company,
            api_key=api_key,
            schema_type=schema_type,
            payload=payload,
            received=records,
        )
        batch_id = str(batch.pk)
        # robust: a queue that fails to take the task must not turn the stored batch into an
        # error for the sender; the batch stays queued, and the import of the company's next
        # batch (or `pulsebridge import run`) imports it first.
        transaction.on_commit(lambda: tasks.import_batch.enqueue(batch_id), robust=True)
    return batch


def import_now(batch: ImportBatch) -> ImportBatch:
    """Import a batch in this process, without the worker: one still queued, one left in
    ``processing`` by a worker that died, or one that failed (its records are upserts, so
    running it again is safe). A batch that is done is left as it is."""
    ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.FAILED).update(
        status=ImportBatch.Status.QUEUED, imported=0, failed=0, errors=[], failure=""
    )
    importer.import_batch(str(batch.pk))
    batch.refresh_from_db()
    return batch


@dataclass(frozen=True)
class RecordError:
    """A record of a batch that was not imported: its place in ``dataSet`` (from 0), its id when
    it had one, and every reason."""

    index: int | None
    id: str | None
    message: str | None


@dataclass(frozen=True)
class BatchReport:
    """What a sender may know of its batch: its progress and every record not imported."""

    batch_id: str
    schema_type: str
    status: str
    received: int
    imported: int
    failed: int
    errors: list[RecordError]


def batch_report(batch: ImportBatch) -> BatchReport:
    return BatchReport(
        batch_id=str(batch.pk),
        schema_type=batch.schema_type,
        status=batch.status,
        received=batch.received,
        imported=batch.imported,
        failed=batch.failed,
        errors=[RecordError(e.get("index"), e.get("id"), e.get("message")) for e in batch.errors],
    )


def batches(company: Company):
    """The company's batches, newest first, without their bodies."""
    return ImportBatch.objects.for_company(company).defer("payload").order_by("-received_at", "-pk")


def failed_records(batch: ImportBatch) -> list[dict[str, Any]]:
    """Every record of the batch that was not imported: its index, id and the reason, with the
    record as it was sent (None for a failure of the whole batch, which names no record)."""
    if not batch.errors:
        return []
    payload = ImportBatch.objects.values_list("payload", flat=True).get(pk=batch.pk)
    try:
        records = json.loads(payload)["dataSet"]
    except (ValueError, KeyError, TypeError):
        records = []
    failures = []
    for error in batch.errors:
        index = error.get("index")
        record = (
            records[index]
            if isinstance(index, int) and isinstance(records, list) and 0 <= index < len(records)
            else None
        )
        failures.append(
            {
                "index": index,
                "id": error.get("id"),
                "message": error.get("message"),
                "record": record,
            }
        )
    return failures
