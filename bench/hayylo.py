"""P6: a 6 MB batch of Hayylo clients (about 20,000 records), from POST to ``done``.

Over real HTTP against gunicorn on a throw-away PostgreSQL database, with the real background
worker (``pulsebridge worker``; django-tasks' ``db_worker`` where that command does not exist)
as a separate process whose peak memory (VmHWM) is read from /proc. Target: at most 5 s.

Compared with, on the same machine in the same run: a raw PostgreSQL COPY of the same rows
(the patients and the care clients) into tables shaped like ours, the floor that any import
of these rows pays. A second figure resends the batch with every record changed (the update
path).

``run(report)`` is called by ``python -m bench`` (see bench/__main__.py); alone,
``python -m bench.hayylo`` creates its own database and server, prints the figures and drops
the database."""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet

LIMIT = 6 * 1024 * 1024
TARGET_SECONDS = 5.0
PROJECT_DIR = Path(__file__).resolve().parent.parent
COMPANY_CODE = "bench-hayylo"
INSTANCE_ID = "100"

try:
    from bench.common import Row
except ImportError:  # the runner's helpers are optional when this file runs alone

    @dataclass
    class Row:  # type: ignore[no-redef]
        scenario: str
        figure: str
        value: str
        compared: str = ""
        ratio: str = ""
        verdict: str = ""


