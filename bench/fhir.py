"""FHIR: Observation search and Bulk Data export, on the bench's readings table.

``run(report)`` (``python -m bench --only FHIR``):

- search: ``GET /fhir/R4/Observation?patient=&date=ge..&date=le..&_count=1000`` for P3's
  target patient out of the table P3 fills (``--rows``, 100 million or what the disk holds by default; reused when P3
  ran in the same run, else filled the same way), through the real server with a fhir API key:
  p50/p99 of page 1 and of a deep page reached by following ``next`` links. Each cuff reading
  with a pulse is two Observations (the panel and ``-hr``), so a page of 1,000 holds 500
  readings. Target p99 <= 100 ms.
- export: 1,000,000 Observations (500,000 cuff readings with pulse, of a company of their own,
  filled by server-side SQL) written by the export task in this process (as the worker runs
  it: plain rows, orjson, NDJSON files), from kick-off to the last checkpoint. Target >= 20,000
  resources/s."""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime, timedelta

import httpx

from .common import Report, Row, fmt_int, fmt_ms, log, percentile, verdict

SEARCH_TARGET_P99_MS = 100.0
EXPORT_TARGET_PER_S = 20_000
EXPORT_READINGS = 500_000
EXPORT_DEVICES = 100

EXPORT_FILL_SQL = f"""
INSERT INTO readings_measurement (id, kind, measured_at, received_at, values, unit, battery,
    signal, device_user, radio, network, tower_latitude, tower_longitude, sender_id, dedupe_key,
    practice_id, tenant_id, company_id, device_id, patient_id)
SELECT gen_random_uuid(), 'blood_pressure', %(anchor)s::timestamptz - g * interval '1 minute',
       %(anchor)s::timestamptz - g * interval '1 minute' + interval '30 seconds',
       jsonb_build_object('systolic', (105 + g %% 50)::float8, 'diastolic', (60 + g %% 30)::float8,
                          'irregular', 0, 'pulse', (55 + g %% 40)::float8),
       'mmHg', 80, 60, '1', '', '', '', '', '', 'x:' || g, '', '', %(company)s, d.device_id,
       d.patient_id
FROM generate_series(0, %(rows)s - 1) AS g
JOIN bench_fhir_devices d ON d.idx = g %% {EXPORT_DEVICES}
"""


def _search_setup(report: Report) -> dict:
    """P3's company and table (filled now unless P3 already did), and a fhir key for it."""
    from pulsebridge.core.apikeys import create_api_key
    from pulsebridge.core.models import Company
    from pulsebridge.devices.models import Patient

    from . import readings

    company = Company.objects.filter(code="bench-pylo").first()
    if company is None:
        log(f"FHIR: filling the readings table as P3 does ({report.args.rows:,} rows)")
        setup = readings.prepare(report)
        readings.fill(report, setup, report.args.rows, report.args.hot)
        company = Company.objects.get(code="bench-pylo")
    with report.db.connect() as conn:
        anchor = conn.execute(
            "select max(measured_at) from readings_measurement where company_id = %s",
            [company.pk],
        ).fetchone()[0]
    patient = Patient.objects.get(company=company, external_id=readings.TARGET_PATIENT)
    key = create_api_key(company, "fhir", rate_per_second=100_000).key
    return {"key": key, "patient": str(patient.pk), "anchor": anchor}


def _walk(client: httpx.Client, params: dict, max_pages: int, seconds: float):
    urls: list[str | None] = [None]
    seen = 0
    deadline = time.monotonic() + seconds
    while len(urls) <= max_pages and time.monotonic() < deadline:
        response = (client.get("/fhir/R4/Observation", params=params) if urls[-1] is None
                    else client.get(urls[-1]))  # fmt: skip
        response.raise_for_status()
        bundle = response.json()
        seen += len(bundle.get("entry", []))
        nexts = [link["url"] for link in bundle["link"] if link["relation"] == "next"]
        if not nexts:
            break
        urls.append(nexts[0])
    return urls, seen


