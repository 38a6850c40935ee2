"""The measurement behind the gunicorn configuration (``pulsebridge/operations/webserver.py``):
``python -m bench.server_config [--seconds 5] [--slow N]``.

For each worker class (gthread with the configuration's threads, sync), with the worker count
``pulsebridge serve`` starts, it serves the ceiling views (``bench/ceiling_urls.py``: Django,
DRF, our middleware, no database) and measures:

1. requests/s of the one-reading view with ``wrk`` (16 connections, keep-alive), when installed;
2. slow clients: ``N`` connections (default: as many as there are worker processes) each send
   their request headers and half of their body, then wait; meanwhile a client that is not slow
   asks for the same view 20 times, one after another, on new connections. What it waits is what
   a device on a good link waits while devices on bad cellular links are being served.

Nothing but 127.0.0.1; every phase bounded in time. No database is created."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from .ceiling import READING_BODY, READING_PATH, WRK_SCRIPT
from .common import HOST, Server, percentile


def slow_clients(server: Server, count: int, hold: float) -> dict:
    """``count`` clients stuck half-way through their body; a normal client's latency meanwhile."""
    body = READING_BODY.encode()
    head = (
        f"POST {READING_PATH} HTTP/1.1\r\nhost: {HOST}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\n\r\n"
    ).encode()
    stuck = []
    for _ in range(count):
        sock = socket.create_connection((HOST, server.port), timeout=hold + 30)
        sock.sendall(head + body[: len(body) // 2])
        stuck.append(sock)
    time.sleep(0.5)  # the workers (or threads) have picked them up
    waits, failed = [], 0
    deadline = time.monotonic() + hold
    try:
        for _ in range(20):
            if time.monotonic() >= deadline:
                break
            t = time.perf_counter()
            try:
                httpx.post(
                    server.base_url + READING_PATH,
                    content=READING_BODY,
                    headers={"content-type": "application/json"},
                    timeout=max(0.1, deadline - time.monotonic()),
                )
                waits.append(time.perf_counter() - t)
            except httpx.HTTPError:
                failed += 1
    finally:
        for sock in stuck:
            with contextlib.suppress(OSError):
                sock.sendall(body[len(body) // 2 :])
                sock.close()
    return {
        "slow_clients": count,
        "answered": len(waits),
        "timed_out": failed,
        "p50_ms": round(percentile(waits, 50) * 1000, 1) if waits else None,
        "max_ms": round(max(waits) * 1000, 1) if waits else None,
    }


def throughput(server: Server, seconds: float, var: Path) -> dict | None:
    if not shutil.which("wrk"):
        return None
    script = var / "ceiling.lua"
    script.write_text(WRK_SCRIPT % {"body": READING_BODY, "path": READING_PATH})
    command = ["wrk", "-t", "2", "-c", "16", "--timeout", "10s", "-s", str(script)]
    subprocess.run([*command, "-d", "2s", server.base_url], capture_output=True, timeout=60)
    out = subprocess.run(
        [*command, "-d", f"{seconds:.0f}s", server.base_url],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    ).stdout
    line = next((x for x in out.splitlines() if x.startswith("WRK_JSON ")), None)
    if line is None:
        return None
    result = json.loads(line[len("WRK_JSON ") :])
    return {
        "requests_per_s": round(result["requests"] / (result["duration_us"] / 1e6)),
        "p99_ms": round(result["latency_us"]["p99"] / 1000, 1),
        "errors": sum(result["errors"].values()),
    }


def main(argv: list[str] | None = None) -> int:
    from pulsebridge.operations import webserver

    p = argparse.ArgumentParser(prog="python -m bench.server_config", description=__doc__)
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--slow", type=int, default=None, help="slow clients (default: workers)")
    p.add_argument("--hold", type=float, default=5.0, help="how long the slow clients stall")
    args = p.parse_args(argv)
    workers = webserver.default_workers()
    slow = args.slow if args.slow is not None else workers
    results = {}
    with tempfile.TemporaryDirectory(prefix="pulsebridge-bench-") as tmp:
        var = Path(tmp)
        env = {
            "PULSEBRIDGE_VAR_DIR": tmp,
            "SECRET_KEY": "bench-server-config",
            "DEBUG": "false",
            "LOG_LEVEL": "ERROR",
            "PULSEBRIDGE_LOG_LEVEL": "ERROR",
        }
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pulsebridge.settings")
        for worker_class in ("gthread", "sync"):
            server = Server(
                workers=workers,
                threads=webserver.THREADS,
                env=env,
                log_path=var / f"gunicorn-{worker_class}.log",
                app="bench.ceiling_app:application",
                worker_class=worker_class,
            )
            try:
                server.start()
                results[worker_class] = {
                    "workers": workers,
                    "threads": 1 if worker_class == "sync" else webserver.THREADS,
                    "throughput": throughput(server, args.seconds, var),
                    "slow": slow_clients(server, slow, args.hold),
                }
            finally:
                server.stop()
            print(worker_class, json.dumps(results[worker_class]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
