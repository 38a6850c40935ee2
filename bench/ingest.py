"""P1 (batched ingest next to a raw COPY of the same rows) and P2 (single-reading requests).

Both post to the real server over HTTP. P1's client is this process (a few threads posting
pre-serialised bodies, so it costs little); P2's client is ``wrk`` when installed (C, little
CPU), else threads of this process, and the report says which."""

from __future__ import annotations

import io
import json
import os
import shutil
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx

from .common import (
    CORES,
    Report,
    Row,
    fmt_int,
    fmt_ms,
    log,
    ms,
    percentile,
    verdict,
)
from .common import run_wrk as common_run_wrk

INGEST_PATH = "/ingest/v1/measurements"
P1_TARGET = 10_000  # readings/s
P2_TARGET_RPS = 1_000
P2_TARGET_P99_MS = 50.0
# The targets as ratios to ceilings measured in the same run (docs/performance.md says how they
# were derived): P1's rate over a raw COPY of the same rows; P2's requests/s over a DRF view with
# no database under the same gunicorn configuration (bench/ceiling.py).
P1_TARGET_RATIO = 0.5
P2_TARGET_RATIO = 0.5

# The columns of readings_measurement that COPY moves (every column, in this order).
COLUMNS = (
    "id, kind, measured_at, received_at, values, unit, battery, signal, device_user, radio, "
    "network, tower_latitude, tower_longitude, sender_id, dedupe_key, practice_id, tenant_id, "
    "company_id, device_id, patient_id"
)


@dataclass
class Fleet:
    company_id: str
    key: str
    imeis: list[str]


def prepare_fleet(report: Report, devices: int) -> Fleet:
    """A company with an ingest key and ``devices`` blood-pressure monitors, each assigned to a
    patient, created through the same services the operator commands use."""
    from pulsebridge.core.apikeys import create_api_key
    from pulsebridge.core.models import Company
    from pulsebridge.devices.services import add_device, assign_device

    company = Company.objects.create(code="bench-ingest", name="Bench ingest")
    key = create_api_key(company, "ingest", rate_per_second=100_000).key
    imeis = []
    for i in range(devices):
        imei = f"86{i:013d}"
        device = add_device(company, "PY-802-LTE", imei=imei)
        assign_device(device, patient_id=f"IP{i:05d}", practice_id="PR-BENCH")
        imeis.append(imei)
    fleet = Fleet(company_id=str(company.pk), key=key, imeis=imeis)
    preflight(report, fleet)
    return fleet


def preflight(report: Report, fleet: Fleet) -> None:
    """One reading through the server: figures of a server that answers 500 mean nothing."""
    body = reading(fleet.imeis[0], datetime(2020, 1, 1, tzinfo=UTC), 0)
    response = httpx.post(
        report.server.base_url + INGEST_PATH,
        json=body,
        headers={"x-api-key": fleet.key},
        timeout=30,
    )
    if response.status_code != 200:
        raise RuntimeError(
            f"the server answers {response.status_code} to one valid reading: "
            f"{response.text[:300]}\nserver log:\n{report.server.log_tail(20)}"
        )


def reading(imei: str, at: datetime, n: int) -> dict:
    return {
        "imei": imei,
        "kind": "blood_pressure",
        "measured_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "values": {"systolic": 105 + n % 50, "diastolic": 60 + n % 30, "pulse": 55 + n % 40},
        "battery": 80,
        "signal": 70,
        "radio": "LTE-M",
        "network": "T-Mobile",
    }


