"""P4 (ingest -> receiver latency, with and without a dead endpoint) and P5 (deliveries/s of one
worker process).

P4: readings are posted one per request to the real server at a fixed rate (open loop, 200/s by
default) while a real ``pulsebridge worker`` process sends them to receivers, each in a process of
its own (``ReceiverProcess``), from a load generator in a process of its own (``LoadGenerator``,
raw asyncio streams: cheap, and not behind the bench's GIL); a reading's latency is the
receiver's arrival time minus the time its POST started (the system's monotonic clock, the same in
every process). Each phase also prints the worker's side from what it recorded: how long
deliveries waited to be claimed, how long their sends took, how many a claim took. Three phases at
200/s, in blocks alternated through the run (``p4_order``): two healthy endpoints; the same plus a
third, alive; the same plus the third dead (its receiver accepts the request and never answers).
The figures are the two healthy receivers' p50/p99 in each phase: the first against the targets,
the dead against the alive (the target allows the dead endpoint to slow them by 10% at most).

P5: N deliveries are written to the outbox directly, then one worker process is started and the
rate is counted at the receiver (first to last arrival), over 8 endpoints (so that the
per-endpoint bound is not the figure) and over one endpoint (where it is).

``python -m bench.webhooks`` runs P4 and P5 alone through the bench runner (throw-away PostgreSQL
database, gunicorn on 127.0.0.1); ``make bench`` runs them with the rest. Loopback only; every
phase is bounded in time and count.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from . import openloop
from .common import (
    HOST,
    PROJECT_DIR,
    CpuMeter,
    Report,
    Row,
    fmt_int,
    fmt_ms,
    log,
    ms,
    percentile,
    verdict,
)

INGEST_PATH = "/ingest/v1/measurements"
P4_RATE = 200  # readings/s
P4_SECONDS = 10.0  # at 200/s, in each of the three phases (``P4_PHASES``)
P4_ROUNDS = 5  # ... in this many blocks each, alternated (``p4_order``)
P4_HEALTHY = 2
# issue 17: workers woken by LISTEN/NOTIFY (webhooks/wakeup.py), not by the 0.1 s poll
P4_TARGET_P50_MS = 50.0
P4_TARGET_P99_MS = 250.0
P4_MAX_SLOWDOWN = 1.10
# A light run first: what the pipeline itself adds (poll, claim, send) when no process is short
# of CPU, next to the 200/s runs, whose latency on a small machine is mostly queueing for CPU.
P4_LIGHT_RATE = 20
P4_HISTORY = 50_000  # succeeded deliveries in the outbox before P4 measures (``settle_history``)
P5_DELIVERIES = 20_000
P5_SECONDS = 60.0
P5_TARGET = 1000  # deliveries/s
# The worker's rate over a bare POST loop with the library it sends with (httpcore) to the same
# receiver, same run (docs/performance.md)
P5_TARGET_RATIO = 0.6
DRAIN_SECONDS = 15.0  # how long stragglers may take to arrive after the load stops


# --------------------------------------------------------------------------- receivers


@dataclass
class Receiver:
    """A minimal HTTP/1.1 keep-alive server on its own event loop in a thread: cheap enough
    that it is not what is measured. ``hang`` reads requests and never answers them."""

    hang: bool = False
    port: int = 0
    arrivals: list[tuple[float, bytes]] = field(default_factory=list)
    _loop: asyncio.AbstractEventLoop | None = None
    _server: asyncio.AbstractServer | None = None
    _thread: threading.Thread | None = None

    def url(self, path: str = "/hook") -> str:
        return f"http://{HOST}:{self.port}{path}"

    def start(self) -> Receiver:
        ready = threading.Event()

        def main() -> None:
            self._loop = asyncio.new_event_loop()
            self._server = self._loop.run_until_complete(
                asyncio.start_server(self._serve, HOST, 0, backlog=1024)
            )
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=main, daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                body = await reader.readexactly(length)
                self.arrivals.append((time.monotonic(), body))
                if self.hang:
                    continue  # keep reading (nothing more comes on this connection) and never answer
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    def count(self) -> int:
        return len(self.arrivals)

    def since(self, mark: int) -> list[tuple[float, bytes]]:
        return self.arrivals[mark:]

    def stop(self) -> None:
        if self._loop is None:
            return

        async def close() -> None:
            self._server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(close(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


class ReceiverProcess:
    """A :class:`Receiver` in a process of its own (P4): the bench process's threads would
    otherwise hold the GIL the receivers need to answer (and to stamp the arrival), and a
    receiver slower than its own machine makes the worker's per-endpoint bound (8 in flight) the
    limit of what is measured. ``time.monotonic()`` is the system's monotonic
    clock, the same in every process, so arrivals compare with the load generator's times."""

    def __init__(self, hang: bool = False):
        self.hang = hang
        self.port = 0

    def url(self, path: str = "/hook") -> str:
        return f"http://{HOST}:{self.port}{path}"

    def start(self) -> ReceiverProcess:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_receiver_main, args=(child, self.hang), daemon=True)
        self._process.start()
        self.port = self._conn.recv()
        return self

    @property
    def pid(self) -> int:
        return self._process.pid

    def _ask(self, *command):
        self._conn.send(command)
        return self._conn.recv()

    def count(self) -> int:
        return self._ask("count")

    def since(self, mark: int) -> list[tuple[float, bytes]]:
        return self._ask("since", mark)

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._ask("stop")
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()