def log(message: str) -> None:
    print(f"[bench P6 {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --------------------------------------------------------------------------- the batch

FIRST = ["Betty", "May", "Andrew", "Ann", "Joan", "Peter", "Nguyen", "Priya", "Olga", "Sam"]
LAST = ["Smith", "Simpson", "Jones", "Nguyen", "Patel", "Brown", "Wilson", "Taylor", "Lee"]
SUBURBS = ["Sydney", "Parramatta", "Bondi", "Manly", "Newtown", "Chatswood", "Penrith"]


def client_record(n: int, rng: random.Random, *, status: str = "NEW", team: str = "") -> dict:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    return {
        "id": f"CLIENT_ID_{n:06}",
        "firstName": first,
        "lastName": last,
        "phone": f"02{rng.randrange(10**8):08}",
        "phone2": f"04{rng.randrange(10**8):08}",
        "email": f"{first.lower()}.{last.lower()}{n}@email.com",
        "address": f"{rng.randrange(1, 400)} George St",
        "suburb": rng.choice(SUBURBS),
        "postCode": f"{rng.randrange(2000, 2999)}",
        "state": "NSW",
        "gender": rng.choice(["female", "male"]),
        "dob": f"19{rng.randrange(20, 60)}-{rng.randrange(1, 13):02}-{rng.randrange(1, 29):02}",
        "team": team or "Central Sydney Region",
        "importStatus": status,
    }


def batch_body(*, status: str = "NEW", team: str = "") -> tuple[bytes, int]:
    """As many clients as fit in 6 MiB (with the wrapper), as one JSON body."""
    rng = random.Random(6)
    head = json.dumps(
        {"companyCode": COMPANY_CODE, "instanceId": INSTANCE_ID, "schemaType": "client"}
    )[:-1]
    parts, size, n = [], len(head) + len(', "dataSet": []}'), 0
    while True:
        record = json.dumps(client_record(n, rng, status=status, team=team))
        if size + len(record) + 2 > LIMIT:
            break
        parts.append(record)
        size += len(record) + 2
        n += 1
    body = f'{head}, "dataSet": [{", ".join(parts)}]}}'.encode()
    assert len(body) <= LIMIT, len(body)
    return body, n


# --------------------------------------------------------------------------- processes


def rss_mib(pid: int, field: str = "VmHWM") -> float:
    """A process's resident memory (VmRSS now, VmHWM its peak), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def worker_command() -> tuple[list[str], str]:
    from django.core.management import get_commands

    if "worker" in get_commands():
        return [sys.executable, "-m", "pulsebridge", "worker"], "pulsebridge worker"
    command = ["db_worker", "--interval", "0.1", "--no-startup-delay"]
    return [sys.executable, "-m", "pulsebridge", *command], "pulsebridge " + " ".join(command)


def start_worker(env: dict[str, str], log_path: Path) -> tuple[subprocess.Popen, str]:
    command, name = worker_command()
    with log_path.open("ab") as out:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_DIR,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    return process, name


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def cpu_ticks(pids: list[int]) -> dict[int, int]:
    """User + system CPU of each process so far, in clock ticks."""
    ticks = {}
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks[pid] = int(fields[11]) + int(fields[12])
    return ticks


def postgres_backends(db_url: str) -> list[int]:
    """The PostgreSQL processes serving this database."""
    import psycopg

    with psycopg.connect(db_url, autocommit=True) as conn:
        rows = conn.execute(
            "select pid from pg_stat_activity where datname = current_database() "
            "and pid <> pg_backend_pid()"
        ).fetchall()
    return [pid for (pid,) in rows]


class CpuSeconds:
    """CPU seconds spent by groups of processes while the block runs: what a batch costs,
    whatever else the machine is doing (wall time on a busy machine is not)."""

    def __init__(self, **groups):
        self.groups = groups  # name -> callable returning pids
        self.result: dict[str, float] = {}

    def __enter__(self):
        self.before = {name: cpu_ticks(pids()) for name, pids in self.groups.items()}
        return self

    def __exit__(self, *exc):
        hz = os.sysconf("SC_CLK_TCK")
        for name, pids in self.groups.items():
            after = cpu_ticks(pids())
            spent = sum(t - self.before[name].get(pid, 0) for pid, t in after.items())
            self.result[name] = round(spent / hz, 2)


def wait_until_idle(seconds: float = 1.5) -> None:
    """Let the worker finish starting up (imports, first poll) before its memory is read."""
    time.sleep(seconds)


# --------------------------------------------------------------------------- measuring


def company_and_key() -> str:
    from pulsebridge.core.apikeys import create_api_key
    from pulsebridge.core.models import Company

    company, _ = Company.objects.get_or_create(
        code=COMPANY_CODE, defaults={"name": "Bench Hayylo", "instance_id": INSTANCE_ID}
    )
    # Status is polled in the database, not through the API: the key needs no high rate.
    return create_api_key(company, "hayylo", rate_per_second=100).key


def send_and_wait(http: httpx.Client, key: str, body: bytes, db_url: str) -> dict[str, Any]:
    """POST the batch, then wait for its row to say done; times and the API's report."""
    import psycopg

    with psycopg.connect(db_url, autocommit=True) as conn:
        t0 = time.perf_counter()
        response = http.post(
            "/hayylo/inbound",
            content=body,
            headers={"x-api-key": key, "content-type": "application/json"},
        )
        t_accepted = time.perf_counter()
        if response.status_code != 202:
            raise RuntimeError(f"POST answered {response.status_code}: {response.text[:300]}")
        batch_id = response.json()["batchId"]
        deadline = t0 + 120
        while True:
            status = conn.execute(
                "select status from care_importbatch where id = %s", [batch_id]
            ).fetchone()[0]
            if status in ("done", "failed"):
                break
            if time.perf_counter() > deadline:
                raise RuntimeError(f"batch {batch_id} still {status} after 120 s")
            time.sleep(0.01)
        t_done = time.perf_counter()
        queue_wait, import_seconds = conn.execute(
            "select extract(epoch from started_at - received_at), "
            "extract(epoch from finished_at - started_at) from care_importbatch where id = %s",
            [batch_id],
        ).fetchone()
    report = http.get(f"/hayylo/inbound/{batch_id}", headers={"x-api-key": key}).json()
    if report["status"] != "done" or report["failed"]:
        raise RuntimeError(f"batch {batch_id}: {json.dumps(report)[:500]}")
    return {
        "batch_id": batch_id,
        "seconds": t_done - t0,
        "post_seconds": t_accepted - t0,
        "queue_wait_seconds": float(queue_wait),
        "import_seconds": float(import_seconds),
        "imported": report["imported"],
    }


def copy_floor(db_url: str, records: int) -> float:
    """Seconds for a raw COPY of the same rows into tables shaped like the patients and the
    care clients (with their indexes and constraints), rolled back."""
    import uuid

    import psycopg

    rng = random.Random(6)
    rows = [client_record(n, rng) for n in range(records)]
    with psycopg.connect(db_url) as conn:
        conn.execute("create temp table p (like devices_patient including all)")
        conn.execute("create temp table c (like care_careclient including all)")
        company_id = conn.execute(
            "select id from core_company where code = %s", [COMPANY_CODE]
        ).fetchone()[0]
        t0 = time.perf_counter()
        patient_ids = [uuid.uuid4() for _ in rows]
        with conn.cursor().copy(
            "copy p (id, company_id, external_id, name, phone_number, email, physician, "
            "clinic_name, care_manager, sms_opt_in, practice_id, created_at, address, city, "
            "state, zip_code, confirm_address, updated_at) from stdin"
        ) as copy:
            for pid, r in zip(patient_ids, rows, strict=True):
                name = f"{r['firstName']} {r['lastName']}"
                # physician ... practice id, created; address ... confirmed, updated
                blank = ("", "", "", False, "", "now", "", "", "", "", False, "now")
                copy.write_row([pid, company_id, r["id"], name, r["phone2"], r["email"], *blank])
        with conn.cursor().copy(
            "copy c (id, company_id, external_id, created_at, updated_at, patient_id, "
            "first_name, last_name, phone, phone2, email, address, suburb, post_code, state, "
            "gender, dob, team) from stdin"
        ) as copy:
            for pid, r in zip(patient_ids, rows, strict=True):
                fields = ("firstName", "lastName", "phone", "phone2", "email", "address")
                fields += ("suburb", "postCode", "state", "gender", "dob", "team")
                copy.write_row(
                    [uuid.uuid4(), company_id, r["id"], "now", "now", pid, *(r[f] for f in fields)]
                )
        elapsed = time.perf_counter() - t0
        conn.rollback()
    return elapsed


def run(report) -> dict[str, Any]:
    """P6, against the runner's database, server and environment (see bench/common.py)."""
    db_url, base_url, env = report.db.url, report.server.base_url, report.env
    var_dir = Path(report.var_dir or PROJECT_DIR / "var")
    key = company_and_key()
    body, records = batch_body()
    log(f"batch: {records:,} clients, {len(body):,} bytes (limit {LIMIT:,})")

    worker, worker_name = start_worker(env, var_dir / "hayylo-worker.log")
    report.cleanup.callback(stop, worker)
    wait_until_idle()
    if worker.poll() is not None:
        raise RuntimeError(f"{worker_name} exited at start (see {var_dir}/hayylo-worker.log)")

    with httpx.Client(base_url=base_url, timeout=120) as http:
        # A running service has served requests before: one small batch first, so that
        # neither the server nor the worker pays its first-request imports in the figure.
        warm = {"companyCode": COMPANY_CODE, "instanceId": INSTANCE_ID, "schemaType": "client"}
        warm["dataSet"] = [client_record(999_999, random.Random(1))]
        send_and_wait(http, key, json.dumps(warm).encode(), db_url)
        for _ in range(8):  # reach every server process, likely
            httpx.get(f"{base_url}/hayylo/inbound", timeout=10)
        idle = rss_mib(worker.pid, "VmRSS")
        master = report.server.process.pid
        cpu = CpuSeconds(
            worker=lambda: [worker.pid],
            server=lambda: [master, *children_of(master)],
            postgres=lambda: postgres_backends(db_url),
        )
        with cpu:
            first = send_and_wait(http, key, body, db_url)
        peak_first = rss_mib(worker.pid)
        log(
            f"first import: {first['seconds']:.2f} s (POST {first['post_seconds']:.2f} s, "
            f"queued {first['queue_wait_seconds']:.2f} s, import {first['import_seconds']:.2f} s)"
        )
        changed_body, _ = batch_body(status="CHANGED", team="Northern Region")
        again = send_and_wait(http, key, changed_body, db_url)
        peak = rss_mib(worker.pid)
        log(f"every record changed: {again['seconds']:.2f} s")
    stop(worker)

    floor = copy_floor(db_url, records)
    ok = first["seconds"] <= TARGET_SECONDS
    figures = {
        "records": records,
        "bytes": len(body),
        "worker": worker_name,
        "post_to_done_seconds": round(first["seconds"], 3),
        "post_seconds": round(first["post_seconds"], 3),
        "queue_wait_seconds": round(first["queue_wait_seconds"], 3),
        "import_seconds": round(first["import_seconds"], 3),
        "records_per_second": round(records / first["seconds"]),
        "all_changed_post_to_done_seconds": round(again["seconds"], 3),
        "all_changed_import_seconds": round(again["import_seconds"], 3),
        "copy_floor_seconds": round(floor, 3),
        "cpu_seconds": cpu.result,
        "worker_idle_rss_mib": round(idle, 1),
        "worker_peak_rss_mib_first": round(peak_first, 1),
        "worker_peak_rss_mib": round(peak, 1),
        "target_seconds": TARGET_SECONDS,
        "meets_target": ok,
    }
    rows = [
        Row(
            "P6",
            f"6 MB of clients ({records:,}) POST to done",
            f"{first['seconds']:.2f} s",
            f"raw COPY of the same rows {floor:.2f} s",
            f"{first['seconds'] / floor:.1f}x" if floor else "",
            "meets target" if ok else "MISSES target",
        ),
        Row(
            "P6",
            "  of which: POST answered / waiting in queue / import",
            f"{first['post_seconds']:.2f} / {first['queue_wait_seconds']:.2f} / "
            f"{first['import_seconds']:.2f} s",
        ),
        Row(
            "P6",
            "  CPU spent: worker / PostgreSQL / server",
            " / ".join(f"{cpu.result[k]:.2f}" for k in ("worker", "postgres", "server")) + " s",
            "idle machine: wall = about their sum + the poll wait",
        ),
        Row("P6", "same batch, every record changed", f"{again['seconds']:.2f} s"),
        Row("P6", f"worker peak RSS ({worker_name})", f"{peak:.0f} MiB", f"idle {idle:.0f} MiB"),
    ]
    limits = (
        "the import is one transaction per batch on one worker; its time goes to parsing and "
        "checking records in Python and to the bulk INSERTs (patients, then clients)"
    )
    if hasattr(report, "add"):
        report.add("P6", figures=figures, rows=rows, limits=limits)
    return figures


# --------------------------------------------------------------------------- alone


@dataclass
class _Database:
    name: str
    url: str


class _Server:
    def __init__(self, env: dict[str, str], log_path: Path):
        import socket

        from pulsebridge.operations.webserver import gunicorn_options

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        with log_path.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "gunicorn", "pulsebridge.wsgi:application"),
                    *("-b", f"127.0.0.1:{self.port}"),
                    # what `pulsebridge serve` runs (operations/webserver.py), with 2 workers
                    *gunicorn_options(workers=2),
                ],
                cwd=PROJECT_DIR,
                env={**os.environ, **env},
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited at start; see {log_path}")
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(self.base_url + "/hayylo/inbound", timeout=1)
                return
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not start within 30 s")


