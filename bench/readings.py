"""P3: the Pylo readings query for one patient over 30 days, against a table of ``--rows``
readings (100 million or the most the disk holds by default), page 1 next to a deep page reached by following cursor tokens.

The table is filled with server-side SQL (``INSERT ... SELECT FROM generate_series``) on two
connections, with the table's indexes dropped during the load and rebuilt after it (the same
definitions, read from the catalogue), then VACUUM ANALYZE. The shape:

- 10,000 blood-pressure monitors, one per patient, readings spread over the past 365 days on
  whole minutes, so about ``rows / 525,600`` readings share every timestamp;
- the target patient's monitor also sends ``--hot`` readings (25,000 by default) within the
  queried 30 days on 10-minute slots, about six per timestamp, so page boundaries fall inside
  runs of equal timestamps and the deep page exists."""

from __future__ import annotations

import queue
import re
import threading
import time
from datetime import UTC, datetime, timedelta

import httpx

from .common import Report, Row, fmt_int, fmt_ms, log, ms, percentile, verdict

READINGS_PATH = "/pylo/readings"
DEVICES = 10_000
TARGET_PATIENT = "P00000"
P3_TARGET_P99_MS = 50.0
P3_TARGET_DEEP_RATIO = 1.5
# p99 of page 1 over the p99 of a fixed answer of the same size from a view with no database,
# under the same gunicorn configuration, in the same run (bench/ceiling.py, docs/performance.md)
P3_TARGET_CEILING_RATIO = 5.0
MINUTES_PER_YEAR = 525_600
HOT_SLOTS = 30 * 24 * 6  # 10-minute slots in 30 days
CHUNK = 500_000
HASH = 2654435761  # Knuth's multiplicative hash: spreads consecutive rows over the year
VALUE_VARIANTS = 6007

COLUMNS = (
    "id, kind, measured_at, received_at, values, unit, battery, signal, device_user, radio, "
    "network, tower_latitude, tower_longitude, sender_id, dedupe_key, practice_id, tenant_id, "
    "company_id, device_id, patient_id"
)

# %(lo)s..%(hi)s is a half-open range of row numbers g; %(hot_from)s starts the target
# patient's extra rows. Everything is computed from g: repeatable, no client round trips. The
# device and the values come from two small lookup tables (hash joins), which costs less than
# building a jsonb value per row.
FILL_SQL = f"""
INSERT INTO readings_measurement ({COLUMNS})
SELECT gen_random_uuid(), 'blood_pressure', t.at, t.at + (g %% 120) * interval '1 second',
       v.values, 'mmHg', v.battery, v.signal, t.device_user, 'LTE-M', 'T-Mobile', '40.7128',
       '-74.0060', '', 'b:' || g, m.practice_id, '', %(company)s, m.device_id, m.patient_id
FROM generate_series(%(lo)s::bigint, %(hi)s::bigint - 1) AS g
CROSS JOIN LATERAL (
    SELECT CASE WHEN g >= %(hot_from)s THEN 0 ELSE (g %% {DEVICES})::int END AS idx,
           CASE WHEN g >= %(hot_from)s
                THEN %(anchor)s::timestamptz
                     - ((g * {HASH}) %% {HOT_SLOTS}) * interval '10 minutes'
                ELSE %(anchor)s::timestamptz
                     - ((g * {HASH}) %% {MINUTES_PER_YEAR}) * interval '1 minute'
           END AS at,
           CASE WHEN g >= %(hot_from)s THEN (1 + g %% 2)::text ELSE '1' END AS device_user
) AS t
JOIN bench_devmap m ON m.idx = t.idx
JOIN bench_values v ON v.k = (g * 7919) %% {VALUE_VARIANTS}
"""

VALUES_SQL = f"""
CREATE UNLOGGED TABLE bench_values AS
SELECT k, jsonb_build_object('systolic', (105 + k % 50)::float8, 'diastolic',
                             (60 + k % 30)::float8, 'irregular', (k % 97 = 0)::int,
                             'pulse', (55 + k % 40)::float8) AS values,
       (k % 101)::smallint AS battery, ((k * 7) % 101)::smallint AS signal
FROM generate_series(0, {VALUE_VARIANTS} - 1) AS k
"""