def _receiver_main(conn, hang: bool) -> None:
    receiver = Receiver(hang=hang).start()
    conn.send(receiver.port)
    while True:
        command = conn.recv()
        if command[0] == "count":
            conn.send(receiver.count())
        elif command[0] == "since":
            conn.send(receiver.since(command[1]))
        else:
            receiver.stop()
            conn.send(None)
            return


# --------------------------------------------------------------------------- the worker process


@dataclass
class WorkerProcess:
    env: dict[str, str]
    log_path: os.PathLike
    process: subprocess.Popen | None = None

    def start(self) -> WorkerProcess:
        out = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child, closed below
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pulsebridge", "worker", "--no-tasks"],
            cwd=PROJECT_DIR,
            env={**os.environ, **self.env},
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        out.close()
        return self

    def pids(self) -> list[int]:
        return [self.process.pid] if self.process and self.process.poll() is None else []

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(
                timeout=30
            )  # it finishes the requests in flight (bounded by the timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


def worker_env(report: Report) -> dict[str, str]:
    return {
        **report.env,
        "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true",  # the receivers are on 127.0.0.1
        "WEBHOOK_TIMEOUT_SECONDS": "10",
    }


# --------------------------------------------------------------------------- set-up


@dataclass
class Fleet:
    company_id: str
    key: str
    imeis: list[str]


def prepare_fleet(devices: int) -> Fleet:
    from pulsebridge.core.apikeys import create_api_key
    from pulsebridge.core.models import Company
    from pulsebridge.devices.services import add_device

    company = Company.objects.create(code="bench-webhooks", name="Bench webhooks")
    key = create_api_key(company, "ingest", rate_per_second=100_000).key
    imeis = [f"87{i:013d}" for i in range(devices)]
    for imei in imeis:
        add_device(company, "PY-802-LTE", imei=imei)
    return Fleet(company_id=str(company.pk), key=key, imeis=imeis)


def add_endpoint(company_id: str, url: str):
    from django.test import override_settings

    from pulsebridge.core.models import Company
    from pulsebridge.webhooks.services import create_endpoint

    with override_settings(WEBHOOK_ALLOW_PRIVATE_NETWORKS=True):
        return create_endpoint(
            Company.objects.get(pk=company_id), url, "bench-secret", "pylo", ["DEVICE_MEASUREMENT"]
        )


def reading(imei: str, at: datetime) -> bytes:
    return json.dumps(
        {
            "imei": imei,
            "kind": "blood_pressure",
            "measured_at": at.isoformat().replace("+00:00", "Z"),
            "values": {"systolic": 120, "diastolic": 80, "pulse": 60},
        }
    ).encode()


# --------------------------------------------------------------------------- P4


@dataclass
class Load:
    sent_at: dict[str, float]  # measurement id -> monotonic time its POST started
    server: list[float]  # seconds each POST took (the ingest part of the latency)
    errors: list[str]
    posted: int
    elapsed: float  # t0 to the last request's start + one interval: posted / elapsed = start rate
    late: int = 0  # requests that started more than LATE_AFTER after their scheduled time
    slip_p99: float = 0.0  # seconds, actual start - scheduled start
    opened: int = 0  # connections opened (the pool's first ones included)
    cpu_seconds: float = 0.0  # the load generator's own process_time for the run
    finished: float = 0.0  # t0 to the last answer: posted / finished = the rate answered


LOAD_CONNECTIONS = 32  # opened before t0
LOAD_MAX_CONNECTIONS = 64  # opened on demand when all are busy; past it, requests queue (late)
LOAD_TIMEOUT = 30.0  # per request, as the httpx client had


class LoadGenerator:
    """The open-loop load of P4 in a process of its own (spawned, as ``ReceiverProcess``), on raw
    asyncio streams (HTTP/1.1 keep-alive, as ``bench/bare_sender.py raw``): it competes for the
    machine's cores but not for the bench's GIL, and costs a fraction of sync httpx in threads.
    Request i starts at t0 + i/rate whatever the others do: on a free connection of the pool,
    else on a new one (up to ``LOAD_MAX_CONNECTIONS``), else it waits for one and counts as late."""

    def __init__(self, base_url: str, fleet: Fleet):
        self.base_url = base_url
        self.fleet = fleet

    def start(self) -> LoadGenerator:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        args = (child, self.base_url, self.fleet.key, self.fleet.imeis)
        self._process = context.Process(target=_load_main, args=args, daemon=True)
        self._process.start()
        self._conn.recv()  # ready
        return self

    @property
    def pid(self) -> int:
        return self._process.pid

    def run(self, *, rate: int, seconds: float, start: datetime) -> Load:
        self._conn.send(("run", rate, seconds, start))
        # bounded: the child bounds every request by LOAD_TIMEOUT and the run by its schedule
        if not self._conn.poll(seconds + LOAD_TIMEOUT + 30):
            raise RuntimeError("P4 load generator did not answer")
        return self._conn.recv()

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._conn.send(("stop",))
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()


def _load_main(conn, base_url: str, key: str, imeis: list[str]) -> None:
    conn.send("ready")
    while True:
        command = conn.recv()
        if command[0] != "run":
            return
        _, rate, seconds, start = command
        c0 = time.process_time()
        load = asyncio.run(_open_loop(base_url, key, imeis, rate, seconds, start))
        load.cpu_seconds = time.process_time() - c0
        conn.send(load)