class _Report:
    """What ``run(report)`` needs of the runner's report, for a run of P6 alone."""

    def __init__(self, cleanup: contextlib.ExitStack):
        self.cleanup = cleanup
        self.rows: list = []
        self.results: dict = {}
        self.notes: list[str] = []

    def add(self, key, *, figures, rows=(), limits=""):
        self.results[key] = figures
        self.rows.extend(rows)
        if limits:
            self.notes.append(f"{key} limited by: {limits}")


def main() -> int:
    import secrets
    import tempfile

    import psycopg

    admin = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    name = f"pulsebridge_bench_hayylo_{os.getpid()}"
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with contextlib.ExitStack() as cleanup:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'create database "{name}"')

        def drop() -> None:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'drop database if exists "{name}" with (force)')
            log(f"dropped database {name}")

        cleanup.callback(drop)
        log(f"created database {name}")
        report = _Report(cleanup)
        report.db = _Database(name, admin.rsplit("/", 1)[0] + "/" + name)
        report.var_dir = Path(cleanup.enter_context(tempfile.TemporaryDirectory()))
        report.env = {
            "DATABASE_URL": report.db.url,
            "PULSEBRIDGE_VAR_DIR": str(report.var_dir),
            "SECRET_KEY": "bench-" + secrets.token_hex(16),
            "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "DJANGO_SETTINGS_MODULE": "pulsebridge.settings",
            "LOG_LEVEL": "WARNING",
        }
        os.environ.update(report.env)
        import django
        from django.core.management import call_command

        django.setup()
        with contextlib.redirect_stdout(io.StringIO()):
            call_command("migrate", verbosity=0, interactive=False)
            call_command("createcachetable", verbosity=0)
        report.server = _Server(report.env, report.var_dir / "gunicorn.log")
        cleanup.callback(stop, report.server.process)
        figures = run(report)
        print()
        for row in report.rows:
            extra = f"  ({row.compared}, {row.ratio})" if row.ratio else ""
            extra = extra or (f"  ({row.compared})" if row.compared else "")
            print(f"P6  {row.figure}: {row.value}{extra}  {row.verdict}".rstrip())
        for note in report.notes:
            print(f"- {note}")
        print()
        print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
