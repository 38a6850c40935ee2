"""FHIR Bulk Data export (``$export``): NDJSON files per resource type, written by the worker.

A job is written in parts (about ``FHIR_EXPORT_PART_SIZE`` resources per file), in the order
``(time, id)`` of each type. After each part the job records, in one update, the file and the
place after its last row: that is the checkpoint. A worker that dies mid-part loses only that
part; the next run writes it again under the same name, from the same place, so each resource
is in the export once.

One run holds a lease on the job (``FHIR_EXPORT_LEASE_SECONDS``, renewed at each checkpoint),
so two workers never write the same job; a run works for at most ``FHIR_EXPORT_SLICE_SECONDS``
and then queues the rest as a new task, so a large export does not hold a worker's task loop
for long. When a client polls a job whose lease ran out (its worker died), the job is queued
again and resumes from its checkpoint.

The rows are read as plain rows and written with orjson: a million Observations is a million
``observation`` dicts and nothing more."""

from __future__ import annotations

import logging
import tempfile
import time
from datetime import datetime, timedelta

import orjson
from django.conf import settings
from django.core.files import File
from django.core.files.storage import storages
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django_tasks import task

from pulsebridge.lib.ids import random_token
from pulsebridge.lib.plans import custom_plans

from . import pagination, queries, resources, search
from .models import ExportJob

logger = logging.getLogger("pulsebridge.fhir")

TYPES = ("Patient", "Device", "Observation")
CHUNK = 5000  # rows per query
Status = ExportJob.Status


def storage():
    return storages["fhir_exports"]


def retention() -> timedelta:
    return timedelta(seconds=settings.FHIR_EXPORT_RETENTION_SECONDS)


def expires_at(job: ExportJob) -> datetime | None:
    return job.finished_at + retention() if job.finished_at else None


def is_expired(job: ExportJob, now: datetime | None = None) -> bool:
    end = expires_at(job)
    return end is not None and end <= (now or timezone.now())


# --- starting, polling, cancelling ----------------------------------------------------------


def start_export(*, company, owner: str, level: str, types: list[str], since: datetime | None,
                 request_url: str) -> ExportJob:  # fmt: skip
    job = ExportJob.objects.create(
        company=company,
        owner=owner,
        level=level,
        types=[t for t in TYPES if t in types],
        since=since,
        request_url=request_url,
        transaction_time=timezone.now(),
        progress={t: {"files": [], "after": None, "done": False} for t in TYPES if t in types},
    )
    job_id = str(job.pk)
    transaction.on_commit(lambda: export_task.enqueue(job_id), robust=True)
    # expired exports go when the next one starts, besides any retention job the operator runs
    transaction.on_commit(lambda: prune_task.enqueue(), robust=True)
    return job


def find_job(company, owner: str, job_id) -> ExportJob | None:
    """The job, if these credentials started it and it has not expired or been cancelled."""
    job = ExportJob.objects.for_company(company).filter(pk=job_id, owner=owner).first()
    if job is None or job.status == Status.CANCELLED or is_expired(job):
        return None
    return job


def resume_if_stalled(job: ExportJob) -> bool:
    """Queue ``job`` again when the worker that held it is gone: its lease ran out, or it let
    the lease go at the end of a slice and its next slice was never queued."""
    now = timezone.now()
    if job.is_finished or job.lease_until is None:
        return False
    lease = timedelta(seconds=settings.FHIR_EXPORT_LEASE_SECONDS)
    lost = bool(job.lease_token) and job.lease_until <= now
    forgotten = not job.lease_token and job.lease_until <= now - lease
    if not (lost or forgotten):
        return False
    # one poll re-queues it; an empty token says "let go, a run is queued"
    taken = ExportJob.objects.filter(
        pk=job.pk, lease_token=job.lease_token, lease_until=job.lease_until
    ).update(lease_token="", lease_until=now)
    if taken:
        job_id = str(job.pk)
        transaction.on_commit(lambda: export_task.enqueue(job_id), robust=True)
        logger.warning("export %s: its worker is gone; resuming from the checkpoint", job.pk)
    return bool(taken)


def progress_text(job: ExportJob) -> str:
    parts = []
    for resource_type in job.types:
        state = job.progress.get(resource_type, {})
        written = sum(count for _, count in state.get("files", []))
        total = state.get("total")
        if state.get("done"):
            parts.append(f"{resource_type} {written:,} done")
        elif total:
            parts.append(f"{resource_type} {written:,} of about {total:,}")
        else:
            parts.append(f"{resource_type} {written:,}")
    label = "queued" if job.status == Status.ACCEPTED else "in progress"
    return f"{label}: " + ", ".join(parts)


def cancel_export(job: ExportJob) -> None:
    ExportJob.objects.filter(pk=job.pk).update(status=Status.CANCELLED, finished_at=timezone.now())
    delete_files(job)


