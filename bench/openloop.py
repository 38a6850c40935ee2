"""An open-loop load on raw asyncio streams (HTTP/1.1 keep-alive), for P4 and P9.

Request i starts at t0 + i/rate whatever the others do: on a free connection of the pool, else
on a new one (up to ``max_connections``), else it waits for one and counts as late. A closed
loop (each connection sending its next request when the last is answered, as wrk does) measures
the latency of a saturated server, which depends on the number of connections; an open loop
measures the latency at a given rate. The requests are prepared bytes, so the generator costs
little CPU (bench/README.md has its figures)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections import deque
from dataclasses import dataclass, field

from .common import percentile

LATE_AFTER = 0.005  # seconds past its scheduled start after which a request counts as late


@contextlib.contextmanager
def no_collector_pauses():
    """The collector kept out of the run: what lives already is frozen, and nothing is collected
    until the run ends. A full collection of the bench's process (Django and the apps loaded,
    none of it frozen) paused the loop with answers waiting to be read: those pauses were in the
    measured latencies and late starts, the load generator's and not the server's (P9;
    docs/performance.md has the figures). A run's garbage is bounded by its count. What was
    frozen before stays frozen (the collector cannot thaw only part of it)."""
    enabled, thaw = gc.isenabled(), gc.get_freeze_count() == 0
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        if thaw:
            gc.unfreeze()
        if enabled:
            gc.enable()
        gc.collect()


class Answer(Exception):
    """An answer other than 200."""


@dataclass
class Run:
    answers: list[tuple[float, float, bytes]] = field(default_factory=list)  # start, took, body
    errors: list[str] = field(default_factory=list)
    posted: int = 0
    elapsed: float = 0.0  # t0 to the last request's start + one interval: posted / elapsed
    late: int = 0  # requests that started more than LATE_AFTER after their scheduled time
    slip_p99: float = 0.0  # seconds, actual start - scheduled start
    opened: int = 0  # connections opened (the pool's first ones included)
    finished: float = 0.0  # t0 to the last answer: posted / finished = the rate answered


class Pool:
    """Keep-alive connections to one server: a free one, else a new one up to
    ``max_connections``, else wait for one to be released (the request then starts late)."""

    def __init__(self, host: str, port: int, max_connections: int):
        self.host, self.port, self.max_connections = host, port, max_connections
        # Free connections are reused in turn, the longest idle first: the server's worker
        # processes each hold some of them, so the load spreads over them as many clients' would.
        # The most recently freed first (a stack) kept sending on the same one or two
        # connections, so into one process, whose GIL then queued them with cores idle.
        self.idle: deque[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = deque()
        self.freed: asyncio.Queue = asyncio.Queue()  # None: the waiter opens a new one
        self.open = self.opened = self.waiting = 0

    async def connect(self):
        self.open += 1
        self.opened += 1
        try:
            return await asyncio.open_connection(self.host, self.port)
        except BaseException:
            self.open -= 1
            raise

    async def acquire(self):
        if self.idle:
            return self.idle.popleft()
        if self.open < self.max_connections:
            return await self.connect()
        self.waiting += 1
        try:
            connection = await self.freed.get()
        finally:
            self.waiting -= 1
        return connection if connection is not None else await self.connect()

    def release(self, connection, keep: bool) -> None:
        if not keep:
            self.open -= 1
            connection[1].close()
            connection = None
        if self.waiting:
            self.freed.put_nowait(connection)
        elif connection is not None:
            self.idle.append(connection)

    def close(self) -> None:
        for _, writer in self.idle:
            writer.close()


async def exchange(reader, writer, request: bytes) -> tuple[bytes, bool]:
    """One request on a keep-alive connection: its answer's body, and whether the connection
    may be kept. An answer other than 200 raises ``Answer``."""
    writer.write(request)
    lines = (await reader.readuntil(b"\r\n\r\n")).split(b"\r\n")
    status = lines[0].split(b" ", 2)
    length, chunked, keep = 0, False, True
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name, value = name.strip().lower(), value.lower()
        if name == b"content-length":
            length = int(value)
        chunked = chunked or (name == b"transfer-encoding" and b"chunked" in value)
        keep = keep and not (name == b"connection" and b"close" in value)
    if chunked:
        data = b""
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            data += (await reader.readexactly(size + 2))[:-2]
        await reader.readuntil(b"\r\n")
    else:
        data = await reader.readexactly(length)
    if len(status) < 2 or status[1] != b"200":
        raise Answer(f"HTTP {b' '.join(status[1:]).decode(errors='replace')}: {data[:200]!r}")
    return data, keep


async def open_loop(
    host: str,
    port: int,
    requests: list[bytes],
    rate: float,
    *,
    connections: int,
    max_connections: int,
    timeout: float,
) -> Run:
    """Send ``requests`` at ``rate`` per second, ``connections`` opened before the first; each
    bounded by ``timeout``."""
    with no_collector_pauses():
        pool = Pool(host, port, max_connections)
        run = Run(posted=len(requests))
        slips: list[float] = []
        latest = [0.0]  # the last actual start

        async def post(i: int, scheduled: float) -> None:
            t = scheduled
            connection = None
            try:
                async with asyncio.timeout(timeout):
                    connection = await pool.acquire()
                    t = time.monotonic()
                    data, keep = await exchange(*connection, requests[i])
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError,
                    ValueError, Answer) as exc:  # fmt: skip
                run.errors.append(repr(exc)[:300])
                if connection is not None:
                    pool.release(connection, keep=False)
                return
            finally:
                slips.append(t - scheduled)
                latest[0] = max(latest[0], t)
            pool.release(connection, keep)
            run.answers.append((t, time.monotonic() - t, data))

        opened = await asyncio.gather(
            *(pool.connect() for _ in range(connections)), return_exceptions=True
        )
        for connection in opened:
            if isinstance(connection, BaseException):
                run.errors.append(f"connect: {connection!r}")
            else:
                pool.idle.append(connection)
        tasks = []
        t0 = time.monotonic()
        for i in range(len(requests)):
            scheduled = t0 + i / rate
            delay = scheduled - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(post(i, scheduled)))
        await asyncio.gather(*tasks)  # each bounded by timeout
        run.finished = time.monotonic() - t0
        pool.close()
        count = len(requests)
        run.elapsed = max(t0 + (count - 1) / rate, latest[0]) - t0 + 1 / rate if count else 0.0
        run.late = sum(1 for s in slips if s > LATE_AFTER)
        run.slip_p99 = percentile(slips, 99) if slips else 0.0
        run.opened = pool.opened
        return run
