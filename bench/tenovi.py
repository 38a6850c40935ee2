"""Tenovi: the time to activate 1,000 HWI devices through the API, and the time to list them.

Over real HTTP against gunicorn on a throw-away PostgreSQL database. 1,000 gateways are put in
the company's inventory first (the operator's `device add`, in-process); then each device is
activated on site (the guide's use case 1: a ``hardware_uuid`` that is a known gateway -> status
Delivered, a sensor paired with the gateway, an assignment row), one ``POST hwi/hwi-devices/`` per
device, in sequence on one keep-alive connection as a Tenovi client does, and again with 8
concurrent connections. Listing: ``GET hwi/hwi-devices/`` (the flat array of all 1,000) and the
walk through ``?page=N&page_size=100``.

Compared with, in the same run on the same machine: one ``GET hwi/hwi-devices/{id}/`` (the cost of
an authenticated request that reads one device), so the ratios say what activating and listing
cost beyond a request.

Tenovi keys have a default plan of 1 request per second: at that rate 1,000 activations take at
least 1,000 s by design. The figures here use a key whose plan has no per-second limit, so they
measure the server, not the plan.

``run(report)`` is called by ``python -m bench`` when it runs this scenario; alone,
``python -m bench.tenovi [--devices N]`` creates its own database and server, prints the figures
and drops the database."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet

PROJECT_DIR = Path(__file__).resolve().parent.parent
COMPANY_CODE = "bench-tenovi"
DEVICES = 1000
CONCURRENCY = 8
SAMPLES = 20

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
    print(f"[bench tenovi {time.strftime('%H:%M:%S')}] {message}", flush=True)


def gateway_id(n: int, batch: int) -> str:
    return f"{batch:02X}{n:010X}"


def prepare(devices: int) -> tuple[str, list[str], list[str]]:
    """The company, an unthrottled Tenovi key, and two sets of ``devices`` gateways."""
    from pulsebridge.core.apikeys import create_api_key
    from pulsebridge.core.models import Company
    from pulsebridge.devices.models import Device, DeviceModel

    company, _ = Company.objects.get_or_create(code=COMPANY_CODE, defaults={"name": "Bench Tenovi"})
    issued = create_api_key(company, "tenovi")
    plan = issued.api_key.plan
    plan.rate_per_second = None  # measure the server, not Tenovi's 1 request/s plan
    plan.save(update_fields=["rate_per_second"])
    # The inventory is set up, not measured: one INSERT for all gateways.
    model = DeviceModel.objects.get(sku="TENOVI-GW")
    batches = [[gateway_id(n, batch) for n in range(devices)] for batch in (1, 2)]
    Device.objects.bulk_create(
        [Device(company=company, model=model, serial=gid) for ids in batches for gid in ids],
        batch_size=1000,
    )
    return issued.key, batches[0], batches[1]


def body(gid: str, n: int) -> dict[str, Any]:
    return {
        "device": {"name": "Tenovi BPM - L", "hardware_uuid": gid},
        "patient": {"external_id": f"BENCH-{gid}", "name": f"Patient {n}"},
    }


def activate_all(http: httpx.Client, base: str, ids: list[str]) -> tuple[float, list[float]]:
    latencies = []
    start = time.perf_counter()
    for n, gid in enumerate(ids):
        t = time.perf_counter()
        response = http.post(f"{base}hwi/hwi-devices/", json=body(gid, n))
        latencies.append(time.perf_counter() - t)
        if response.status_code != 201 or response.json()["status"] != "Delivered":
            raise RuntimeError(f"activation {n} answered {response.status_code}: {response.text}")
    return time.perf_counter() - start, latencies


def activate_concurrently(
    base_url: str, headers: dict[str, str], base: str, ids: list[str]
) -> float:
    chunks = [ids[i::CONCURRENCY] for i in range(CONCURRENCY)]

    def one_connection(chunk: list[str]) -> None:
        with httpx.Client(base_url=base_url, headers=headers, timeout=60) as http:
            activate_all(http, base, chunk)

    start = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        list(pool.map(one_connection, chunks))
    return time.perf_counter() - start


def timed(fn, samples: int = SAMPLES) -> list[float]:
    out = []
    for _ in range(samples):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def run(report, devices: int = DEVICES) -> dict[str, Any]:
    """Against the runner's database and server (see bench/common.py)."""
    key, first_ids, second_ids = prepare(devices)
    log(f"{2 * devices:,} gateways in inventory")
    headers = {"Authorization": f"Api-Key {key}"}
    base = f"/tenovi/clients/{COMPANY_CODE}/"
    with httpx.Client(base_url=report.server.base_url, headers=headers, timeout=60) as http:
        # a running service has served requests before: warm every worker's imports first
        for _ in range(16):
            http.get(f"{base}hwi/hwi-device-types/").raise_for_status()
        sequential, latencies = activate_all(http, base, first_ids)
        log(f"{devices:,} activations in sequence: {sequential:.2f} s")
        one = http.get(f"{base}hwi/hwi-devices/?page=1&page_size=1").json()["results"][0]
        read_one = timed(lambda: http.get(f"{base}hwi/hwi-devices/{one['id']}/").raise_for_status())

        def list_all() -> None:
            items = http.get(f"{base}hwi/hwi-devices/").json()
            if len(items) != devices:
                raise RuntimeError(f"the list has {len(items)} items, not {devices}")

        def walk_pages() -> None:
            url, seen = f"{base}hwi/hwi-devices/?page=1&page_size=100", 0
            while url:
                page = http.get(url).json()
                seen += len(page["results"])
                url = page["next"]
            if seen != devices:
                raise RuntimeError(f"the pages hold {seen} items, not {devices}")

        listing = timed(list_all, SAMPLES)
        pages = timed(walk_pages, max(3, SAMPLES // 4))
    concurrent = activate_concurrently(report.server.base_url, headers, base, second_ids)
    log(f"{devices:,} activations on {CONCURRENCY} connections: {concurrent:.2f} s")

    read_p50 = statistics.median(read_one)
    act_p50 = statistics.median(latencies)
    act_p99 = sorted(latencies)[max(0, int(len(latencies) * 0.99) - 1)]
    list_p50 = statistics.median(listing)
    pages_p50 = statistics.median(pages)
    figures = {
        "devices": devices,
        "activate_sequential_seconds": round(sequential, 3),
        "activate_sequential_per_second": round(devices / sequential, 1),
        "activate_p50_ms": round(act_p50 * 1000, 2),
        "activate_p99_ms": round(act_p99 * 1000, 2),
        f"activate_{CONCURRENCY}_connections_seconds": round(concurrent, 3),
        "list_all_flat_p50_ms": round(list_p50 * 1000, 2),
        "list_all_flat_max_ms": round(max(listing) * 1000, 2),
        "list_all_pages_of_100_p50_ms": round(pages_p50 * 1000, 2),
        "get_one_p50_ms": round(read_p50 * 1000, 2),
        "at_default_plan_seconds_at_least": devices,
    }
    rows = [
        Row(
            "Tenovi",
            f"activate {devices:,} devices on site, one connection",
            f"{sequential:.2f} s ({devices / sequential:.0f}/s)",
            f"GET of one device {ms(read_p50)}",
            f"{act_p50 / read_p50:.1f}x per request" if read_p50 else "",
        ),
        Row("Tenovi", "  activation p50 / p99", f"{ms(act_p50)} / {ms(act_p99)}"),
        Row(
            "Tenovi",
            f"activate {devices:,} more, {CONCURRENCY} connections",
            f"{concurrent:.2f} s ({devices / concurrent:.0f}/s)",
            "one connection",
            f"{sequential / concurrent:.1f}x faster" if concurrent else "",
        ),
        Row(
            "Tenovi",
            f"list all {devices:,} (flat array), p50",
            ms(list_p50),
            f"GET of one device {ms(read_p50)}",
            f"{list_p50 / read_p50:.0f}x" if read_p50 else "",
        ),
        Row(
            "Tenovi",
            f"list all {devices:,} in pages of 100, p50",
            ms(pages_p50),
            "the flat array",
            f"{pages_p50 / list_p50:.1f}x" if list_p50 else "",
        ),
    ]
    limits = (
        "an activation is one transaction of ~15 statements (patient upsert, sensor device, "
        "assignment, hardware id log, HWI device) plus the key check and the rate counter; the list renders each "
        "device in Python"
    )
    if hasattr(report, "add"):
        report.add("Tenovi", figures=figures, rows=rows, limits=limits)
        report.note(
            f"Tenovi: at the default plan of 1 request/s, {devices:,} activations take at least "
            f"{devices:,} s by design; the figures use a key without a per-second limit"
        )
    return figures


# --------------------------------------------------------------------------- alone


@dataclass
class _Server:
    base_url: str
    process: subprocess.Popen


class _Report:
    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.notes: list[str] = []
        self.server: _Server | None = None

    def add(self, key, *, figures, rows=(), limits=""):
        self.rows.extend(rows)
        if limits:
            self.notes.append(f"{key} limited by: {limits}")

    def note(self, text: str) -> None:
        self.notes.append(text)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server(env: dict[str, str], log_path: Path) -> _Server:
    from pulsebridge.operations.webserver import gunicorn_options

    port = _free_port()
    workers = max(2, (os.cpu_count() or 1))
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "pulsebridge.wsgi:application",
        "-b",
        f"127.0.0.1:{port}",
        # what `pulsebridge serve` runs (operations/webserver.py)
        *gunicorn_options(workers=workers),
    ]
    with log_path.open("ab") as out:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_DIR,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited at start: see {log_path}")
        with contextlib.suppress(httpx.HTTPError):
            httpx.get(f"{base_url}/tenovi/", timeout=2)
            return _Server(base_url, process)
        time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not start within 30 s: see {log_path}")


def _stop(server: _Server) -> None:
    if server.process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.process.pid, signal.SIGTERM)
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.process.pid, signal.SIGKILL)
    log("stopped gunicorn")


