"""P9: PING client-credentials tokens per second and their p99, through the real server.

``run(report)`` is the scenario for the bench runner (Django set up on the run's database,
gunicorn started). One application; ``P9_CLIENTS`` (4) connections post the token request as
the document writes it (a JSON body) for ``P9_SECONDS`` (5 s, or ``--quick``: 2 s), bounded to
``P9_MAX_REQUESTS``. Every answer must be 200 with a token. Compared with the targets of issue 13
(300 tokens/s, p99 20 ms) and, as CPU per token, with what the cores would sustain."""

from __future__ import annotations

import threading
import time

import httpx

from .common import CORES, Row, fmt_int, fmt_ms, log, percentile, verdict

TARGET_PER_SECOND = 300.0
TARGET_P99_MS = 20.0
P9_CLIENTS = 4
P9_SECONDS = 5.0
P9_MAX_REQUESTS = 20_000


def _application():
    from django.contrib.auth import get_user_model

    from pulsebridge.core.models import Company, Membership
    from pulsebridge.tracking.applications import create_application

    company = Company.objects.create(code="bench-ping-tokens", name="Bench PING tokens")
    user = get_user_model().objects.create_user("bench-tokens", password=None)
    Membership.objects.create(user=user, company=company)
    application, secret = create_application(user, name="bench", grant_type="client-credentials")
    return application.client_id, secret


def _warm_every_thread(report, body: dict) -> None:
    """Every server thread serves a token before the samples (``workers x threads`` requests in
    flight at once, twice over), as P3 warms its pages: a thread opens its database and Redis
    connections on its first request. Sequential warm-up requests on one connection reached one
    thread, so the other threads' first requests fell among the samples, whose p99 then measured
    the bench's start (bench/README.md)."""
    from concurrent.futures import ThreadPoolExecutor

    server = report.server
    in_flight = max(1, server.workers * server.threads)
    limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
    with (
        httpx.Client(base_url=server.base_url, timeout=30, limits=limits) as client,
        ThreadPoolExecutor(in_flight) as pool,
    ):
        for _ in range(2):
            for response in pool.map(
                lambda _: client.post("/ping/auth/token/", json=body), range(in_flight)
            ):
                response.raise_for_status()


def run(report) -> None:
    client_id, secret = _application()
    body = {"client_id": client_id, "client_secret": secret, "grant_type": "client_credentials"}
    seconds = 2.0 if getattr(report.args, "quick", False) else P9_SECONDS
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    _warm_every_thread(report, body)

    def load(deadline: float) -> None:
        with httpx.Client(base_url=report.server.base_url, timeout=30) as client:
            while time.monotonic() < deadline:
                with lock:
                    if len(latencies) + len(failures) >= P9_MAX_REQUESTS:
                        return
                started = time.perf_counter()
                response = client.post("/ping/auth/token/", json=body)
                took = time.perf_counter() - started
                ok = response.status_code == 200 and "access_token" in response.json()
                with lock:
                    (latencies.append(took) if ok else failures.append(str(response.status_code)))

    log(f"P9: {P9_CLIENTS} connections posting client-credentials token requests for {seconds} s")
    with report.cpu_meter({"client": lambda: [__import__("os").getpid()]}) as cpu:
        started = time.monotonic()
        threads = [
            threading.Thread(target=load, args=(started + seconds,), daemon=True)
            for _ in range(P9_CLIENTS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    report.check_noise("P9", cpu)
    rate = len(latencies) / elapsed
    p50, p99 = percentile(latencies, 50) * 1000, percentile(latencies, 99) * 1000
    log(f"P9: {rate:.0f} tokens/s, p50 {p50:.1f} / p99 {p99:.1f} ms; {cpu.describe()}")
    cost = cpu.cost(len(latencies))
    report.add(
        "P9",
        figures={
            "tokens": len(latencies),
            "failures": failures[:20],
            "seconds": round(elapsed, 2),
            "tokens_per_second": round(rate, 1),
            "latency_ms": {"p50": round(p50, 2), "p99": round(p99, 2)},
            "target_per_second": TARGET_PER_SECOND,
            "target_p99_ms": TARGET_P99_MS,
            "cpu_cores": cpu.result,
            "cpu_per_token": cost,
        },
        rows=[
            Row(
                "P9 PING tokens",
                f"client-credentials tokens/s ({P9_CLIENTS} connections)",
                fmt_int(rate),
                f"target {TARGET_PER_SECOND:.0f}/s",
                f"{rate / TARGET_PER_SECOND:.2f}x",
                verdict(rate >= TARGET_PER_SECOND and not failures),
            ),
            Row(
                "P9 PING tokens",
                "p50 / p99",
                f"{fmt_ms(p50)} / {fmt_ms(p99)}",
                f"target p99 {TARGET_P99_MS:.0f} ms",
                f"{p99 / TARGET_P99_MS:.2f}x",
                verdict(p99 <= TARGET_P99_MS),
            ),
            Row(
                "P9 PING tokens",
                "CPU per token",
                f"server {cost['server_ms']:.2f} ms + postgres {cost['postgres_ms']:.2f} ms",
                f"projected on {CORES} idle cores",
                f"{fmt_int(cost['projected_per_s'])} tokens/s",
                verdict(cost["projected_per_s"] >= TARGET_PER_SECOND),
            ),
        ],
    )