INDEXES_SQL = """
SELECT ci.relname, pg_get_indexdef(i.indexrelid), c.conname, pg_get_constraintdef(c.oid),
       EXISTS (SELECT 1 FROM pg_constraint f WHERE f.conindid = i.indexrelid AND f.contype = 'f')
FROM pg_index i
JOIN pg_class ci ON ci.oid = i.indexrelid
LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid
                          AND c.contype IN ('p', 'u')
WHERE i.indrelid = 'readings_measurement'::regclass
"""


def prepare(report: Report) -> dict:
    """The company, its Pylo key, 10,000 patients and their monitors (bulk-created: the
    service functions would spend a minute on checks that cannot fail here)."""
    from pulsebridge.core.apikeys import create_api_key
    from pulsebridge.core.models import Company
    from pulsebridge.devices.models import Device, DeviceModel, Patient

    company = Company.objects.create(code="bench-pylo", name="Bench Pylo")
    key = create_api_key(company, "pylo", rate_per_second=100_000).key
    model = DeviceModel.objects.get(sku="PY-802-LTE")
    patients = Patient.objects.bulk_create(
        [
            Patient(company=company, external_id=f"P{i:05d}", practice_id=f"PR-{i % 50:02d}")
            for i in range(DEVICES)
        ],
        batch_size=2000,
    )
    devices = Device.objects.bulk_create(
        [
            Device(
                company=company,
                model=model,
                imei=f"35{i:013d}",
                serial=f"35{i:013d}",
                patient=patients[i],
                practice_id=patients[i].practice_id,
                billing_status=Device.BillingStatus.ACTIVE,
            )
            for i in range(DEVICES)
        ],
        batch_size=2000,
    )
    with report.db.connect() as conn:
        conn.execute(
            "CREATE UNLOGGED TABLE bench_devmap "
            "(idx int PRIMARY KEY, device_id uuid, patient_id uuid, practice_id text)"
        )
        with conn.cursor().copy(
            "COPY bench_devmap (idx, device_id, patient_id, practice_id) FROM STDIN"
        ) as copy:
            for i, device in enumerate(devices):
                copy.write_row((i, device.pk, device.patient_id, device.practice_id))
        conn.execute(VALUES_SQL)
        conn.execute("ANALYZE bench_devmap")
        conn.execute("ANALYZE bench_values")
    return {"company_id": str(company.pk), "key": key}


def _drop_indexes(conn) -> list[tuple[str, str]]:
    """Drop the table's indexes (and the constraints they back) unless another table's
    foreign key needs them; return what to run, in order, to put each back as it was: an
    index's definition, or the constraint's (which builds its index; on a table partitioned by
    month, on every partition, which ``ADD CONSTRAINT ... USING INDEX`` cannot do)."""
    rebuild = []
    for name, indexdef, conname, condef, needed in conn.execute(INDEXES_SQL).fetchall():
        if needed:
            continue
        if conname:
            conn.execute(f'ALTER TABLE readings_measurement DROP CONSTRAINT "{conname}"')
            rebuild.append(
                ("", f'ALTER TABLE readings_measurement ADD CONSTRAINT "{conname}" {condef}')
            )
        else:
            conn.execute(f'DROP INDEX "{name}"')
            # a partitioned table's index is listed ON ONLY the parent: built on every partition
            rebuild.append((indexdef.replace(" ON ONLY ", " ON "), ""))
    return rebuild


