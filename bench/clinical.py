"""BILLING and ALERTS (issue 15): the monthly RPM report over a year of readings, and what alert
evaluation adds to storing readings.

``run(report)`` is the scenario for the bench runner (Django set up on the run's PostgreSQL
database). Scale from the environment, so that a small check needs no new flags:
``BENCH_BILLING_PATIENTS`` (10,000), ``BENCH_BILLING_DAYS`` (365), ``BENCH_ALERT_BATCHES`` (20).

BILLING fills a company with that many patients (one blood-pressure monitor each) and, with
server-side SQL, their readings over the past ``days`` days: on 7 days in 10 one reading, and on
a third of those a second (about 3.4 M readings for 10,000 patients over a year). Then ``billing.services.report`` for the last complete month runs three
times in-process; the figure is the slowest, against the 5 s target. The plans of its two
queries on the readings table (the first reading per patient, the distinct patient-days of the
window) are printed with EXPLAIN (ANALYZE, BUFFERS).

ALERTS stores batches of 1,000 blood-pressure readings (P1's body: values within every default
bound) through ``record_measurements``, alternating batches with alert evaluation on and off
(``settings.READING_SCREENS``), and compares the readings/s of the two: the target is at most
10 % less with evaluation on. A third series has 1 % of readings breaking a rule (alerts raised)."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

from .common import Row, log, percentile

REPORT_TARGET_S = 5.0
ALERT_TARGET_COST = 0.10

FILL_SQL = """
INSERT INTO readings_measurement (
    id, kind, measured_at, received_at, values, unit, battery, signal, device_user, radio,
    network, tower_latitude, tower_longitude, sender_id, dedupe_key, practice_id, tenant_id,
    company_id, device_id, patient_id)
SELECT gen_random_uuid(), 'blood_pressure', t.at, t.at + interval '40 seconds',
       '{"systolic": 121.0, "diastolic": 79.0, "irregular": 0, "pulse": 64.0}'::jsonb, 'mmHg',
       80, 70, '1', '', '', '', '', '', 'b:' || p.idx || ':' || d || ':' || r, '', '',
       %(company)s, p.device_id, p.patient_id
FROM bench_billmap p
CROSS JOIN generate_series(0, %(days)s - 1) AS d
CROSS JOIN generate_series(0, 1) AS r
CROSS JOIN LATERAL (
    SELECT %(anchor)s::timestamptz - d * interval '1 day'
           - ((p.idx * 7 + d * 13 + r * 301) %% 1440) * interval '1 minute' AS at
) AS t
WHERE p.idx >= %(lo)s AND p.idx < %(hi)s
  AND (p.idx * 31 + d * 17) %% 10 < 7
  AND (r = 0 OR (p.idx + d) %% 3 = 0)