def delete_files(job: ExportJob) -> None:
    store = storage()
    for state in job.progress.values():
        for name, _ in state.get("files", []):
            if store.exists(name):
                store.delete(name)


def prune_exports(older_than: timedelta | None = None) -> int:
    """Delete the exports (and their files) finished more than ``older_than`` ago (default:
    the retention time), and those never finished that were started that long ago."""
    cutoff = timezone.now() - (older_than if older_than is not None else retention())
    old = ExportJob.objects.filter(finished_at__lt=cutoff) | ExportJob.objects.filter(
        finished_at__isnull=True, created_at__lt=cutoff
    )
    pruned = 0
    for job in old.iterator():
        delete_files(job)
        ExportJob.objects.filter(pk=job.pk).delete()
        pruned += 1
    return pruned


# --- what each resource type exports ---------------------------------------------------------


def _source(job: ExportJob, resource_type: str) -> tuple[QuerySet, str]:
    """The rows of ``resource_type`` in the job, and the time field they are ordered by."""
    company = job.company
    if resource_type == "Patient":
        patients = queries.patients(company).filter(created_at__lte=job.transaction_time)
        if job.since is not None:
            patients = patients.filter(last_updated__gte=job.since)
        return patients, "created_at"
    if resource_type == "Device":
        devices = queries.devices(company).filter(created_at__lte=job.transaction_time)
        if job.level == ExportJob.Level.PATIENT:
            devices = devices.filter(patient__isnull=False)
        if job.since is not None:
            devices = devices.filter(updated_at__gte=job.since)
        return devices, "created_at"
    readings = queries.readings(company).filter(received_at__lte=job.transaction_time)
    if job.level == ExportJob.Level.PATIENT:
        readings = readings.filter(patient__isnull=False)
    if job.since is not None:
        readings = readings.filter(received_at__gte=job.since)
    return readings, "measured_at"


def _encoder(job: ExportJob, resource_type: str):
    """The NDJSON lines of one row, and the row's place in the order, for ``resource_type``."""
    dumps = orjson.dumps
    if resource_type == "Observation":
        write, loads = resources.ObservationWriter().observations, orjson.loads

        def lines(row):
            return [dumps(r) for _, r in write(row, loads(row[7]))]

        def place(row):
            return [row[3], str(row[0])]  # the time as the database wrote it (queries.Instant)

        return lines, place
    if resource_type == "Patient":
        code = job.company.code

        def lines(row):
            return [dumps(resources.patient(row[:-1], code))]

    else:

        def lines(row):
            return [dumps(resources.device(row[:-1]))]

    def place(row):
        return [row[-1].isoformat(), str(row[0])]

    return lines, place


def _rows(queryset: QuerySet, resource_type: str) -> QuerySet:
    if resource_type == "Observation":
        return queries.observation_rows(queryset)
    if resource_type == "Patient":
        return queryset.values_list(*resources.PATIENT_COLUMNS, "created_at")
    return queryset.values_list(*resources.DEVICE_COLUMNS, "created_at")


def write_part(
    job: ExportJob, resource_type: str, after: list | None, out
) -> tuple[int, list | None, bool]:
    """Write the next part of ``resource_type`` to ``out``: (resources, place after its last
    row, whether the type is exhausted)."""
    queryset, time_field = _source(job, resource_type)
    queryset = pagination.ordered(queryset, time_field, descending=False)
    part_size = settings.FHIR_EXPORT_PART_SIZE
    lines_of, place_of = _encoder(job, resource_type)
    written = 0
    place = after
    while True:
        page = queryset
        if place is not None:
            at, pk = datetime.fromisoformat(place[0]), place[1]
            page = page.filter(
                pagination.at_or_beyond(time_field, at, pk, descending=False)
            ).exclude(pk=pk)
        # every row is at least one resource: no more rows than the part still takes
        with custom_plans():
            rows = list(_rows(page, resource_type)[: min(CHUNK, part_size - written)])
        if not rows:
            return written, place, True
        chunk: list[bytes] = []
        for row in rows:
            lines = lines_of(row)
            chunk += lines
            written += len(lines)
            if written >= part_size:  # a reading's Observations stay in one part
                break
        chunk.append(b"")  # the last line's end
        out.write(b"\n".join(chunk))
        place = place_of(row)
        if written >= part_size:
            return written, place, False


def _estimate(job: ExportJob, resource_type: str) -> int:
    queryset, _ = _source(job, resource_type)
    if resource_type != "Observation":
        return queryset.count()
    return search.count_observations(queryset, search.TARGETS)


# --- the worker's side -----------------------------------------------------------------------