async def _open_loop(
    base_url: str, key: str, imeis: list[str], rate: int, seconds: float, start: datetime
) -> Load:
    parts = urlsplit(base_url)
    head = (
        f"POST {INGEST_PATH} HTTP/1.1\r\nhost: {parts.netloc}\r\nx-api-key: {key}\r\n"
        "content-type: application/json\r\n"
    ).encode()
    requests = []
    for i in range(int(rate * seconds)):
        body = reading(imeis[i % len(imeis)], start + timedelta(seconds=i))
        requests.append(head + b"content-length: %d\r\n\r\n" % len(body) + body)
    run = await openloop.open_loop(
        parts.hostname or HOST,
        parts.port or 80,
        requests,
        rate,
        connections=LOAD_CONNECTIONS,
        max_connections=LOAD_MAX_CONNECTIONS,
        timeout=LOAD_TIMEOUT,
    )
    sent_at: dict[str, float] = {}
    server: list[float] = []
    errors = list(run.errors)
    for started, took, data in run.answers:
        server.append(took)
        try:
            result = json.loads(data)["results"][0]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            errors.append(repr(exc)[:300])
            continue
        if result.get("status") == "created":
            sent_at[result["id"]] = started
        else:
            errors.append(json.dumps(result)[:200])
    return Load(
        sent_at=sent_at,
        server=server,
        errors=errors,
        posted=run.posted,
        elapsed=run.elapsed,
        late=run.late,
        slip_p99=run.slip_p99,
        opened=run.opened,
        finished=run.finished,
    )


def latencies(
    load: Load, receivers: list[ReceiverProcess], since: int = 0
) -> tuple[list[float], int]:
    """Arrival minus POST start for every (reading, healthy receiver); and how many never came."""
    found: list[float] = []
    missing = 0
    for receiver in receivers:
        arrived: dict[str, float] = {}
        for t, body in receiver.since(since):
            with contextlib.suppress(ValueError, KeyError):
                arrived.setdefault(json.loads(json.loads(body)["data"])["Id"], t)
        for mid, t_sent in load.sent_at.items():
            if mid in arrived:
                found.append(arrived[mid] - t_sent)
            else:
                missing += 1
    return found, missing


def wait_for_arrivals(load: Load, receivers: list[ReceiverProcess], marks: list[int]) -> None:
    wanted = len(load.sent_at)
    deadline = time.monotonic() + DRAIN_SECONDS
    while time.monotonic() < deadline:
        if all(r.count() - m >= wanted for r, m in zip(receivers, marks, strict=True)):
            return
        time.sleep(0.1)


def wait_for_listener(report: Report, seconds: float = 30.0) -> bool:
    """Whether the worker listens for new deliveries (a backend of the bench database whose last
    statement is the LISTEN of webhooks/wakeup.py): P4 measures the notified path."""
    from pulsebridge.webhooks.wakeup import CHANNEL

    deadline = time.monotonic() + seconds
    with report.db.connect(autocommit=True) as conn:
        while time.monotonic() < deadline:
            found = conn.execute(
                "select count(*) from pg_stat_activity where datname = current_database() "
                "and query = %s",
                [f"LISTEN {CHANNEL}"],
            ).fetchone()[0]
            if found:
                return True
            time.sleep(0.2)
    return False


def worker_side(endpoints: list, windows: list[tuple[datetime, datetime]]) -> dict:
    """Where a delivery's time went on the worker's side, from what the worker itself recorded:
    ``wait`` = first attempt (the claim's time) - the delivery's creation (inside the ingest
    transaction), i.e. commit + notification + waiting to be claimed; ``send`` = the attempt's
    own latency (request to answer); ``rounds`` = distinct claim times, i.e. claims that took
    something (deliveries per claim = deliveries / rounds). Over the deliveries created in any
    of ``windows`` (start, end)."""
    from django.db.models import Min, Q

    from pulsebridge.webhooks.models import Delivery

    within = Q()
    for since, until in windows:
        within |= Q(created_at__gte=since, created_at__lt=until)
    rows = list(
        Delivery.objects.filter(within, endpoint__in=endpoints)
        .annotate(first_at=Min("attempt_log__at"))
        .values_list("created_at", "first_at", "attempt_log__latency_ms")
    )
    waits = [(first - created).total_seconds() for created, first, _ in rows if first]
    sends = [latency / 1000 for _, first, latency in rows if first and latency is not None]
    rounds = len({first for _, first, _ in rows if first})
    return {
        "deliveries": len(rows),
        "claim_wait_p50_ms": ms(percentile(waits, 50)),
        "claim_wait_p99_ms": ms(percentile(waits, 99)),
        "send_p50_ms": ms(percentile(sends, 50)),
        "send_p99_ms": ms(percentile(sends, 99)),
        "claim_rounds": rounds,
        "deliveries_per_claim": round(len(rows) / rounds, 1) if rounds else 0.0,
    }


@dataclass
class Block:
    """One stretch of P4's load: what was posted, the healthy receivers' latencies, the CPU."""

    load: Load
    latencies: list[float]
    missing: int
    meter: CpuMeter
    window: tuple[datetime, datetime]


def run_block(
    report: Report,
    generator: LoadGenerator,
    healthy: list[ReceiverProcess],
    groups: dict,
    *,
    rate: int,
    seconds: float,
    start: datetime,
) -> Block:
    marks = [r.count() for r in healthy]
    began = datetime.now(UTC)
    meter = report.cpu_meter(groups)
    with meter:
        load = generator.run(rate=rate, seconds=seconds, start=start)
        wait_for_arrivals(load, healthy, marks)
    lat, missing = [], 0
    for r, m in zip(healthy, marks, strict=True):
        found, lost = latencies(load, [r], since=m)
        lat += found
        missing += lost
    return Block(load, lat, missing, meter, (began, datetime.now(UTC)))


