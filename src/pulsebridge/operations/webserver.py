"""The one gunicorn configuration: what ``pulsebridge serve`` runs and what the bench measures.

``bench/`` imports :func:`gunicorn_options` to start its servers, so a figure in
``docs/performance.md`` is always a figure of this configuration (see its "Server
configuration" section for the measurement that chose it).

Why ``gthread`` and not gunicorn's default ``sync`` workers: a sync worker serves one connection
at a time, from the first byte of the request to the last byte of the answer, and closes it
afterwards. Devices on cellular links are slow clients; without a buffering proxy in front
(nginx, HAProxy: docs/deployment.md), one of them dribbling its body holds a whole worker
process, and a few of them hold all of them. A gthread worker hands each request to one of
``THREADS`` threads and parks idle keep-alive connections in its poller, so a slow client holds
one thread, and a client sending one reading after another reuses its connection instead of
paying a TCP handshake each time (sync workers do not keep connections alive)."""

from __future__ import annotations

import os

WORKER_CLASS = "gthread"
# Threads per worker process: enough to overlap the waits on PostgreSQL of a one-reading
# request with another request's Python; more only add GIL contention (measured: see
# docs/performance.md, "Server configuration").
THREADS = 4
# Idle keep-alive connections wait in the worker's poller, not in a thread: cheap. Longer than a
# device's gap between two readings in a burst, so a burst reuses one connection.
KEEP_ALIVE_SECONDS = 30
# The heartbeat after which the master kills a worker stuck in a request. No request of ours
# should come near it; it is not a request timeout for clients.
TIMEOUT_SECONDS = 60
GRACEFUL_TIMEOUT_SECONDS = 10
BACKLOG = 2048


def default_workers() -> int:
    """WEB_CONCURRENCY if set, else gunicorn's rule of thumb: 2 per core + 1."""
    configured = os.environ.get("WEB_CONCURRENCY", "").strip()
    if configured:
        try:
            return max(1, int(configured))
        except ValueError:
            raise ValueError(f"WEB_CONCURRENCY={configured!r} is not a number") from None
    return 2 * (os.cpu_count() or 1) + 1


def gunicorn_options(
    *, workers: int, threads: int = THREADS, worker_class: str = WORKER_CLASS
) -> list[str]:
    """gunicorn's command-line options of this configuration (everything but the application
    and the address). ``worker_class`` is for the bench's comparison (``--worker-class sync``);
    a sync worker has one thread (gunicorn turns a sync worker with more into gthread)."""
    if worker_class == "sync":
        threads = 1
    return [
        "--workers",
        str(workers),
        "--worker-class",
        worker_class,
        "--threads",
        str(threads),
        "--keep-alive",
        str(KEEP_ALIVE_SECONDS),
        "--timeout",
        str(TIMEOUT_SECONDS),
        "--graceful-timeout",
        str(GRACEFUL_TIMEOUT_SECONDS),
        "--backlog",
        str(BACKLOG),
        # gunicorn's most (its default, 4,094, is below MAX_QUERY_STRING_BYTES plus a path): a
        # query string over that limit reaches Django and is refused in the dialect's JSON
        "--limit-request-line",
        "8190",
        # Its control socket lives at one path per user (~/.gunicorn/gunicorn.ctl): two servers
        # on one machine (a test beside `make run`, the bench's two) would fight over it. Unused.
        *(["--no-control-socket"] if _gunicorn_knows("control_socket_disable") else []),
    ]


def _gunicorn_knows(setting: str) -> bool:
    from gunicorn.config import KNOWN_SETTINGS

    return any(known.name == setting for known in KNOWN_SETTINGS)