def main(argv: list[str] | None = None) -> int:
    import psycopg

    parser = argparse.ArgumentParser(prog="python -m bench.tenovi", description=__doc__)
    parser.add_argument("--devices", type=int, default=DEVICES)
    args = parser.parse_args(argv)
    admin = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    name = f"pulsebridge_bench_tenovi_{os.getpid()}"
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
        var_dir = Path(cleanup.enter_context(tempfile.TemporaryDirectory()))
        env = {
            "DATABASE_URL": admin.rsplit("/", 1)[0] + "/" + name,
            "PULSEBRIDGE_VAR_DIR": str(var_dir),
            "SECRET_KEY": "bench-" + secrets.token_hex(16),
            "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "DJANGO_SETTINGS_MODULE": "pulsebridge.settings",
            "LOG_LEVEL": "WARNING",
        }
        os.environ.update(env)
        import django
        from django.core.management import call_command

        django.setup()
        with contextlib.redirect_stdout(io.StringIO()):
            call_command("migrate", verbosity=0, interactive=False)
            call_command("createcachetable", verbosity=0)
        report = _Report()
        report.server = _start_server(env, var_dir / "gunicorn.log")
        cleanup.callback(_stop, report.server)
        figures = run(report, devices=args.devices)
        print()
        for row in report.rows:
            extra = f"  ({row.compared}: {row.ratio})" if row.ratio else ""
            print(f"{row.figure}: {row.value}{extra}")
        for note in report.notes:
            print(f"- {note}")
        print()
        print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
