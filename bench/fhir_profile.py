"""A small-scale profile of the FHIR Observation search and export, in-process, as CPU.

``python -m bench.fhir_profile fill [READINGS]`` fills the database ``DATABASE_URL`` names (a
migrated PostgreSQL database of your own, never the bench's) with a company ``fhir-profile``:
100 patients with one cuff each, READINGS (200,000) cuff readings with a pulse, one a minute
per cuff, and 25,000 more for patient ``X0000`` within the last 30 days, five per timestamp
(the shape of the bench's P3 table, two Observations per reading).

``python -m bench.fhir_profile search [N] [--profile]``: page 1 and page 2 (by its ``next``
link) of ``Observation?patient=X0000&date=ge<30 days ago>&date=le<now>&_count=1000``, N times
each (30) through Django's test client: the CPU of this process (median) and of its
PostgreSQL backend (mean, from ``/proc``), besides the wall time (meaningless on a shared
machine). ``export [--profile]``: the whole company's Observations written by the export task
in this process, with the same figures. ``--profile``: cProfile's top functions too.

CPU rather than wall time, because these runs happen on machines others load too; compare two
versions of the code in the same conditions (``PYTHONPATH=<other src>``). docs/performance.md
has the figures."""

from __future__ import annotations

import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

COMPANY = "fhir-profile"
PATIENTS = 100
HOT = 25_000
CLK_TCK = os.sysconf("SC_CLK_TCK")

FILL_SQL = """
INSERT INTO readings_measurement (id, kind, measured_at, received_at, values, unit, battery,
    signal, device_user, radio, network, tower_latitude, tower_longitude, sender_id, dedupe_key,
    practice_id, tenant_id, company_id, device_id, patient_id)
SELECT gen_random_uuid(), 'blood_pressure', %(anchor)s - (g / %(per)s) * interval '1 minute',
       %(anchor)s - (g / %(per)s) * interval '1 minute' + interval '30 seconds',
       jsonb_build_object('systolic', (105 + g %% 50)::float8, 'diastolic', (60 + g %% 30)::float8,
                          'irregular', 0, 'pulse', (55 + g %% 40)::float8),
       'mmHg', 80, 60, '1', '', '', '', '', '', %(tag)s || g, '', '', %(company)s, d.device_id,
       d.patient_id
FROM generate_series(0, %(rows)s - 1) AS g
JOIN fhir_profile_devices d ON d.idx = g %% %(devices)s
"""


def _setup():
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pulsebridge.settings")
    django.setup()
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("DATABASE_URL must name a PostgreSQL database")
    settings.ALLOWED_HOSTS = ["*"]


def fill(readings: int) -> None:
    from django.db import connection

    from pulsebridge.core.models import Company
    from pulsebridge.devices.models import Device, DeviceModel, Patient

    Company.objects.filter(code=COMPANY).delete()
    company = Company.objects.create(code=COMPANY, name="FHIR profile")
    model = DeviceModel.objects.get(sku="PY-802-LTE")
    patients = Patient.objects.bulk_create(
        [Patient(company=company, external_id=f"X{i:04d}") for i in range(PATIENTS)]
    )
    devices = Device.objects.bulk_create(
        [Device(company=company, model=model, imei=f"37{i:013d}", serial=f"37{i:013d}",
                patient=patients[i]) for i in range(PATIENTS)]
    )  # fmt: skip
    anchor = datetime.now(UTC).replace(second=0, microsecond=0)
    t = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS fhir_profile_devices")
        cursor.execute(
            "CREATE TABLE fhir_profile_devices (idx int, device_id uuid, patient_id uuid)"
        )
        for i, device in enumerate(devices):
            cursor.execute("INSERT INTO fhir_profile_devices VALUES (%s, %s, %s)",
                           [i, device.pk, device.patient_id])  # fmt: skip
        common = {"anchor": anchor, "company": company.pk}
        cursor.execute(FILL_SQL, {**common, "rows": readings, "per": PATIENTS,
                                  "devices": PATIENTS, "tag": "a:"})  # fmt: skip
        cursor.execute(FILL_SQL, {**common, "rows": HOT, "per": 5, "devices": 1, "tag": "h:"})
        cursor.execute("DROP TABLE fhir_profile_devices")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE readings_measurement")
    print(f"filled {readings + HOT:,} readings in {time.perf_counter() - t:.0f} s")


def _backend_cpu():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]

    def seconds() -> float:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    return seconds