"""


def _scale(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def run(report) -> None:
    chosen = getattr(report.args, "only", {"BILLING", "ALERTS"})
    if "BILLING" in chosen:
        billing(report)
    if "ALERTS" in chosen:
        alerts(report)


# --------------------------------------------------------------------------- BILLING


def _fill(report, patients: int, days: int):
    from pulsebridge.core.models import Company
    from pulsebridge.devices.models import Device, DeviceModel, Patient

    company = Company.objects.create(code="bench-billing", name="Bench billing")
    model = DeviceModel.objects.get(sku="PY-802-LTE")
    made = Patient.objects.bulk_create(
        [Patient(company=company, external_id=f"B{i:05d}") for i in range(patients)],
        batch_size=2000,
    )
    devices = Device.objects.bulk_create(
        [
            Device(
                company=company,
                model=model,
                imei=f"33{i:013d}",
                serial=f"33{i:013d}",
                patient=made[i],
                billing_status=Device.BillingStatus.ACTIVE,
            )
            for i in range(patients)
        ],
        batch_size=2000,
    )
    anchor = datetime.now(UTC).replace(second=0, microsecond=0)
    t = time.perf_counter()
    with report.db.connect(autocommit=True) as conn:
        conn.execute(
            "CREATE UNLOGGED TABLE bench_billmap (idx int PRIMARY KEY, device_id uuid, patient_id uuid)"
        )
        with conn.cursor().copy(
            "COPY bench_billmap (idx, device_id, patient_id) FROM STDIN"
        ) as copy:
            for i, device in enumerate(devices):
                copy.write_row((i, device.pk, device.patient_id))
        step = 500
        for lo in range(0, patients, step):
            conn.execute(
                FILL_SQL,
                {
                    "company": str(company.pk),
                    "days": days,
                    "anchor": anchor,
                    "lo": lo,
                    "hi": lo + step,
                },
            )
            if lo % 2000 == 0:
                log(f"BILLING fill: {lo + step:,}/{patients:,} patients")
        conn.execute("DROP TABLE bench_billmap")
        # the devices' first and last measurement times, as the write path keeps them
        conn.execute(
            "UPDATE devices_device d SET first_measurement_at = m.f, last_measurement_at = m.l "
            "FROM (SELECT device_id, min(measured_at) AS f, max(measured_at) AS l "
            "FROM readings_measurement WHERE company_id = %s GROUP BY device_id) m "
            "WHERE m.device_id = d.id",
            [company.pk],
        )
        conn.execute("VACUUM (ANALYZE) readings_measurement")
        conn.execute("ANALYZE")
        rows = conn.execute(
            "SELECT count(*) FROM readings_measurement WHERE company_id = %s", [company.pk]
        ).fetchone()[0]
    return company, rows, time.perf_counter() - t


def _explain(sql: str, params) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        return [line for (line,) in cursor.fetchall()]


def billing(report) -> None:
    from django.db import connection

    from pulsebridge.billing import services

    patients = _scale("BENCH_BILLING_PATIENTS", 10_000)
    days = _scale("BENCH_BILLING_DAYS", 365)
    company, rows, fill_s = _fill(report, patients, days)
    log(f"BILLING fill: {rows:,} readings of {patients:,} patients in {fill_s:.0f} s")
    first_of_this_month = datetime.now(UTC).date().replace(day=1)
    month = (first_of_this_month - timedelta(days=1)).strftime("%Y-%m")
    timings = []
    rep = None
    for _ in range(3):
        t = time.perf_counter()
        rep = services.report(company, month)
        timings.append(time.perf_counter() - t)
    totals = rep.totals()
    # the two queries on the readings table, as the report ran them
    start = first_of_this_month - timedelta(days=31)
    plans = {}
    with connection.execute_wrapper(_capture(plans)):
        services.report(company, month)
    explained = {name: _explain(sql, params) for name, (sql, params) in plans.items()}
    for name, plan in explained.items():
        report.note(f"BILLING plan of {name}:\n      " + "\n      ".join(plan))
    worst = max(timings)
    report.add(
        "BILLING",
        figures={
            "patients": patients,
            "days": days,
            "readings": rows,
            "fill_s": round(fill_s, 1),
            "month": month,
            "report_s": [round(x, 3) for x in timings],
            "totals": totals,
            "plans": explained,
            "window_from": start.isoformat(),
        },
        rows=[
            Row(
                "BILLING",
                f"report of {month}: {patients:,} patients, {rows:,} readings over {days} days "
                f"(p50 {percentile(timings, 50):.2f} s; {totals['cpt_99454']:,} x 99454)",
                f"{worst:.2f} s",
                "target 5 s",
                f"{worst / REPORT_TARGET_S:.2f}x",
                "ok" if worst <= REPORT_TARGET_S else "MISS",
            )
        ],
    )


def _capture(plans: dict):
    """Keep the report's queries on the readings table (the first reading per patient, the
    distinct patient-days), to explain them."""

    def wrapper(execute, sql, params, many, context):
        if "readings_measurement" in sql and "EXPLAIN" not in sql:
            name = "first reading per patient" if "LIMIT 1" in sql else "patient-days of window"
            plans.setdefault(name, (sql, params))
        return execute(sql, params, many, context)

    return wrapper


# --------------------------------------------------------------------------- ALERTS


def alerts(report) -> None:
    from django.conf import settings

    from pulsebridge.core.models import Company
    from pulsebridge.devices.services import add_device, assign_device
    from pulsebridge.ingest.readings import record_items as record_measurements

    batches = _scale("BENCH_ALERT_BATCHES", 20)
    company = Company.objects.create(code="bench-alerts", name="Bench alerts")
    imeis = []
    for i in range(1000):
        device = add_device(company, "PY-802-LTE", imei=f"34{i:013d}")
        assign_device(device, patient_id=f"A{i:05d}")
        imeis.append(device.imei)
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    # every device's first reading (activation) before timing
    record_measurements(company, [_bp(imei, at, 0) for imei in imeis])
    screens = list(settings.READING_SCREENS)
    series = {"off": [], "on": [], "on, 1% breaking": []}
    n = 1
    for _ in range(batches):
        for name in series:
            settings.READING_SCREENS = [] if name == "off" else screens
            breaking = 10 if name == "on, 1% breaking" else 0
            items = [
                _bp(imei, at + timedelta(seconds=n), i, high=i < breaking)
                for i, imei in enumerate(imeis)
            ]
            n += 1
            t = time.perf_counter()
            outcomes = record_measurements(company, items)
            series[name].append(len(items) / (time.perf_counter() - t))
            assert all(o.status == "created" for o in outcomes)
    settings.READING_SCREENS = screens
    # the screen alone, on the rows of a batch that breaks nothing: what evaluation costs the
    # common batch, free of the noise of the stores around it
    from pulsebridge.alerts.evaluation import screen
    from pulsebridge.devices.models import Device

    patient_of = dict(Device.objects.filter(company=company).values_list("imei", "patient_id"))
    rows = [
        {"kind": item["kind"], "patient_id": patient_of[item["imei"]], "values": item["values"]}
        for item in (_bp(imei, at, i) for i, imei in enumerate(imeis))
    ]
    screened = []
    for _ in range(50):
        t = time.perf_counter()
        assert screen(company, rows) is None
        screened.append(time.perf_counter() - t)
    screen_ms = percentile(screened, 50) * 1000
    batch_ms = 1000 / percentile(series["off"], 50) * 1000
    rate = {name: percentile(values, 50) for name, values in series.items()}
    cost = 1 - rate["on"] / rate["off"]
    cost_breaking = 1 - rate["on, 1% breaking"] / rate["off"]
    from pulsebridge.alerts.models import Alert

    raised = Alert.objects.filter(company=company).count()
    report.add(
        "ALERTS",
        figures={
            "batches": batches,
            "readings_per_s_p50": rate,
            "alerts": raised,
            "screen_ms_p50": round(screen_ms, 3),
            "batch_ms_p50": round(batch_ms, 1),
        },
        rows=[
            Row(
                "ALERTS",
                f"the screen alone on a batch of 1,000 breaking nothing (p50 {screen_ms:.2f} ms; "
                f"a batch's store p50 {batch_ms:.0f} ms)",
                f"{screen_ms / batch_ms:.1%} of a batch",
                "target <= 10%",
                f"{screen_ms / batch_ms / ALERT_TARGET_COST:.2f}x",
                "ok" if screen_ms / batch_ms <= ALERT_TARGET_COST else "MISS",
            ),
            Row(
                "ALERTS",
                f"record_measurements, batches of 1,000, evaluation on vs off "
                f"(p50 {rate['on']:,.0f} vs {rate['off']:,.0f} readings/s)",
                f"{-cost:+.1%} readings/s",
                "target <= 10%",
                f"{cost / ALERT_TARGET_COST:.2f}x",
                "ok" if cost <= ALERT_TARGET_COST else "MISS",
            ),
            Row(
                "ALERTS",
                f"the same with 1% of readings breaking a rule ({raised:,} alerts raised; "
                f"p50 {rate['on, 1% breaking']:,.0f} readings/s)",
                f"{-cost_breaking:+.1%} readings/s",
            ),
        ],
    )


def _bp(imei: str, at: datetime, n: int, *, high: bool = False) -> dict:
    return {
        "imei": imei,
        "kind": "blood_pressure",
        "measured_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "values": {
            "systolic": 185 if high else 105 + n % 50,
            "diastolic": 60 + n % 30,
            "pulse": 55 + n % 40,
        },
        "battery": 80,
        "signal": 70,
    }