def _parallel(db, jobs: list, run, workers: int = 2) -> None:
    """Run ``run(conn, job)`` for every job over ``workers`` connections (one per core)."""
    todo: queue.Queue = queue.Queue()
    for job in jobs:
        todo.put(job)
    failures: list[BaseException] = []

    def work():
        with db.connect(autocommit=True) as conn:
            conn.execute("SET session_replication_role = replica")  # no FK triggers: ids are ours
            conn.execute("SET maintenance_work_mem = '1GB'")
            conn.execute("SET max_parallel_maintenance_workers = 0")
            while not failures:
                try:
                    job = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    run(conn, job)
                except BaseException as exc:  # reported in the main thread
                    failures.append(exc)
                    return

    threads = [threading.Thread(target=work, daemon=True) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():  # join in slices so that Ctrl-C reaches the main thread
            thread.join(timeout=0.5)
    if failures:
        raise failures[0]


def fill(report: Report, setup: dict, rows: int, hot: int) -> dict:
    db = report.db
    anchor = datetime.now(UTC).replace(second=0, microsecond=0)
    hot = min(hot, rows // 2)
    timings = {}
    t_all = time.perf_counter()

    with db.connect(autocommit=True) as conn:
        rebuild = _drop_indexes(conn)

    t = time.perf_counter()
    done = [0]
    lock = threading.Lock()
    chunks = [(lo, min(lo + CHUNK, rows)) for lo in range(0, rows, CHUNK)]

    def insert(conn, chunk):
        lo, hi = chunk
        conn.execute(
            FILL_SQL,
            {
                "lo": lo,
                "hi": hi,
                "hot_from": rows - hot,
                "anchor": anchor,
                "company": setup["company_id"],
            },
        )
        with lock:
            done[0] += hi - lo
            if done[0] % (CHUNK * 4) == 0 or done[0] == rows:
                rate = done[0] / (time.perf_counter() - t)
                log(f"P3 fill: {done[0]:,}/{rows:,} rows ({rate:,.0f}/s)")

    _parallel(db, chunks, insert)
    timings["insert_s"] = round(time.perf_counter() - t, 1)

    t = time.perf_counter()
    log(f"P3 fill: rebuilding {len(rebuild)} indexes on two connections")
    _parallel(
        db, [indexdef for indexdef, _ in rebuild if indexdef], lambda conn, sql: conn.execute(sql)
    )
    with db.connect(autocommit=True) as conn:
        for _, attach in rebuild:
            if attach:
                conn.execute(attach)
    timings["indexes_s"] = round(time.perf_counter() - t, 1)

    t = time.perf_counter()
    with db.connect(autocommit=True) as conn:
        conn.execute("DROP TABLE bench_devmap, bench_values")
        conn.execute("VACUUM (ANALYZE) readings_measurement")
        conn.execute("ANALYZE")  # the patients and devices just created, as autovacuum would
        # the leaves of the partitioned table (a partitioned parent holds no rows itself)
        table_rows, *sizes = conn.execute(
            "select sum(greatest(c.reltuples, 0))::bigint, sum(pg_table_size(t.relid)), "
            "sum(pg_indexes_size(t.relid)) from pg_partition_tree('readings_measurement') t "
            "join pg_class c on c.oid = t.relid where t.isleaf"
        ).fetchone()
    timings["vacuum_analyze_s"] = round(time.perf_counter() - t, 1)
    timings["total_s"] = round(time.perf_counter() - t_all, 1)
    log(
        f"P3 fill: {rows:,} rows in {timings['total_s']} s (insert {timings['insert_s']} s, "
        f"indexes {timings['indexes_s']} s, vacuum+analyze {timings['vacuum_analyze_s']} s); "
        f"table {sizes[0] / 2**30:.1f} GiB + indexes {sizes[1] / 2**30:.1f} GiB"
    )
    return {
        "rows": rows,
        "hot_rows": hot,
        "anchor": anchor.isoformat(),
        "table_rows_estimate": table_rows,
        "table_bytes": sizes[0],
        "index_bytes": sizes[1],
        "rate_rows_per_s": round(rows / timings["insert_s"]) if timings["insert_s"] else None,
        **timings,
    }


def _walk(client: httpx.Client, body: dict, max_pages: int, seconds: float):
    """Follow cursor tokens from page 1; returns the tokens that lead to each page (None for
    page 1), the ids seen, and the pages read."""
    tokens: list[str | None] = [None]
    ids: list[str] = []
    deadline = time.monotonic() + seconds
    while len(tokens) <= max_pages and time.monotonic() < deadline:
        params = {"cursor_token": tokens[-1]} if tokens[-1] else None
        response = client.post(READINGS_PATH, json=body, params=params)
        response.raise_for_status()
        page = response.json()
        ids.extend(m["Id"] for m in page["measurements"])
        token = page["page_info"]["cursor_token"]
        if not token:
            break
        tokens.append(token)
    return tokens, ids


def warm_up(report: Report, body: dict, headers: dict, tokens: list[str | None]) -> None:
    """Every server thread serves each page before the samples: ``workers x threads`` requests
    in flight at once, twice over. A thread opens its database connection on its first request,
    and a new PostgreSQL backend fills its catalogue caches while planning its first page query
    (the 19 monthly partitions and their indexes: milliseconds, against a fraction of one once
    warm). Sequential warm-up requests reach whichever threads the kernel and the pool pick, so
    some threads met their first request among the 40 samples of ``--quick``, whose p99 is their
    slowest: the p99 measured the bench's start, not the steady state (bench/README.md)."""
    from concurrent.futures import ThreadPoolExecutor

    server = report.server
    in_flight = max(1, server.workers * server.threads)
    limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
    with (
        httpx.Client(
            base_url=server.base_url, headers=headers, timeout=60, limits=limits
        ) as client,
        ThreadPoolExecutor(in_flight) as pool,
    ):
        for _ in range(2):
            for token in tokens:
                params = {"cursor_token": token} if token else None
                for response in pool.map(
                    lambda p: client.post(READINGS_PATH, json=body, params=p),
                    [params] * in_flight,
                ):
                    response.raise_for_status()


def run_p3(report: Report) -> None:
    args = report.args
    log(f"P3: creating {DEVICES:,} patients and monitors")
    t = time.perf_counter()
    setup = prepare(report)
    prepare_s = time.perf_counter() - t
    log(f"P3: filling readings_measurement with {args.rows:,} rows")
    filled = fill(report, setup, args.rows, args.hot)
    filled["prepare_devices_s"] = round(prepare_s, 1)

    anchor = datetime.fromisoformat(filled["anchor"])
    body = {
        "patient_id": TARGET_PATIENT,
        "measurement_taken_start_date": (anchor - timedelta(days=30)).isoformat(),
        "measurement_taken_end_date": anchor.isoformat(),
    }
    with report.db.connect() as conn:
        expected = conn.execute(
            "select count(*) from readings_measurement m join devices_patient p "
            "on p.id = m.patient_id where p.external_id = %s and p.company_id = %s "
            "and m.measured_at between %s and %s",
            [TARGET_PATIENT, setup["company_id"], anchor - timedelta(days=30), anchor],
        ).fetchone()[0]
        distinct_times = conn.execute(
            "select count(distinct measured_at) from readings_measurement m join devices_patient "
            "p on p.id = m.patient_id where p.external_id = %s and m.measured_at between %s "
            "and %s",
            [TARGET_PATIENT, anchor - timedelta(days=30), anchor],
        ).fetchone()[0]

    headers = {"x-api-key": setup["key"]}
    with httpx.Client(base_url=report.server.base_url, headers=headers, timeout=60) as client:
        log(f"P3: walking every page for {TARGET_PATIENT} ({expected:,} readings expected)")
        tokens, ids = _walk(client, body, max_pages=500, seconds=300)
        walk_ok = len(ids) == expected and len(set(ids)) == len(ids)
        if not walk_ok:
            report.note(
                f"P3: walking the pages gave {len(ids):,} readings ({len(set(ids)):,} distinct) "
                f"where the table holds {expected:,}"
            )
        deep = min(args.deep_page, len(tokens))
        deep_token = tokens[deep - 1]
        if deep < args.deep_page:
            report.note(f"P3: only {len(tokens)} pages exist; the deep page is page {deep}")

        def once(token):
            params = {"cursor_token": token} if token else None
            t = time.perf_counter()
            response = client.post(READINGS_PATH, json=body, params=params)
            took = time.perf_counter() - t
            response.raise_for_status()
            return took, len(response.content)

        warm_up(report, body, headers, [None, deep_token])
        for _ in range(5):  # then a few one at a time, as the samples come
            once(None)
            once(deep_token)
        first, deep_lat = [], []
        size = {}
        log(f"P3: timing page 1 and page {deep}, alternately, {args.p3_samples} samples each")
        deadline = time.monotonic() + args.p3_seconds
        with report.cpu_meter({"client": lambda: [__import__("os").getpid()]}) as cpu:
            while len(first) < args.p3_samples and time.monotonic() < deadline:
                took, size["first"] = once(None)
                first.append(took)
                took, size["deep"] = once(deep_token)
                deep_lat.append(took)

    report.check_noise("P3", cpu)
    breakdown = {
        "first": explain_page(setup, body, None),
        "deep": explain_page(setup, body, deep_token),
    }
    breakdown["first"]["rows_after_cursor"] = expected
    breakdown["deep"]["rows_after_cursor"] = max(expected - (deep - 1) * 1000, 0)
    f50, f99 = percentile(first, 50) * 1000, percentile(first, 99) * 1000
    d50, d99 = percentile(deep_lat, 50) * 1000, percentile(deep_lat, 99) * 1000
    r50, r99 = d50 / f50, d99 / f99
    log(
        f"P3: page 1 p50 {f50:.1f} / p99 {f99:.1f} ms; page {deep} p50 {d50:.1f} / p99 "
        f"{d99:.1f} ms; {cpu.describe()}"
    )
    limits = p3_limits(breakdown, f50, deep)
    cost = cpu.cost(len(first) + len(deep_lat))
    from .ceiling import p3_ceiling

    ceiling = p3_ceiling(report, samples=len(first), seconds=args.p3_seconds)
    c99 = ceiling["p99_ms"]
    ratio_ceiling = f99 / c99 if c99 else float("nan")
    report.add(
        "P3",
        figures={
            "fill": filled,
            "patient": TARGET_PATIENT,
            "window_days": 30,
            "readings_in_window": expected,
            "distinct_timestamps_in_window": distinct_times,
            "pages": len(tokens),
            "page_walk_complete_and_unique": walk_ok,
            "deep_page": deep,
            "samples": len(first),
            "response_bytes": size,
            "first_ms": {"p50": round(f50, 2), "p99": round(f99, 2), "max": ms(max(first))},
            "deep_ms": {"p50": round(d50, 2), "p99": round(d99, 2), "max": ms(max(deep_lat))},
            # in the order taken, to see where the slow ones fall
            "samples_ms": {"first": [ms(x) for x in first], "deep": [ms(x) for x in deep_lat]},
            "deep_over_first": {"p50": round(r50, 3), "p99": round(r99, 3)},
            "target_p99_ms": P3_TARGET_P99_MS,
            "target_deep_over_first": P3_TARGET_DEEP_RATIO,
            "cpu_cores": cpu.result,
            "cpu_per_page": cost,
            "breakdown": breakdown,
            "ceiling": ceiling,
            "first_p99_over_ceiling_p99": round(ratio_ceiling, 2),
            "target_first_p99_over_ceiling_p99": P3_TARGET_CEILING_RATIO,
        },
        rows=[
            Row(
                "P3 Pylo readings",
                "fill (setup excluded)",
                f"{filled['total_s']:.0f} s",
                f"{fmt_int(filled['rows'])} rows",
                f"{fmt_int(filled['rate_rows_per_s'] or 0)} rows/s inserted",
            ),
            Row(
                "P3 Pylo readings",
                "page 1 p50 / p99",
                f"{fmt_ms(f50)} / {fmt_ms(f99)}",
                f"target p99 {P3_TARGET_P99_MS:.0f} ms",
                f"{f99 / P3_TARGET_P99_MS:.2f}x",
                verdict(f99 <= P3_TARGET_P99_MS),
            ),
            Row(
                "P3 Pylo readings",
                f"page {deep} p50 / p99",
                f"{fmt_ms(d50)} / {fmt_ms(d99)}",
                f"target p99 {P3_TARGET_P99_MS:.0f} ms",
                f"{d99 / P3_TARGET_P99_MS:.2f}x",
                verdict(d99 <= P3_TARGET_P99_MS),
            ),
            Row(
                "P3 Pylo readings",
                f"page {deep} / page 1",
                f"p50 {r50:.2f}x, p99 {r99:.2f}x",
                f"target <= {P3_TARGET_DEEP_RATIO}x",
                f"{r99:.2f}x",
                verdict(max(r50, r99) <= P3_TARGET_DEEP_RATIO),
            ),
            Row(
                "P3 Pylo readings",
                f"ceiling: {ceiling['bytes'] / 1000:.0f} kB static answer p50 / p99",
                f"{fmt_ms(ceiling['p50_ms'])} / {fmt_ms(c99)}",
                "page 1 p99 (p50)",
                f"{ratio_ceiling:.1f}x ({f50 / ceiling['p50_ms']:.1f}x)"
                if ceiling["p50_ms"]
                else "",
                f"{verdict(ratio_ceiling <= P3_TARGET_CEILING_RATIO)} "
                f"(<= {P3_TARGET_CEILING_RATIO:g}x)",
            ),
            Row(
                "P3 Pylo readings",
                "CPU per page (both)",
                f"server {cost['server_ms']:.0f} ms + postgres {cost['postgres_ms']:.0f} ms",
                "one client, one request at a time",
            ),
            Row(
                "P3 Pylo readings",
                "SQL in page 1",
                f"{breakdown['first']['sql_ms']:.1f} ms of {breakdown['first']['total_ms']:.1f}",
                f"{breakdown['first']['queries']} queries, in-process",
                f"{breakdown['first']['sql_ms'] / breakdown['first']['total_ms']:.0%} SQL",
            ),
        ],
        limits=limits,
    )


def explain_page(setup: dict, body: dict, token: str | None) -> dict:
    """One page through Django's test client in this process: its statements, SQL time against
    total time, and the plan of the page query (EXPLAIN ANALYZE, BUFFERS)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(headers={"x-api-key": setup["key"]})
    path = READINGS_PATH + (f"?cursor_token={token}" if token else "")
    client.post(path, body, content_type="application/json")  # warm
    best = None
    for _ in range(3):
        with CaptureQueriesContext(connection) as queries:
            t = time.perf_counter()
            response = client.post(path, body, content_type="application/json")
            total = time.perf_counter() - t
        sql = sum(float(q["time"]) for q in queries.captured_queries)
        if best is None or total < best["total_ms"] / 1000:
            page_sql = max(queries.captured_queries, key=lambda q: float(q["time"]))["sql"]
            best = {
                "status": response.status_code,
                "queries": len(queries),
                "sql_ms": round(sql * 1000, 2),
                "total_ms": round(total * 1000, 2),
                "python_ms": round((total - sql) * 1000, 2),
                "statements": [q["sql"][:200] for q in queries.captured_queries],
                "page_sql": page_sql,
            }
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + best["page_sql"])
        best["plan"] = [row[0] for row in cursor.fetchall()]
    best["plan_sorts"] = any(
        line.strip().lstrip("->").strip().startswith("Sort ") for line in best["plan"]
    )
    best["rows_scanned"] = _scanned(best["plan"])
    return best


def _scanned(plan: list[str]) -> int | None:
    """Rows the plan read from readings_measurement (its scan node's actual row count)."""
    for line in plan:
        if " on readings_measurement" in line and "actual time=" in line:
            match = re.search(r"actual time=[0-9.]+\.\.[0-9.]+ rows=(\d+) loops=(\d+)", line)
            if match:
                return int(match.group(1)) * int(match.group(2))
    return None


def p3_limits(breakdown: dict, first_p50_ms: float, deep: int) -> str:
    first, deeper = breakdown["first"], breakdown["deep"]
    plan = " ".join(first["plan"])
    # a partition's copy of meas_patient_time is named readings_measurement_p202611_patient_id_...
    index = next(
        (name for name, column in (("meas_patient_time", "patient_id"),
                                   ("meas_company_time", "company_id"),
                                   ("meas_device_time", "device_id"))
         if name in plan or f"_{column}_measured_at_id_idx" in plan),
        "no index of the time order",
    )  # fmt: skip
    text = (
        f"in-process, page 1 spends {first['sql_ms']:.1f} ms in {first['queries']} SQL "
        f"statements and {first['python_ms']:.1f} ms in Python (1000 measurements built with "
        f"their device, model and patient, rendered, JSON); page {deep}: "
        f"{deeper['sql_ms']:.1f} ms SQL, {deeper['python_ms']:.1f} ms Python. "
        f"The page query uses {index}"
    )
    if first["plan_sorts"] and (first["rows_scanned"] or 0) > 1001:
        text += (
            f", but reads and sorts every reading after the cursor instead of stopping at "
            f"1001: {first['rows_scanned']:,} rows for page 1, "
            f"{deeper['rows_scanned'] or 0:,} for page {deep} (cost falls with depth, so page 1 "
            f"is the slowest page)"
        )
    text += f". Over HTTP page 1 takes {first_p50_ms:.1f} ms at p50 (adds gunicorn and transfer)"
    return text