P4_PHASES = ("healthy", "third_alive", "with_dead")


def p4_order(rounds: int) -> list[str]:
    """The three 200/s phases' blocks, in an order reversed every other round (healthy, third
    alive, dead; dead, third alive, healthy; ...): a machine whose speed drifts through the run
    (seen here: the same code's CPU per reading 4.57 then 5.73 ms in two consecutive 10 s phases)
    slows every phase alike, where one phase after the other gave the drift to one of them."""
    return [
        phase for k in range(rounds) for phase in (P4_PHASES if k % 2 == 0 else P4_PHASES[::-1])
    ]


def phase_figures(blocks: list[Block], healthy_endpoints: list) -> tuple[dict, CpuMeter]:
    """One phase's figures from its blocks: latencies pooled, CPU averaged over their time."""
    loads = [b.load for b in blocks]
    posted = sum(load.posted for load in loads)
    lat = [x for b in blocks for x in b.latencies]
    server = [x for load in loads for x in load.server]
    meter = CpuMeter.pooled([b.meter for b in blocks])
    figures = {
        "blocks": len(blocks),
        "readings_posted": posted,
        "readings_stored": sum(len(load.sent_at) for load in loads),
        "post_errors": sum(len(load.errors) for load in loads),
        "achieved_rate": round(posted / sum(load.elapsed for load in loads), 1),
        "answered_rate": round(posted / sum(load.finished for load in loads), 1),
        "late_starts": sum(load.late for load in loads),
        "start_slip_p99_ms": ms(max(load.slip_p99 for load in loads)),
        "connections_opened": sum(load.opened for load in loads),
        "load_generator_cpu_ms_per_request": round(
            1000 * sum(load.cpu_seconds for load in loads) / posted, 3
        ),
        "ingest_p50_ms": ms(percentile(server, 50)),
        "ingest_p99_ms": ms(percentile(server, 99)),
        "deliveries_measured": len(lat),
        "deliveries_missing": sum(b.missing for b in blocks),
        "p50_ms": ms(percentile(lat, 50)),
        "p90_ms": ms(percentile(lat, 90)),
        "p99_ms": ms(percentile(lat, 99)),
        "max_ms": ms(max(lat)) if lat else None,
        "block_p99_ms": [ms(percentile(b.latencies, 99)) for b in blocks],
        "cpu": meter.result,
        "cpu_ms_per_reading": _cpu_per_reading(meter, posted),
        "worker_side": worker_side(healthy_endpoints, [b.window for b in blocks]),
    }
    return figures, meter