def _take_lease(job_id, token: str) -> bool:
    now = timezone.now()
    until = now + timedelta(seconds=settings.FHIR_EXPORT_LEASE_SECONDS)
    free = ExportJob.objects.filter(pk=job_id, status__in=[Status.ACCEPTED, Status.IN_PROGRESS])
    taken = free.filter(lease_until__isnull=True).update(lease_token=token, lease_until=until)
    if not taken:
        taken = free.filter(lease_until__lte=now).update(lease_token=token, lease_until=until)
    return bool(taken)


def _checkpoint(job: ExportJob, token: str, **changes) -> bool:
    """Record progress while the lease is still ours; False if it is not (or the job was
    cancelled meanwhile)."""
    until = timezone.now() + timedelta(seconds=settings.FHIR_EXPORT_LEASE_SECONDS)
    return bool(
        ExportJob.objects.filter(pk=job.pk, lease_token=token, status=Status.IN_PROGRESS).update(
            **{"lease_until": until, **changes}
        )
    )


def run_export(job_id) -> None:
    """Export from the job's checkpoint for one slice of time; idempotent."""
    token = random_token(32)
    if not _take_lease(job_id, token):
        return  # finished, cancelled, or being written by another worker
    job = ExportJob.objects.select_related("company").get(pk=job_id)
    try:
        if job.status == Status.ACCEPTED:
            for resource_type in job.types:
                job.progress[resource_type]["total"] = _estimate(job, resource_type)
            job.status = Status.IN_PROGRESS
            ExportJob.objects.filter(pk=job.pk, lease_token=token).update(
                status=Status.IN_PROGRESS, progress=job.progress
            )
        finished = _run(job, token)
    except Exception:
        logger.exception("export %s failed", job.pk)
        now = timezone.now()
        if ExportJob.objects.filter(pk=job.pk, lease_token=token).update(
            status=Status.FAILED, finished_at=now, lease_until=None,
            error="The export failed; start a new one.",
        ):  # fmt: skip
            _prune_when_expired(now)
        return
    if finished:
        now = timezone.now()
        if _checkpoint(job, token, status=Status.COMPLETED, finished_at=now, lease_until=None):
            _prune_when_expired(now)
    # a slice that ran out of time queued the rest itself (in _run)


def _prune_when_expired(finished_at: datetime) -> None:
    """Queue the pruning for the moment this export expires, so that its files (health data)
    go then even if no other export ever starts. The task row is in the database: a worker
    restarted meanwhile still runs it. Backends that cannot defer a task (the immediate one of
    tests and development) leave it to the next kick-off."""
    if not prune_task.get_backend().supports_defer:
        return
    due = prune_task.using(run_after=finished_at + retention() + timedelta(seconds=1))
    transaction.on_commit(lambda: due.enqueue(), robust=True)


def _run(job: ExportJob, token: str) -> bool:
    """Write parts until every type is done (True), the slice's time is up (False, the rest
    queued), or the lease is lost (False)."""
    store = storage()
    deadline = time.monotonic() + settings.FHIR_EXPORT_SLICE_SECONDS
    for resource_type in job.types:
        state = job.progress[resource_type]
        while not state["done"]:
            number = len(state["files"]) + 1
            name = f"{job.pk}/{resource_type}-{number:04d}.ndjson"
            with tempfile.TemporaryFile() as part:
                count, place, exhausted = write_part(job, resource_type, state["after"], part)
                if count:
                    part.seek(0)
                    if store.exists(name):  # left by a run that died before its checkpoint
                        store.delete(name)
                    saved = store.save(name, File(part))
                    state["files"].append([saved, count])
            state["after"] = place
            state["done"] = exhausted
            if not _checkpoint(job, token, progress=job.progress):
                if count:
                    store.delete(saved)  # the job was cancelled or taken over meanwhile
                return False
            if time.monotonic() >= deadline and not all(job.progress[t]["done"] for t in job.types):
                # let go, for the next slice (and for resume_if_stalled, should it never come)
                _checkpoint(job, token, lease_token="", lease_until=timezone.now())
                transaction.on_commit(lambda pk=str(job.pk): export_task.enqueue(pk), robust=True)
                return False
    return True


def manifest(job: ExportJob, file_url) -> dict:
    """The status answer of a completed job (Bulk Data "Response - Complete Status")."""
    output = []
    for resource_type in job.types:
        for name, count in job.progress[resource_type]["files"]:
            output.append({"type": resource_type, "url": file_url(name), "count": count})
    return {
        "transactionTime": resources.instant(job.transaction_time),
        "request": job.request_url,
        "requiresAccessToken": True,
        "output": output,
        "error": [],
    }


def file_names(job: ExportJob) -> set[str]:
    return {name for state in job.progress.values() for name, _ in state.get("files", [])}


# --- tasks: they take ids, never model instances, and may run twice ---------------------------


@task()
def export_task(job_id: str) -> None:
    """Export as far as one slice of time allows, from the job's last checkpoint."""
    run_export(job_id)


@task()
def prune_task() -> int:
    """Delete the exports past their retention time, and their files."""
    return prune_exports()