def _profiled(enabled: bool):
    profile = cProfile.Profile() if enabled else None

    class Context:
        def __enter__(self):
            if profile:
                profile.enable()

        def __exit__(self, *exc):
            if profile:
                profile.disable()
                pstats.Stats(profile).sort_stats("tottime").print_stats(25)

    return Context()


def search(samples: int, profile: bool) -> None:
    from django.test import Client
    from django.test.utils import setup_test_environment

    from pulsebridge.core.apikeys import create_api_key
    from pulsebridge.core.models import Company
    from pulsebridge.devices.models import Patient
    from pulsebridge.readings.models import Measurement

    setup_test_environment()
    company = Company.objects.get(code=COMPANY)
    patient = Patient.objects.get(company=company, external_id="X0000")
    anchor = Measurement.objects.filter(company=company).order_by("-measured_at")[0].measured_at
    key = create_api_key(company, "fhir", rate_per_second=100_000).key
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_ACCEPT="application/fhir+json")
    params = {"patient": f"Patient/{patient.pk}", "_count": "1000",
              "date": [f"ge{(anchor - timedelta(days=30)).isoformat()}", f"le{anchor.isoformat()}"]}  # fmt: skip
    first = client.get("/fhir/R4/Observation", params)
    assert first.status_code == 200, first.content[:500]
    (next_url,) = [link["url"] for link in first.json()["link"] if link["relation"] == "next"]
    next_url = next_url.replace("http://testserver", "")
    backend = _backend_cpu()
    for label, get in (("page 1", lambda: client.get("/fhir/R4/Observation", params)),
                       ("page 2", lambda: client.get(next_url))):  # fmt: skip
        for _ in range(3):
            get()
        walls, cpus = [], []
        pg = backend()
        with _profiled(profile and label == "page 1"):
            for _ in range(samples):
                t, cpu = time.perf_counter(), time.process_time()
                response = get()
                walls.append(time.perf_counter() - t)
                cpus.append(time.process_time() - cpu)
        pg = (backend() - pg) / samples
        entries = len(response.json()["entry"])
        print(f"{label} ({entries} Observations, {len(response.content):,} bytes): "
              f"Python CPU median {statistics.median(cpus) * 1000:.1f} ms, PostgreSQL CPU "
              f"mean {pg * 1000:.1f} ms; wall median {statistics.median(walls) * 1000:.1f} ms, "
              f"min {min(walls) * 1000:.1f} ms")  # fmt: skip


def export(profile: bool) -> None:
    from django.conf import settings
    from django.test.utils import override_settings

    from pulsebridge.core.models import Company
    from pulsebridge.dialects.fhir import exports
    from pulsebridge.dialects.fhir.models import ExportJob

    company = Company.objects.get(code=COMPANY)
    backend = _backend_cpu()
    with tempfile.TemporaryDirectory() as place:
        storages = {**settings.STORAGES, "fhir_exports": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": place}}}  # fmt: skip
        with override_settings(STORAGES=storages, FHIR_EXPORT_SLICE_SECONDS=3600):
            job = exports.start_export(company=company, owner="profile", level="system",
                                       types=["Observation"], since=None,
                                       request_url="profile")  # fmt: skip
            pg, t, cpu = backend(), time.perf_counter(), time.process_time()
            with _profiled(profile):
                exports.run_export(job.pk)
            cpu, took, pg = time.process_time() - cpu, time.perf_counter() - t, backend() - pg
            job = ExportJob.objects.get(pk=job.pk)
            written = sum(count for _, count in job.progress["Observation"]["files"])
            ExportJob.objects.filter(pk=job.pk).delete()
    print(f"export {job.status}: {written:,} Observations; Python CPU {cpu:.2f} s "
          f"({cpu / written * 1e6:.1f} µs each), PostgreSQL CPU {pg:.2f} s; wall {took:.1f} s "
          f"({written / took:,.0f}/s)")  # fmt: skip


def main(argv: list[str]) -> None:
    if not argv or argv[0] not in ("fill", "search", "export"):
        sys.exit(__doc__)
    _setup()
    numbers = [int(a) for a in argv[1:] if a.isdigit()]
    if argv[0] == "fill":
        fill(numbers[0] if numbers else 200_000)
    elif argv[0] == "search":
        search(numbers[0] if numbers else 30, "--profile" in argv)
    else:
        export("--profile" in argv)


if __name__ == "__main__":
    main(sys.argv[1:])