def batches(fleet: Fleet, count: int, *, size: int, per_device: int, start: datetime) -> list:
    """``count`` JSON bodies of ``size`` readings: each from ``size // per_device`` devices,
    ``per_device`` readings a minute apart. Consecutive batches use disjoint device groups, so
    concurrent requests do not queue on the same device rows (each batch updates its devices'
    first/last measurement times in its transaction)."""
    per_batch = size // per_device
    groups = max(1, len(fleet.imeis) // per_batch)
    bodies = []
    for b in range(count):
        group = b % groups
        # every pass over the groups moves the clock on, so no reading repeats
        base = start + timedelta(minutes=(b // groups) * per_device)
        items = []
        for d in range(per_batch):
            imei = fleet.imeis[group * per_batch + d]
            for k in range(per_device):
                items.append(reading(imei, base + timedelta(minutes=k), b + d + k))
        bodies.append(json.dumps(items, separators=(",", ":")).encode())
    return bodies


def post_all(base_url: str, key: str, bodies: list[bytes], *, clients: int, seconds: float):
    """Post ``bodies`` over ``clients`` keep-alive connections until done or ``seconds`` pass.
    Returns (created, requests, latencies, elapsed, failures)."""
    lock = threading.Lock()
    state = {"next": 0, "created": 0, "failures": []}
    latencies: list[float] = []
    deadline = time.monotonic() + seconds
    headers = {"x-api-key": key, "content-type": "application/json"}

    def work():
        with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
            while time.monotonic() < deadline:
                with lock:
                    i = state["next"]
                    if i >= len(bodies):
                        return
                    state["next"] = i + 1
                t = time.perf_counter()
                try:
                    response = client.post(INGEST_PATH, content=bodies[i])
                except httpx.HTTPError as exc:
                    with lock:
                        state["failures"].append(repr(exc))
                    return
                took = time.perf_counter() - t
                created = response.json().get("created", 0) if response.status_code < 500 else 0
                with lock:
                    latencies.append(took)
                    state["created"] += created
                    if response.status_code != 200:
                        state["failures"].append(f"{response.status_code} {response.text[:200]}")

    threads = [threading.Thread(target=work, daemon=True) for _ in range(clients)]
    t0 = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    elapsed = time.perf_counter() - t0
    return state["created"], len(latencies), latencies, elapsed, state["failures"]


def count_rows(db, company_id: str) -> int:
    with db.connect() as conn:
        return conn.execute(
            "select count(*) from readings_measurement where company_id = %s", [company_id]
        ).fetchone()[0]


# --------------------------------------------------------------------------- P1


def run_p1(report: Report, fleet: Fleet) -> None:
    args = report.args
    size, clients = 1000, args.p1_clients
    total = args.p1_readings
    log(f"P1: preparing {total:,} readings in batches of {size} for {clients} client threads")
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    warm = batches(fleet, clients * 2, size=size, per_device=10, start=now - timedelta(days=360))
    bodies = batches(
        fleet, total // size, size=size, per_device=10, start=now - timedelta(days=300)
    )
    # warm-up: imports, connections, first touch of every device (preactive -> active)
    post_all(report.server.base_url, fleet.key, warm, clients=clients, seconds=60)
    before = count_rows(report.db, fleet.company_id)

    log(f"P1: posting for at most {args.p1_seconds:.0f} s")
    with report.cpu_meter({"client": lambda: [os.getpid()]}) as cpu:
        created, requests, lat, elapsed, failures = post_all(
            report.server.base_url, fleet.key, bodies, clients=clients, seconds=args.p1_seconds
        )
    stored = count_rows(report.db, fleet.company_id) - before
    report.check_noise("P1", cpu)
    rate = created / elapsed if elapsed else 0.0
    if failures:
        report.note(f"P1: {len(failures)} failed requests, first: {failures[0]}")
    if stored != created:
        report.note(f"P1: the server answered created={created:,} but {stored:,} rows were stored")
    log(f"P1: {created:,} readings in {elapsed:.1f} s = {rate:,.0f}/s; {cpu.describe()}")

    copy = copy_baseline(report, fleet.company_id)
    ratio = rate / copy["rate"] if copy["rate"] else 0.0
    limits = p1_limits(cpu.result, clients)
    cost = cpu.cost(created / 1000)
    report.add(
        "P1",
        figures={
            "cpu_per_1000_readings": cost,
            "readings": created,
            "rows_stored": stored,
            "requests": requests,
            "batch_size": size,
            "client_connections": clients,
            "seconds": round(elapsed, 2),
            "readings_per_s": round(rate),
            "request_p50_ms": ms(percentile(lat, 50)),
            "request_p99_ms": ms(percentile(lat, 99)),
            "copy": copy,
            "ratio_to_copy": round(ratio, 4),
            "target_ratio_to_copy": P1_TARGET_RATIO,
            "target_readings_per_s": P1_TARGET,
            "cpu_cores": cpu.result,
            "failures": len(failures),
        },
        rows=[
            Row(
                "P1 batched ingest",
                "readings/s",
                fmt_int(rate),
                f"target {fmt_int(P1_TARGET)}",
                f"{rate / P1_TARGET:.2f}x",
                verdict(rate >= P1_TARGET),
            ),
            Row(
                "P1 batched ingest",
                "raw COPY rows/s",
                f"{fmt_int(copy['rate'])} ({fmt_int(copy['rate_without_fk_checks'])} no FK check)",
                "ingest readings/s",
                f"{ratio:.3f} ({ratio:.1%} of COPY)",
                f"{verdict(ratio >= P1_TARGET_RATIO)} (>= {P1_TARGET_RATIO})",
            ),
            Row(
                "P1 batched ingest",
                "CPU per 1000 readings",
                f"server {cost['server_ms']:.0f} ms + postgres {cost['postgres_ms']:.0f} ms",
                f"projected on {CORES} idle cores",
                f"{fmt_int(cost['projected_per_s'] * 1000)} readings/s",
                verdict(cost["projected_per_s"] * 1000 >= P1_TARGET),
            ),
            Row(
                "P1 batched ingest",
                "request p50 / p99",
                f"{fmt_ms(percentile(lat, 50) * 1000)} / {fmt_ms(percentile(lat, 99) * 1000)}",
                f"{size} readings, {clients} connections",
            ),
        ],
        limits=limits,
    )


def p1_limits(cpu: dict[str, float], clients: int) -> str:
    server, pg, client = cpu.get("server", 0), cpu.get("postgres", 0), cpu.get("client", 0)
    busy, other = cpu.get("machine", 0), cpu.get("other", 0)
    where = (
        "the server's Python (validation, model building, JSON)" if server >= pg else "PostgreSQL"
    )
    text = (
        f"CPU: the machine was {busy:.2f}/{CORES} cores busy (server {server:.2f}, postgres "
        f"{pg:.2f}, client {client:.2f}, other {other:.2f}, stolen by the host "
        f"{cpu.get('stolen', 0):.2f}); most of it is {where}"
    )
    if busy + cpu.get("stolen", 0) >= CORES * 0.9:
        text += "; the cores are saturated, so more clients or workers cannot add throughput"
    else:
        text += f"; cores were not saturated with {clients} connections (latency-bound)"
    return text


def copy_baseline(report: Report, company_id: str) -> dict:
    """The rows P1 stored, exported, the table emptied, and the same bytes COPYed back in one
    transaction: the rate a raw load into this very table (same indexes, same foreign keys)
    reaches here. Loaded a second time with foreign-key triggers off, for information: how much
    of the floor is the three foreign-key checks per row."""
    db = report.db
    with db.connect() as conn:
        buffer = io.BytesIO()
        with conn.cursor().copy(
            f"COPY (SELECT {COLUMNS} FROM readings_measurement WHERE company_id = %s) TO STDOUT",
            [company_id],
        ) as copy:
            for chunk in copy:
                buffer.write(chunk)
        rows = conn.execute(
            "select count(*) from readings_measurement where company_id = %s", [company_id]
        ).fetchone()[0]
        data = buffer.getvalue()
        timings = {}
        for name, role in (("with_fk_checks", "origin"), ("without_fk_checks", "replica")):
            conn.execute("TRUNCATE readings_measurement")
            conn.commit()
            conn.execute("CHECKPOINT")  # start as ingest did: no dirty backlog
            conn.execute(f"SET session_replication_role = {role}")
            t0 = time.perf_counter()
            with conn.cursor().copy(f"COPY readings_measurement ({COLUMNS}) FROM STDIN") as copy:
                view = memoryview(data)
                for start in range(0, len(view), 1 << 20):
                    copy.write(view[start : start + (1 << 20)])
            conn.commit()
            timings[name] = time.perf_counter() - t0
        conn.execute("SET session_replication_role = origin")
        back = conn.execute(
            "select count(*) from readings_measurement where company_id = %s", [company_id]
        ).fetchone()[0]
        conn.commit()
    if back != rows:
        report.note(f"COPY baseline: {rows:,} rows exported but {back:,} loaded")
    elapsed = timings["with_fk_checks"]
    rate = rows / elapsed if elapsed else 0.0
    bare = rows / timings["without_fk_checks"] if timings["without_fk_checks"] else 0.0
    log(
        f"COPY: {rows:,} rows ({len(data) / 1e6:.0f} MB) in {elapsed:.2f} s = {rate:,.0f}/s "
        f"({bare:,.0f}/s without foreign-key checks)"
    )
    return {
        "rows": rows,
        "bytes": len(data),
        "seconds": round(elapsed, 3),
        "rate": round(rate),
        "rate_without_fk_checks": round(bare),
    }


# --------------------------------------------------------------------------- P2

WRK_SCRIPT = """
-- generated by bench/ingest.py: one new reading per request, never a duplicate
local imeis = {%(imeis)s}
local base = %(base)d
local threads = %(threads)d
local counter = 0
local tid = 0
local n = 0

function setup(thread)
  thread:set("tid", n)
  n = n + 1
end

function init(args)
  tid = tonumber(wrk.thread:get("tid"))
end

wrk.method = "POST"
wrk.headers["x-api-key"] = "%(key)s"
wrk.headers["Content-Type"] = "application/json"

request = function()
  counter = counter + 1
  local at = os.date("!%%Y-%%m-%%dT%%H:%%M:%%SZ", base + counter * threads + tid)
  local imei = imeis[(counter %% #imeis) + 1]
  local body = '{"imei":"' .. imei .. '","kind":"blood_pressure","measured_at":"' .. at ..
    '","values":{"systolic":' .. (105 + counter %% 50) .. ',"diastolic":' ..
    (60 + counter %% 30) .. ',"pulse":' .. (55 + counter %% 40) ..
    '},"battery":80,"signal":70,"radio":"LTE-M","network":"T-Mobile"}'
  return wrk.format(nil, "%(path)s", nil, body)
end
"""


def run_wrk(report: Report, fleet: Fleet, *, base: datetime, seconds: float, cpu_meter=None):
    args = report.args
    threads, connections = args.p2_threads, args.p2_connections
    script = WRK_SCRIPT % {
        "imeis": ",".join(f'"{i}"' for i in fleet.imeis),
        "base": int(base.timestamp()),
        "threads": threads,
        "key": fleet.key,
        "path": INGEST_PATH,
    }
    return common_run_wrk(
        report,
        script,
        name="p2",
        threads=threads,
        connections=connections,
        seconds=seconds,
        cpu_meter=cpu_meter,
    )


def run_python_client(report: Report, fleet: Fleet, *, base: datetime, seconds: float, meter):
    """The fallback load generator: threads with keep-alive httpx clients."""
    clients = report.args.p2_connections
    lock = threading.Lock()
    latencies: list[float] = []
    errors = {"status": 0, "transport": 0}
    deadline = time.monotonic() + seconds
    headers = {"x-api-key": fleet.key, "content-type": "application/json"}

    def work(tid: int):
        counter = 0
        mine = []
        with httpx.Client(base_url=report.server.base_url, headers=headers, timeout=10) as c:
            while time.monotonic() < deadline:
                counter += 1
                at = base + timedelta(seconds=counter * clients + tid)
                imei = fleet.imeis[counter % len(fleet.imeis)]
                body = json.dumps(reading(imei, at, counter), separators=(",", ":"))
                t = time.perf_counter()
                try:
                    response = c.post(INGEST_PATH, content=body)
                except httpx.HTTPError:
                    with lock:
                        errors["transport"] += 1
                    continue
                mine.append(time.perf_counter() - t)
                if response.status_code != 200:
                    with lock:
                        errors["status"] += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(clients)]
    t0 = time.perf_counter()
    with meter:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=seconds + 30)
    elapsed = time.perf_counter() - t0
    return {
        "requests": len(latencies),
        "duration_us": int(elapsed * 1e6),
        "errors": {**errors},
        "latency_us": {
            "p50": int(percentile(latencies, 50) * 1e6),
            "p90": int(percentile(latencies, 90) * 1e6),
            "p99": int(percentile(latencies, 99) * 1e6),
            "p999": int(percentile(latencies, 99.9) * 1e6),
            "mean": sum(latencies) / len(latencies) * 1e6 if latencies else 0,
            "max": int(max(latencies, default=0) * 1e6),
        },
    }


def settle(report: Report) -> None:
    """What autovacuum and the checkpointer do within a minute of P1's bulk loads (200,000 rows
    ingested, the table emptied and COPYed back twice), done before P2 rather than during it:
    P2 measured that cleanup beside its own requests (932-1,062 req/s right after P1, 1,112-1,242
    alone). P3 and PING settle their bulk loads the same way."""
    t = time.perf_counter()
    with report.db.connect(autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) readings_measurement")
        conn.execute("CHECKPOINT")
    log(f"P2: VACUUM ANALYZE and CHECKPOINT after P1's loads took {time.perf_counter() - t:.1f} s")


def run_p2(report: Report, fleet: Fleet) -> None:
    args = report.args
    settle(report)
    use_wrk = args.p2_client == "wrk" or (args.p2_client == "auto" and shutil.which("wrk"))
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    before = count_rows(report.db, fleet.company_id)
    if use_wrk:
        client = f"wrk ({args.p2_threads} threads, {args.p2_connections} connections)"
        log(f"P2: warm-up 3 s, then {args.p2_seconds:.0f} s with {client}")
        run_wrk(report, fleet, base=now - timedelta(days=200), seconds=3)
        result, cpu, command = run_wrk(
            report,
            fleet,
            base=now - timedelta(days=100),
            seconds=args.p2_seconds,
            cpu_meter=report.cpu_meter,
        )
    else:
        client = f"Python threads with httpx ({args.p2_connections} connections)"
        log(f"P2: {args.p2_seconds:.0f} s with {client}")
        cpu = report.cpu_meter({"client (python)": lambda: [os.getpid()]})
        run_python_client(report, fleet, base=now - timedelta(days=200), seconds=3, meter=cpu)
        cpu = report.cpu_meter({"client (python)": lambda: [os.getpid()]})
        result = run_python_client(
            report, fleet, base=now - timedelta(days=100), seconds=args.p2_seconds, meter=cpu
        )
        command = client
    stored = count_rows(report.db, fleet.company_id) - before
    report.check_noise("P2", cpu)
    seconds = result["duration_us"] / 1e6
    rps = result["requests"] / seconds if seconds else 0.0
    lat = result["latency_us"]
    p50, p99 = lat["p50"] / 1000, lat["p99"] / 1000
    bad = sum(result["errors"].values())
    if bad:
        report.note(f"P2: {bad} failed requests ({result['errors']})")
    log(f"P2: {rps:,.0f} req/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms; {cpu.describe()}")
    queries = queries_per_request(fleet)
    limits = p2_limits(cpu.result, use_wrk)
    from .ceiling import p2_ceiling

    ceiling = p2_ceiling(report, use_wrk=bool(use_wrk), seconds=args.p2_seconds)
    ratio = rps / ceiling["requests_per_s"] if ceiling["requests_per_s"] else 0.0
    # the meter covers the middle of the run: count the requests of that window only
    cost = cpu.cost(rps * cpu.wall)
    in_window = rps * cpu.wall
    switches = {k: round(v / in_window, 1) for k, v in cpu.switches.items() if in_window and v}
    report.add(
        "P2",
        figures={
            "cpu_per_request": cost,
            "client": client,
            "command": command,
            "requests": result["requests"],
            "seconds": round(seconds, 2),
            "requests_per_s": round(rps),
            "latency_ms": {k: round(v / 1000, 2) for k, v in lat.items()},
            "errors": result["errors"],
            "rows_stored_incl_warmup": stored,
            "target_requests_per_s": P2_TARGET_RPS,
            "target_p99_ms": P2_TARGET_P99_MS,
            "cpu_cores": cpu.result,
            "sql_queries_per_request": queries,
            "ceiling": ceiling,
            "context_switches_per_request": switches,
            "ratio_to_ceiling": round(ratio, 3),
            "target_ratio_to_ceiling": P2_TARGET_RATIO,
        },
        rows=[
            Row(
                "P2 single reading",
                "ceiling: DRF view, no database",
                f"{fmt_int(ceiling['requests_per_s'])} req/s, p99 {fmt_ms(ceiling['p99_ms'])}",
                "P2 requests/s",
                f"{ratio:.2f}",
                f"{verdict(ratio >= P2_TARGET_RATIO)} (>= {P2_TARGET_RATIO})",
            ),
            Row(
                "P2 single reading",
                "requests/s",
                fmt_int(rps),
                f"target {fmt_int(P2_TARGET_RPS)}",
                f"{rps / P2_TARGET_RPS:.2f}x",
                verdict(rps >= P2_TARGET_RPS),
            ),
            Row("P2 single reading", "latency p50", fmt_ms(p50), client),
            Row(
                "P2 single reading",
                "latency p99",
                fmt_ms(p99),
                f"target {P2_TARGET_P99_MS:.0f} ms",
                f"{p99 / P2_TARGET_P99_MS:.2f}x",
                verdict(p99 <= P2_TARGET_P99_MS),
            ),
            Row(
                "P2 single reading",
                "CPU per request",
                f"server {cost['server_ms']:.1f} ms + postgres {cost['postgres_ms']:.1f} ms",
                f"projected on {CORES} idle cores",
                f"{fmt_int(cost['projected_per_s'])} req/s",
                verdict(cost["projected_per_s"] >= P2_TARGET_RPS),
            ),
            Row(
                "P2 single reading",
                "server CPU per request",
                f"{cost['server_ms']:.2f} ms",
                f"ceiling {ceiling['server_cpu_ms_per_request']:.2f} ms",
                (
                    f"{cost['server_ms'] / ceiling['server_cpu_ms_per_request']:.1f}x"
                    if ceiling["server_cpu_ms_per_request"]
                    else ""
                ),
            ),
            Row(
                "P2 single reading",
                "context switches per request",
                f"server {switches.get('server', 0):.1f}, postgres {switches.get('postgres', 0):.1f}",
                f"ceiling: server {ceiling['context_switches_per_request']:.1f}",
            ),
            Row(
                "P2 single reading",
                "SQL per request",
                f"{queries['single']['queries']} queries",
                f"a batch of 1000: {queries['batch']['queries']}",
            ),
        ],
        limits=limits,
    )


def p2_limits(cpu: dict[str, float], wrk: bool) -> str:
    server, pg = cpu.get("server", 0), cpu.get("postgres", 0)
    client = next((v for k, v in cpu.items() if k.startswith("client")), 0.0)
    busy, other = cpu.get("machine", 0), cpu.get("other", 0)
    text = (
        f"CPU: machine {busy:.2f}/{CORES} cores busy: server {server:.2f}, postgres {pg:.2f}, "
        f"load generator {client:.2f}, other {other:.2f}, stolen by the host "
        f"{cpu.get('stolen', 0):.2f}. "
    )
    if busy + cpu.get("stolen", 0) >= CORES * 0.9:
        text += "The cores are saturated: the per-request Python and SQL work sets the rate"
        text += (
            "; the load generator's share is taken from the server"
            if client > 0.1
            else "; wrk's share is small"
        )
    elif cpu.get("iowait", 0) >= 0.1:
        text += (
            f"The cores are not saturated, and {cpu['iowait']:.2f} of them sat idle waiting on "
            "the disk: each request commits, and waits for its WAL flush (the host's storage "
            "sets the rate)"
        )
    else:
        text += "The cores are not saturated: the server's concurrency (workers x threads, GIL)"
    return text


def queries_per_request(fleet: Fleet) -> dict:
    """SQL statements (and their time) one request costs, run in this process through Django's
    test client against the bench database: a single reading, and a batch of 1000."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(headers={"x-api-key": fleet.key})
    at = datetime(2021, 1, 1, tzinfo=UTC)
    out = {}
    for name, items in (
        ("single", reading(fleet.imeis[0], at, 1)),
        ("batch", [reading(fleet.imeis[i % len(fleet.imeis)], at, i) for i in range(1000)]),
    ):
        if isinstance(items, list):  # 1000 readings, one minute apart per device
            for i, item in enumerate(items):
                moved = at + timedelta(minutes=1 + i // len(fleet.imeis))
                item["measured_at"] = moved.strftime("%Y-%m-%dT%H:%M:%SZ")
        with CaptureQueriesContext(connection) as queries:
            t = time.perf_counter()
            response = client.post(INGEST_PATH, items, content_type="application/json")
            total = time.perf_counter() - t
        sql = sum(float(q["time"]) for q in queries.captured_queries)
        out[name] = {
            "status": response.status_code,
            "queries": len(queries),
            "sql_ms": round(sql * 1000, 2),
            "total_ms": round(total * 1000, 2),
            "statements": [q["sql"][:160] for q in queries.captured_queries][:40],
        }
    return out