def settle_history(report: Report, rows: int) -> None:
    """Give the outbox the history of a server that has run for a while: ``rows`` succeeded
    deliveries (copies of the warm-up's, dated before it), then ``VACUUM ANALYZE``. On a new
    database's empty outbox the worker's statements were planned for a table of a page or two
    and kept that plan while it grew: its results' write (``dispatch._write_postgresql``)
    joined by a sequential scan of the whole outbox, 3,386 buffers and 4-5 ms a statement by
    the end of a run, where a look-up by primary key takes 3 buffers a row (``docs/performance.md``,
    session 28).
    A database that has run for a day has statistics, and autovacuum keeps them; the bench's
    minute is shorter than autovacuum's first visit."""
    from pulsebridge.webhooks.models import Delivery

    table = Delivery._meta.db_table
    with report.db.connect(autocommit=True) as conn:
        have, succeeded = conn.execute(
            f"SELECT count(*), count(*) FILTER (WHERE status = 'succeeded') FROM {table}"
        ).fetchone()
        copies = max(0, -(-(rows - have) // max(succeeded, 1)))  # copies of each succeeded row
        conn.execute(
            f"""
            INSERT INTO {table}
                (id, company_id, event_id, endpoint_id, webhook_id, body, headers, status,
                 attempts, next_attempt_at, claimed_until, first_attempt_at, last_attempt_at,
                 last_status_code, created_at, claim_token, last_error)
            SELECT gen_random_uuid(), company_id, event_id, endpoint_id,
                   'msg_' || replace(gen_random_uuid()::text, '-', ''), body, headers, status,
                   attempts, NULL, NULL, first_attempt_at - g * interval '1 minute',
                   last_attempt_at - g * interval '1 minute', last_status_code,
                   created_at - g * interval '1 minute', '', ''
            FROM {table}, generate_series(1, %s) AS g
            WHERE status = 'succeeded'
            """,
            [copies],
        )
        conn.execute(f"VACUUM ANALYZE {table}")


def run_p4(report: Report, fleet: Fleet) -> None:
    from pulsebridge.webhooks.services import disable_endpoint, enable_endpoint

    healthy = [ReceiverProcess().start() for _ in range(P4_HEALTHY)]
    alive_receiver, dead = ReceiverProcess().start(), ReceiverProcess(hang=True).start()
    for r in [*healthy, alive_receiver, dead]:
        report.cleanup.callback(r.stop)
    healthy_endpoints = [add_endpoint(fleet.company_id, r.url()) for r in healthy]
    worker = WorkerProcess(worker_env(report), report.var_dir / "worker-p4.log").start()
    report.cleanup.callback(worker.stop)
    listening = wait_for_listener(report)
    if not listening:
        report.note(
            "P4: the worker never issued LISTEN (webhooks/wakeup.py) within 30 s: it is woken by "
            "its 0.1 s poll only, and P4 does not measure what ships"
        )

    # Warm-up: every device's first reading (which also announces its activation), the worker's
    # start, the server's connections. Not measured.
    base = datetime(2025, 1, 1, tzinfo=UTC)
    generator = LoadGenerator(report.server.base_url, fleet).start()
    report.cleanup.callback(generator.stop)
    warm = generator.run(rate=P4_RATE, seconds=len(fleet.imeis) / P4_RATE, start=base)
    wait_for_arrivals(warm, healthy, [0] * len(healthy))
    settle_history(report, P4_HISTORY)
    groups = {
        "worker": worker.pids,
        "load generator": lambda: [generator.pid],
        "bench": lambda: [os.getpid(), *(r.pid for r in [*healthy, alive_receiver, dead])],
    }

    blocks: dict[str, list[Block]] = {"light": [], **{phase: [] for phase in P4_PHASES}}
    blocks["light"].append(
        run_block(
            report,
            generator,
            healthy,
            groups,
            rate=P4_LIGHT_RATE,
            seconds=P4_SECONDS,
            start=base + timedelta(days=1),
        )
    )
    # From 20/s to 200/s: the first block at the new rate was the slowest of its run in 5 of 14
    # runs (seen here: p99 78.6 ms where the other blocks gave 13.0 at most), and the first
    # block is always a two-endpoint one. Sent, not measured.
    marks = [r.count() for r in healthy]
    ramp = generator.run(
        rate=P4_RATE, seconds=P4_SECONDS / P4_ROUNDS, start=base + timedelta(days=5)
    )
    wait_for_arrivals(ramp, healthy, marks)
    # A third endpoint, enabled only in its phase's blocks: alive (its own healthy receiver) or
    # dead (a receiver that never answers). Disabled, an endpoint gets no deliveries and no
    # claims, while the requests the dead one already holds hang on until their timeout, as
    # they would after an operator disabled it.
    third = {
        "third_alive": add_endpoint(fleet.company_id, alive_receiver.url()),
        "with_dead": add_endpoint(fleet.company_id, dead.url()),
    }
    for endpoint in third.values():
        disable_endpoint(endpoint, "bench: not its phase")
    for k, phase in enumerate(p4_order(P4_ROUNDS)):
        for name, endpoint in third.items():
            if name == phase and not endpoint.enabled:
                enable_endpoint(endpoint)
            elif name != phase and endpoint.enabled:
                disable_endpoint(endpoint, "bench: not its phase")
        blocks[phase].append(
            run_block(
                report,
                generator,
                healthy,
                groups,
                rate=P4_RATE,
                seconds=P4_SECONDS / P4_ROUNDS,
                start=base + timedelta(days=2 + P4_PHASES.index(phase), hours=k),
            )
        )

    results, meters = {}, {}
    for phase, its_blocks in blocks.items():
        results[phase], meters[phase] = phase_figures(its_blocks, healthy_endpoints)
        r = results[phase]
        if r["post_errors"]:
            errors = [e for b in its_blocks for e in b.load.errors]
            report.note(f"P4 {phase}: {len(errors)} ingest errors, first: {errors[0]}")
        log(
            f"P4 {phase}: p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms, {r['deliveries_missing']} "
            f"missing; p99 of its {r['blocks']} blocks {r['block_p99_ms']} ms "
            f"(ingest request alone: p50 {r['ingest_p50_ms']} ms, p99 {r['ingest_p99_ms']} ms; "
            f"rate reached {r['achieved_rate']}/s, answered {r['answered_rate']}/s, "
            f"{r['late_starts']} started late, slip p99 {r['start_slip_p99_ms']} ms, "
            f"{r['connections_opened']} connections; load generator "
            f"{r['load_generator_cpu_ms_per_request']} ms CPU per request); "
            f"{meters[phase].describe()}; worker side: {r['worker_side']}"
        )
    dead_requests = dead.count()
    worker.stop()

    light, a = results["light"], results["healthy"]
    alive, b = results["third_alive"], results["with_dead"]

    def ratio(x: dict, y: dict, key: str) -> float:
        return x[key] / y[key] if y[key] else float("nan")

    # The verdict on isolation: the third endpoint dead against the same endpoint alive, the
    # same deliveries written per reading (docs/performance.md, session 28); against two
    # endpoints only, the dead one's figure also holds what one more endpoint costs alive.
    slow50, slow99 = ratio(b, alive, "p50_ms"), ratio(b, alive, "p99_ms")
    more50, more99 = ratio(alive, a, "p50_ms"), ratio(alive, a, "p99_ms")
    missing = sum(results[phase]["deliveries_missing"] for phase in P4_PHASES)
    report.add(
        "P4",
        figures={
            **results,
            "rate_target": P4_RATE,
            "healthy_endpoints": P4_HEALTHY,
            "dead_endpoint_requests": dead_requests,
            "slowdown_p50": round(slow50, 3),
            "slowdown_p99": round(slow99, 3),
            "third_endpoint_p50": round(more50, 3),
            "third_endpoint_p99": round(more99, 3),
            "worker_woken_by": "LISTEN/NOTIFY" if listening else "poll (0.1 s)",
            "target_p50_ms": P4_TARGET_P50_MS,
            "target_p99_ms": P4_TARGET_P99_MS,
        },
        rows=[
            Row(
                "P4",
                f"{P4_LIGHT_RATE} readings/s: p50 / p99",
                f"{light['p50_ms']:.1f} / {light['p99_ms']:.1f} ms",
                f"ingest alone {light['ingest_p50_ms']:.1f} / {light['ingest_p99_ms']:.1f} ms",
                "",
                "woken by " + ("LISTEN/NOTIFY" if listening else "the poll only"),
            ),
            Row(
                "P4",
                "two endpoints: p50",
                fmt_ms(a["p50_ms"]),
                f"{P4_TARGET_P50_MS:.0f} ms",
                f"{a['p50_ms'] / P4_TARGET_P50_MS:.2f}x",
                verdict(a["p50_ms"] <= P4_TARGET_P50_MS),
            ),
            Row(
                "P4",
                "two endpoints: p99",
                fmt_ms(a["p99_ms"]),
                f"{P4_TARGET_P99_MS:.0f} ms",
                f"{a['p99_ms'] / P4_TARGET_P99_MS:.2f}x",
                verdict(a["p99_ms"] <= P4_TARGET_P99_MS),
            ),
            Row(
                "P4",
                "a third endpoint, alive: p50 / p99",
                f"{alive['p50_ms']:.1f} / {alive['p99_ms']:.1f} ms",
                "two endpoints",
                f"{more50:.2f}x / {more99:.2f}x",
                "",
            ),
            Row(
                "P4",
                "the third endpoint dead: p50",
                fmt_ms(b["p50_ms"]),
                "third alive",
                f"{slow50:.2f}x",
                verdict(slow50 <= P4_MAX_SLOWDOWN or b["p50_ms"] - alive["p50_ms"] < 5),
            ),
            Row(
                "P4",
                "the third endpoint dead: p99",
                fmt_ms(b["p99_ms"]),
                "third alive",
                f"{slow99:.2f}x",
                verdict(slow99 <= P4_MAX_SLOWDOWN or b["p99_ms"] - alive["p99_ms"] < 10),
            ),
            Row(
                "P4",
                "the third endpoint dead: p50 / p99",
                f"{b['p50_ms']:.1f} / {b['p99_ms']:.1f} ms",
                "two endpoints",
                f"{ratio(b, a, 'p50_ms'):.2f}x / {ratio(b, a, 'p99_ms'):.2f}x",
                "",
            ),
            Row(
                "P4",
                "CPU per reading (server + postgres + worker): two; third alive; third dead",
                "; ".join(_describe_cpu(results[phase]) for phase in P4_PHASES),
                "two endpoints",
                " / ".join(
                    f"{results[phase]['cpu_ms_per_reading']['total'] / a['cpu_ms_per_reading']['total']:.2f}x"
                    for phase in P4_PHASES[1:]
                )
                if a["cpu_ms_per_reading"]["total"]
                else "",
                "",
            ),
            Row("P4", "deliveries missing", str(missing), "0", "", verdict(missing == 0)),
        ],
        limits=p4_limits(meters["with_dead"].result),
    )
    report.note(
        f"P4: {P4_LIGHT_RATE}, then {P4_RATE} readings/s for {P4_SECONDS:.0f} s in each of three "
        f"phases: {P4_HEALTHY} healthy Pylo endpoints; the same and a third, alive; the same and "
        f"the third dead (a receiver that takes requests and never answers); in {P4_ROUNDS} "
        "blocks each, their order reversed every other round; one reading per request; latency "
        "from the start of the ingest request to the two healthy receivers. The dead endpoint "
        f"took {dead_requests} requests (its per-endpoint bound per timeout). Its verdict is "
        "against the third endpoint alive (the same deliveries written per reading); a slowdown "
        "within 5 ms (p50) / 10 ms (p99) counts as met: below that, the ratio is noise."
    )


def _cpu_per_reading(meter: CpuMeter, readings: int) -> dict[str, float]:
    """CPU milliseconds per reading posted in a phase: the server's, PostgreSQL's (every
    backend, the worker's included) and the worker's, and their sum. What the dead endpoint
    costs shows here even when the latencies are lost in the machine's swings (a saturated
    phase's latency grows with any extra CPU, a quiet one's hardly)."""
    if not readings:
        return {"server": 0.0, "postgres": 0.0, "worker": 0.0, "total": 0.0}
    per = {
        name: round(meter.result.get(name, 0.0) * meter.wall / readings * 1000, 3)
        for name in ("server", "postgres", "worker")
    }
    per["total"] = round(sum(per.values()), 3)
    return per


def _describe_cpu(phase: dict) -> str:
    c = phase["cpu_ms_per_reading"]
    return f"{c['server']:.2f} + {c['postgres']:.2f} + {c['worker']:.2f} = {c['total']:.2f} ms"


def p4_limits(cpu: dict[str, float]) -> str:
    busy = cpu.get("machine", 0.0)
    cores = os.cpu_count() or 1
    return (
        f"the machine: {busy:.2f} of {cores} cores busy (server {cpu.get('server', 0):.2f}, "
        f"postgres {cpu.get('postgres', 0):.2f}, worker {cpu.get('worker', 0):.2f}, "
        f"load generator {cpu.get('load generator', 0):.2f}, receivers + bench "
        f"{cpu.get('bench', 0):.2f}, other {cpu.get('other', 0):.2f}); "
        "latency = ingest request + notification (LISTEN/NOTIFY at commit) + claim + send"
    )


# --------------------------------------------------------------------------- P5


def fill_outbox(company_id: str, endpoints: list, count: int, label: str) -> None:
    """``count`` due deliveries spread over ``endpoints``, written straight to the outbox with a
    realistic Pylo-sized body (~700 bytes)."""
    from django.db import transaction
    from django.utils import timezone

    from pulsebridge.webhooks.models import Delivery, Event

    now = timezone.now()
    body = json.dumps({"event": "DEVICE_MEASUREMENT", "data": "x" * 640, "signature": "0" * 64})
    with transaction.atomic():
        for offset in range(0, count, 5000):
            n = min(5000, count - offset)
            events = [
                Event(
                    company_id=company_id,
                    type="DEVICE_MEASUREMENT",
                    created_at=now,
                    subject_id=f"{label}-{offset + i}",
                )
                for i in range(n)
            ]
            Event.objects.bulk_create(events)
            deliveries = []
            for i, event in enumerate(events):
                d = Delivery(
                    company_id=company_id,
                    event=event,
                    endpoint=endpoints[(offset + i) % len(endpoints)],
                    body=body,
                    next_attempt_at=now,
                    created_at=now,
                )
                d.webhook_id = f"msg_{d.id.hex}"
                deliveries.append(d)
            Delivery.objects.bulk_create(deliveries)


def _ticks(pid: int) -> int:
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()  # noqa: SIM115
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime


def drain(report: Report, receiver: Receiver, count: int, label: str) -> dict:
    """Start one worker on a full outbox; count the rate at the receiver and the worker's CPU
    from the first arrival to the last (its start-up is not counted)."""
    from pulsebridge.webhooks.models import Delivery

    worker = WorkerProcess(worker_env(report), report.var_dir / f"worker-{label}.log")
    start = len(receiver.arrivals)
    worker.start()
    report.cleanup.callback(worker.stop)
    deadline = time.monotonic() + 30
    while len(receiver.arrivals) == start and time.monotonic() < deadline:
        time.sleep(0.01)
    meter = report.cpu_meter({"worker": worker.pids, "bench": lambda: [os.getpid()]})
    ticks0, n0 = _ticks(worker.process.pid), len(receiver.arrivals) - start
    with meter:
        deadline = time.monotonic() + P5_SECONDS
        while time.monotonic() < deadline and len(receiver.arrivals) - start < count:
            time.sleep(0.02)
        ticks1, n1 = _ticks(worker.process.pid), len(receiver.arrivals) - start
    time.sleep(0.5)  # the last results are written
    worker.stop()
    got = receiver.arrivals[start:]
    span = got[-1][0] - got[0][0] if len(got) > 1 else 0.0
    rate = (len(got) - 1) / span if span else 0.0
    cpu_seconds = (ticks1 - ticks0) / os.sysconf("SC_CLK_TCK")
    succeeded = Delivery.objects.filter(
        status="succeeded", event__subject_id__startswith=f"{label}-"
    ).count()
    return {
        "deliveries": count,
        "received": len(got),
        "seconds": round(span, 2),
        "per_second": round(rate, 1),
        "succeeded": succeeded,
        "worker_cpu_ms_per_delivery": round(cpu_seconds / max(n1 - n0, 1) * 1000, 3),
        "cpu": meter.result,
        "describe": meter.describe(),
    }


def bare(receiver: Receiver, urls: list[str], count: int, mode: str, per_url: int) -> dict | None:
    """P5's ceiling: the same POSTs from one process with none of the worker's work
    (``bench/bare_sender.py``), counted at the same receiver in the same way."""
    start = len(receiver.arrivals)
    done = subprocess.run(
        [sys.executable, "-m", "bench.bare_sender", mode, str(count), str(per_url), *urls],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=P5_SECONDS + 60,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"bench.bare_sender {mode} failed:\n{done.stderr[-2000:]}")
    own = json.loads(done.stdout.strip().splitlines()[-1])
    if own.get("missing"):
        return None
    got = receiver.arrivals[start:]
    span = got[-1][0] - got[0][0] if len(got) > 1 else 0.0
    rate = (len(got) - 1) / span if span else 0.0
    return {
        "mode": mode,
        "sent": count,
        "received": len(got),
        "per_second": round(rate, 1),
        "cpu_ms_per_request": round(own["cpu_seconds"] / max(count, 1) * 1000, 3),
    }


def run_p5(report: Report, fleet: Fleet) -> None:
    from pulsebridge.webhooks.models import WebhookEndpoint
    from pulsebridge.webhooks.services import disable_endpoint

    # P4's endpoints are done; the dead one's pending deliveries fail with it.
    for endpoint in WebhookEndpoint.objects.filter(company_id=fleet.company_id, enabled=True):
        disable_endpoint(endpoint, "bench: P4 is over")
    receiver = Receiver().start()
    report.cleanup.callback(receiver.stop)
    count = P5_DELIVERIES if not getattr(report.args, "quick", False) else P5_DELIVERIES // 4
    spread = [add_endpoint(fleet.company_id, receiver.url(f"/p5/{i}")) for i in range(8)]
    fill_outbox(fleet.company_id, spread, count, "p5")
    many = drain(report, receiver, count, "p5")
    log(f"P5 (8 endpoints): {many['per_second']} deliveries/s; {many['describe']}")
    per_url = getattr(report.args, "p5_per_endpoint", None) or 8
    urls = [receiver.url(f"/p5/{i}") for i in range(8)]
    ceilings = {
        mode: bare(receiver, urls, count, mode, per_url)
        for mode in ("httpcore", "streams", "httpx", "raw")
    }
    streams = ceilings.pop("streams")  # None: the tree benched has no streams module
    if streams is not None:
        ceilings["streams"] = streams
    for mode, c in ceilings.items():
        log(
            f"P5 ceiling ({mode}, 8 endpoints, {per_url} in flight each): {c['per_second']} "
            f"requests/s, {c['cpu_ms_per_request']} ms CPU per request"
        )
    for endpoint in spread:
        disable_endpoint(endpoint, "bench: next phase")
    single = [add_endpoint(fleet.company_id, receiver.url("/p5/single"))]
    fill_outbox(fleet.company_id, single, count // 4, "p5single")
    one = drain(report, receiver, count // 4, "p5single")
    log(f"P5 (1 endpoint): {one['per_second']} deliveries/s; {one['describe']}")
    cores = os.cpu_count() or 1
    cpu_ms = many["worker_cpu_ms_per_delivery"]
    per_core = 1000 / cpu_ms if cpu_ms else float("nan")
    ceiling = ceilings["httpcore"]["per_second"]
    ratio = many["per_second"] / ceiling if ceiling else 0.0
    raw_ratio = ceiling / ceilings["raw"]["per_second"] if ceilings["raw"]["per_second"] else 0.0
    httpx_ratio = ceilings["httpx"]["per_second"] / ceiling if ceiling else 0.0
    bare_ms = ceilings["httpcore"]["cpu_ms_per_request"]
    report.add(
        "P5",
        figures={
            "eight_endpoints": many,
            "one_endpoint": one,
            "worker_deliveries_per_cpu_second": round(per_core, 1),
            "ceilings": ceilings,
            "ratio_to_bare_httpcore": round(ratio, 3),
            "target_ratio_to_bare_httpcore": P5_TARGET_RATIO,
        },
        rows=[
            Row(
                "P5",
                "ceiling: bare httpcore POST loop",
                f"{fmt_int(ceiling)}/s ({bare_ms:.2f} ms CPU each)",
                "worker, 8 endpoints",
                f"{ratio:.2f}",
                f"{verdict(ratio >= P5_TARGET_RATIO)} (>= {P5_TARGET_RATIO})",
            ),
            *(
                [
                    Row(
                        "P5",
                        "bare httpcore loop on the worker's asyncio streams",
                        f"{fmt_int(streams['per_second'])}/s "
                        f"({streams['cpu_ms_per_request']:.2f} ms CPU each)",
                        "worker CPU per delivery",
                        f"{streams['cpu_ms_per_request'] / cpu_ms:.2f}" if cpu_ms else "",
                        "the worker's own work alone (CPU ratio)",
                    )
                ]
                if streams is not None
                else []
            ),
            Row(
                "P5",
                "bare httpx POST loop (httpx's layers over httpcore)",
                f"{fmt_int(ceilings['httpx']['per_second'])}/s "
                f"({ceilings['httpx']['cpu_ms_per_request']:.2f} ms CPU each)",
                "bare httpcore",
                f"{httpx_ratio:.2f}",
                "what the worker no longer pays",
            ),
            Row(
                "P5",
                "ceiling: raw asyncio streams, no library",
                f"{fmt_int(ceilings['raw']['per_second'])}/s "
                f"({ceilings['raw']['cpu_ms_per_request']:.2f} ms CPU each)",
                "bare httpcore",
                f"{raw_ratio:.2f}",
                "httpcore's share",
            ),
            Row(
                "P5",
                "deliveries/s, 1 worker, 8 endpoints",
                fmt_int(many["per_second"]),
                f"{P5_TARGET:,}/s",
                f"{many['per_second'] / P5_TARGET:.2f}x",
                verdict(many["per_second"] >= P5_TARGET),
            ),
            Row(
                "P5",
                "deliveries/s, 1 worker, 1 endpoint",
                fmt_int(one["per_second"]),
                "8 endpoints",
                f"{one['per_second'] / many['per_second']:.2f}x" if many["per_second"] else "",
                "",
            ),
            Row(
                "P5",
                "worker CPU per delivery",
                f"{cpu_ms:.2f} ms",
                f"bare httpcore {bare_ms:.2f} ms per request",
                f"{bare_ms / cpu_ms:.0%} of it is httpcore's" if cpu_ms else "",
                "steadier than the rates on a shared machine",
            ),
            Row(
                "P5",
                "deliveries per worker CPU-second",
                fmt_int(per_core),
                f"{P5_TARGET:,}/s",
                f"{per_core / P5_TARGET:.2f}x",
                "",
            ),
        ],
        limits=(
            f"the worker process (one Python thread for HTTP, one for the database): "
            f"{many['cpu'].get('worker', 0):.2f} cores; machine {many['cpu'].get('machine', 0):.2f}/{cores}; "
            f"postgres {many['cpu'].get('postgres', 0):.2f}"
        ),
    )
    report.note(
        f"P5: {count:,} deliveries (~700-byte bodies) written to the outbox, then one `pulsebridge "
        "worker` (concurrency 64, 8 in flight per endpoint) started; the rate is counted at the "
        "receiver from first to last arrival. One endpoint: bounded by its 8 requests in flight."
    )


# --------------------------------------------------------------------------- entry points


def run(report: Report) -> None:
    """P4 and P5, for the bench runner (``report.server`` and ``report.db`` are running)."""
    fleet = prepare_fleet(devices=100)
    only = getattr(report.args, "only", None) or {"P4", "P5"}
    if "P4" in only:
        run_p4(report, fleet)
    if "P5" in only:
        run_p5(report, fleet)


if __name__ == "__main__":
    from .__main__ import main

    sys.exit(main(["--only", "P4,P5", *sys.argv[1:]]))