def run_search(report: Report) -> None:
    args = report.args
    setup = _search_setup(report)
    anchor = setup["anchor"]
    params = {
        "patient": f"Patient/{setup['patient']}",
        "date": [f"ge{(anchor - timedelta(days=30)).isoformat()}", f"le{anchor.isoformat()}"],
        "_count": "1000",
    }
    headers = {"Authorization": f"Bearer {setup['key']}", "Accept": "application/fhir+json"}
    with httpx.Client(base_url=report.server.base_url, headers=headers, timeout=60) as client:
        urls, seen = _walk(client, params, max_pages=args.deep_page, seconds=120)
        deep = len(urls)
        deep_url = urls[-1]

        def once(url):
            t = time.perf_counter()
            response = (client.get("/fhir/R4/Observation", params=params) if url is None
                        else client.get(url))  # fmt: skip
            took = time.perf_counter() - t
            response.raise_for_status()
            return took, len(response.content)

        for _ in range(5):
            once(None)
            once(deep_url)
        first, deeper = [], []
        size = {}
        deadline = time.monotonic() + args.p3_seconds
        with report.cpu_meter() as cpu:
            while len(first) < args.p3_samples and time.monotonic() < deadline:
                took, size["first"] = once(None)
                first.append(took)
                took, size["deep"] = once(deep_url)
                deeper.append(took)
    report.check_noise("FHIR search", cpu)
    f50, f99 = percentile(first, 50) * 1000, percentile(first, 99) * 1000
    d50, d99 = percentile(deeper, 50) * 1000, percentile(deeper, 99) * 1000
    log(f"FHIR search: page 1 p50 {f50:.1f} / p99 {f99:.1f} ms; page {deep} p50 {d50:.1f} / "
        f"p99 {d99:.1f} ms; {cpu.describe()}")  # fmt: skip
    report.add(
        "FHIR_SEARCH",
        figures={
            "rows": args.rows,
            "observations_walked": seen,
            "deep_page": deep,
            "samples": len(first),
            "response_bytes": size,
            "first_ms": {"p50": round(f50, 2), "p99": round(f99, 2)},
            "deep_ms": {"p50": round(d50, 2), "p99": round(d99, 2)},
            "target_p99_ms": SEARCH_TARGET_P99_MS,
            "cpu_cores": cpu.result,
            "cpu_per_page": cpu.cost(len(first) + len(deeper)),
        },
        rows=[
            Row(
                "FHIR Observation search",
                "page 1 (1000) p50 / p99",
                f"{fmt_ms(f50)} / {fmt_ms(f99)}",
                f"target p99 {SEARCH_TARGET_P99_MS:.0f} ms",
                f"{f99 / SEARCH_TARGET_P99_MS:.2f}x",
                verdict(f99 <= SEARCH_TARGET_P99_MS),
            ),
            Row(
                "FHIR Observation search",
                f"page {deep} p50 / p99",
                f"{fmt_ms(d50)} / {fmt_ms(d99)}",
                f"target p99 {SEARCH_TARGET_P99_MS:.0f} ms",
                f"{d99 / SEARCH_TARGET_P99_MS:.2f}x",
                verdict(d99 <= SEARCH_TARGET_P99_MS),
            ),
        ],
    )


def _export_company(report: Report):
    from pulsebridge.core.models import Company
    from pulsebridge.devices.models import Device, DeviceModel, Patient

    company = Company.objects.create(code="bench-fhir-export", name="Bench FHIR export")
    model = DeviceModel.objects.get(sku="PY-802-LTE")
    patients = Patient.objects.bulk_create(
        [Patient(company=company, external_id=f"X{i:04d}") for i in range(EXPORT_DEVICES)]
    )
    devices = Device.objects.bulk_create(
        [
            Device(
                company=company,
                model=model,
                imei=f"36{i:013d}",
                serial=f"36{i:013d}",
                patient=patients[i],
            )
            for i in range(EXPORT_DEVICES)
        ]
    )
    anchor = datetime.now(UTC).replace(second=0, microsecond=0)
    t = time.perf_counter()
    with report.db.connect(autocommit=True) as conn:
        conn.execute("CREATE UNLOGGED TABLE bench_fhir_devices (idx int, device_id uuid, "
                     "patient_id uuid)")  # fmt: skip
        with conn.cursor().copy("COPY bench_fhir_devices FROM STDIN") as copy:
            for i, device in enumerate(devices):
                copy.write_row((i, device.pk, device.patient_id))
        conn.execute(EXPORT_FILL_SQL, {"anchor": anchor, "company": company.pk,
                                       "rows": EXPORT_READINGS})  # fmt: skip
        conn.execute("DROP TABLE bench_fhir_devices")
        conn.execute("VACUUM (ANALYZE) readings_measurement")
    log(f"FHIR export: {EXPORT_READINGS:,} readings filled in {time.perf_counter() - t:.0f} s")
    return company


def run_export(report: Report) -> None:
    from django.conf import settings
    from django.test.utils import override_settings

    from pulsebridge.dialects.fhir import exports
    from pulsebridge.dialects.fhir.models import ExportJob

    company = _export_company(report)
    with tempfile.TemporaryDirectory(dir=report.var_dir) as place:
        storages = {**settings.STORAGES, "fhir_exports": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": place}}}  # fmt: skip
        with override_settings(STORAGES=storages, FHIR_EXPORT_SLICE_SECONDS=3600):
            with report.cpu_meter() as cpu:
                t = time.perf_counter()
                job = exports.start_export(
                    company=company, owner="bench", level="system", types=["Observation"],
                    since=None, request_url="bench")  # fmt: skip
                exports.run_export(job.pk)
                took = time.perf_counter() - t
            job = ExportJob.objects.get(pk=job.pk)
            files = job.progress["Observation"]["files"]
            written = sum(count for _, count in files)
            size = sum(exports.storage().size(name) for name, _ in files)
    report.check_noise("FHIR export", cpu)
    rate = written / took
    log(f"FHIR export: {written:,} Observations in {took:.1f} s ({rate:,.0f}/s), "
        f"{size / 2**20:.0f} MiB in {len(files)} files; {cpu.describe()}")  # fmt: skip
    report.add(
        "FHIR_EXPORT",
        figures={"status": job.status, "observations": written, "seconds": round(took, 2),
                 "per_second": round(rate), "bytes": size, "files": len(files),
                 "target_per_second": EXPORT_TARGET_PER_S, "cpu_cores": cpu.result},
        rows=[Row("FHIR $export", "Observations/s (in-process task)", fmt_int(rate),
                  f"target {fmt_int(EXPORT_TARGET_PER_S)}/s", f"{rate / EXPORT_TARGET_PER_S:.2f}x",
                  verdict(job.status == "completed" and rate >= EXPORT_TARGET_PER_S))],
    )  # fmt: skip


def run(report: Report) -> None:
    run_search(report)
    run_export(report)
