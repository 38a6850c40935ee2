"""FHIR Bulk Data export: kick-off, status polling, NDJSON files for the same credentials
only, resumption from the checkpoint after the worker died, cancellation, retention."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from pulsebridge.dialects.fhir import exports
from pulsebridge.dialects.fhir.models import ExportJob

from .conftest import T0, FhirClient, reading

ASYNC = {"HTTP_PREFER": "respond-async", "HTTP_ACCEPT": "application/fhir+json"}


@pytest.fixture
def readings(fleet, record, alice, add_device):
    """40 cuff readings with pulse (80 Observations), 10 weights, and 5 readings of a device
    serving nobody."""
    cuff, scale = fleet["blood_pressure"], fleet["weight"]
    items = [reading(cuff, "blood_pressure", {"systolic": 120, "diastolic": 80, "pulse": 70},
                     at=T0 + timedelta(minutes=i // 4), device_user=str(1 + i % 4))
             for i in range(40)]  # fmt: skip
    items += [reading(scale, "weight", {"weight": 80 + i, "unit": "kg"},
                      at=T0 + timedelta(minutes=i)) for i in range(10)]  # fmt: skip
    spare = add_device(alice, "PY-300-LTE")
    items += [reading(spare, "weight", {"weight": 70, "unit": "kg"}, at=T0 + timedelta(minutes=i))
              for i in range(5)]  # fmt: skip
    return record(items)


def kick_off(fhir, path="/$export", params=None, capture=None):
    if capture is None:
        response = fhir.get(path, params, **ASYNC)
    else:
        with capture(execute=True):
            response = fhir.get(path, params, **ASYNC)
    assert response.status_code == 202, response.fhir
    return response["Content-Location"]


def poll(fhir, status_url, capture=None):
    if capture is None:
        return fhir.get(status_url)
    with capture(execute=True):
        return fhir.get(status_url)


def downloaded(fhir, manifest):
    out = {}
    for item in manifest["output"]:
        response = fhir.get(item["url"])
        assert response.status_code == 200
        assert response["Content-Type"] == "application/fhir+ndjson"
        assert len(response.fhir) == item["count"]
        assert {r["resourceType"] for r in response.fhir} == {item["type"]}
        out.setdefault(item["type"], []).extend(response.fhir)
    return out


def test_a_system_export_writes_every_resource_of_the_company_once(
    alice_fhir, readings, django_capture_on_commit_callbacks
):
    status_url = kick_off(alice_fhir, capture=django_capture_on_commit_callbacks)
    done = poll(alice_fhir, status_url)
    assert done.status_code == 200
    assert "Expires" in done
    manifest = done.fhir
    assert manifest["requiresAccessToken"] is True
    assert manifest["request"].endswith("/fhir/R4/$export")
    files = downloaded(alice_fhir, manifest)
    observations = [r["id"] for r in files["Observation"]]
    assert len(observations) == 95 == len(set(observations))
    assert sum(1 for i in observations if i.endswith("-hr")) == 40
    assert len(files["Patient"]) == 1
    assert len(files["Device"]) == 7


def test_a_patient_export_leaves_out_what_serves_no_patient_and_takes_type_and_since(
    alice_fhir, readings, record, fleet, django_capture_on_commit_callbacks
):
    later = T0 + timedelta(days=2)
    record([reading(fleet["weight"], "weight", {"weight": 90, "unit": "kg"}, at=later)],
           now=later + timedelta(hours=1))  # fmt: skip
    status_url = kick_off(alice_fhir, "/Patient/$export",
                          {"_type": "Observation,Device", "_since": "2026-11-03T00:00:00Z"},
                          capture=django_capture_on_commit_callbacks)  # fmt: skip
    files = downloaded(alice_fhir, poll(alice_fhir, status_url).fhir)
    assert set(files) == {"Device", "Observation"}
    assert [r["valueQuantity"]["value"] for r in files["Observation"]] == [90]
    assert len(files["Device"]) == 6  # the spare scale serves nobody


def test_the_kick_off_needs_respond_async_and_known_parameters(alice_fhir):
    assert alice_fhir.get("/$export").status_code == 400
    strict = {**ASYNC, "HTTP_PREFER": "respond-async, handling=strict"}
    refused = alice_fhir.get("/$export", {"_typeFilter": "Observation?code=8867-4"}, **strict)
    assert refused.status_code == 400
    assert refused.fhir["issue"][0]["expression"] == ["_typeFilter"]
    assert alice_fhir.get("/$export", {"_type": "Encounter"}, **strict).status_code == 400
    assert alice_fhir.get("/$export", {"_outputFormat": "text/csv"}, **ASYNC).status_code == 400
    assert alice_fhir.get("/$export", {"_since": "yesterday"}, **ASYNC).status_code == 400


def test_a_token_needs_the_scope_of_every_type_it_exports(bob_token, ann):
    fhir = FhirClient(bob_token("system/Observation.read"))
    assert fhir.get("/$export", {"_type": "Observation"}, **ASYNC).status_code == 202
    assert fhir.get("/$export", **ASYNC).status_code == 403


def test_only_the_credentials_that_started_it_see_its_status_and_files(
    alice_fhir, readings, alice, make_key, charlie_fhir, django_capture_on_commit_callbacks
):
    status_url = kick_off(alice_fhir, params={"_type": "Patient"},
                          capture=django_capture_on_commit_callbacks)  # fmt: skip
    manifest = poll(alice_fhir, status_url).fhir
    file_url = manifest["output"][0]["url"]
    colleague = FhirClient(make_key(alice, "fhir"))
    for other in (colleague, charlie_fhir):
        assert other.get(status_url).status_code == 404
        assert other.get(file_url).status_code == 404
    assert alice_fhir.get(file_url.replace("Patient-0001", "Patient-0002")).status_code == 404


class Killed(BaseException):
    """What a SIGKILL looks like from inside: nothing after it runs, no handler sees it."""


def test_an_export_whose_worker_died_resumes_from_its_checkpoint_and_writes_each_resource_once(
    alice_fhir, readings, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.FHIR_EXPORT_PART_SIZE = 9
    status_url = kick_off(alice_fhir, params={"_type": "Observation"})  # no worker: queued
    job = ExportJob.objects.get()
    assert poll(alice_fhir, status_url)["X-Progress"].startswith("queued")

    real, parts = exports.write_part, []

    def dies_in_the_fourth_part(*args):
        parts.append(1)
        if len(parts) == 4:
            out = args[-1]
            out.write(b'{"half": "a part"')  # half a file, never checkpointed
            raise Killed
        return real(*args)

    monkeypatch.setattr(exports, "write_part", dies_in_the_fourth_part)
    with pytest.raises(Killed):
        exports.run_export(job.pk)
    monkeypatch.setattr(exports, "write_part", real)
    job.refresh_from_db()
    assert job.status == "in-progress"
    assert len(job.progress["Observation"]["files"]) == 3

    waiting = poll(alice_fhir, status_url, capture=django_capture_on_commit_callbacks)
    assert waiting.status_code == 202  # its lease still holds: nobody else may write it
    written = sum(count for _, count in job.progress["Observation"]["files"])
    assert waiting["X-Progress"] == f"in progress: Observation {written} of about 95"
    ExportJob.objects.filter(pk=job.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    poll(alice_fhir, status_url, capture=django_capture_on_commit_callbacks)  # resumes it

    manifest = poll(alice_fhir, status_url).fhir
    files = downloaded(alice_fhir, manifest)
    ids = [r["id"] for r in files["Observation"]]
    assert len(ids) == 95
    assert len(set(ids)) == 95
    assert all(item["count"] <= 10 for item in manifest["output"])


def test_an_export_in_slices_queues_its_next_slice_itself(
    alice_fhir, readings, settings, django_capture_on_commit_callbacks
):
    settings.FHIR_EXPORT_PART_SIZE = 20
    settings.FHIR_EXPORT_SLICE_SECONDS = 0
    status_url = kick_off(alice_fhir, params={"_type": "Observation"},
                          capture=django_capture_on_commit_callbacks)  # fmt: skip
    manifest = poll(alice_fhir, status_url).fhir
    counts = Counter(r["id"] for r in downloaded(alice_fhir, manifest)["Observation"])
    assert len(counts) == 95
    assert set(counts.values()) == {1}


def test_running_a_finished_export_again_changes_nothing(
    alice_fhir, readings, django_capture_on_commit_callbacks
):
    status_url = kick_off(alice_fhir, params={"_type": "Device"},
                          capture=django_capture_on_commit_callbacks)  # fmt: skip
    job = ExportJob.objects.get()
    before = poll(alice_fhir, status_url).fhir
    exports.run_export(job.pk)
    assert poll(alice_fhir, status_url).fhir == before


def test_a_cancelled_export_is_gone_with_its_files(
    alice_fhir, readings, django_capture_on_commit_callbacks
):
    status_url = kick_off(alice_fhir, capture=django_capture_on_commit_callbacks)
    manifest = poll(alice_fhir, status_url).fhir
    storage = exports.storage()
    names = exports.file_names(ExportJob.objects.get())
    assert all(storage.exists(n) for n in names)
    assert alice_fhir.delete(status_url).status_code == 202
    assert alice_fhir.get(status_url).status_code == 404
    assert alice_fhir.get(manifest["output"][0]["url"]).status_code == 404
    assert not any(storage.exists(n) for n in names)


def test_exports_past_their_retention_are_pruned_with_their_files(
    alice_fhir, readings, settings, django_capture_on_commit_callbacks
):
    status_url = kick_off(alice_fhir, capture=django_capture_on_commit_callbacks)
    job = ExportJob.objects.get()
    names = exports.file_names(job)
    assert exports.prune_exports() == 0
    ExportJob.objects.filter(pk=job.pk).update(finished_at=timezone.now() - timedelta(days=2))
    assert alice_fhir.get(status_url).status_code == 404  # expired: no longer served
    assert exports.prune_exports() == 1
    assert not ExportJob.objects.exists()
    assert not any(exports.storage().exists(n) for n in names)


def test_a_failed_export_is_a_500_outcome(
    alice_fhir, readings, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(exports, "write_part", broken)
    status_url = kick_off(alice_fhir, capture=django_capture_on_commit_callbacks)
    response = poll(alice_fhir, status_url)
    assert response.status_code == 500
    assert response.fhir["issue"][0]["code"] == "exception"
    assert "disk" not in response.fhir["issue"][0]["diagnostics"]


def test_the_worker_prunes_a_finished_export_when_it_expires_with_no_other_export_started(
    transactional_db, settings, alice_fhir, ann
):
    from io import StringIO

    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

    def worker():
        call_command("worker", "--once", stdout=StringIO(), stderr=StringIO())

    status_url = kick_off(alice_fhir)
    worker()  # writes the export
    job = ExportJob.objects.get()
    assert job.status == ExportJob.Status.COMPLETED
    names = exports.file_names(job)
    assert names
    assert all(exports.storage().exists(n) for n in names)
    (due,) = DBTaskResult.objects.filter(task_path__endswith="prune_task", status="READY")
    expires = job.finished_at + timedelta(seconds=settings.FHIR_EXPORT_RETENTION_SECONDS)
    assert expires < due.run_after <= expires + timedelta(seconds=2)
    worker()  # not due yet: nothing goes
    assert alice_fhir.get(status_url).status_code == 200
    # a day later
    ExportJob.objects.filter(pk=job.pk).update(finished_at=job.finished_at - timedelta(days=1))
    DBTaskResult.objects.filter(pk=due.pk).update(run_after=timezone.now())
    worker()
    assert not ExportJob.objects.exists()
    assert not any(exports.storage().exists(n) for n in names)
