"""Where a webhook delivery's CPU goes in the worker, in-process (P5's question).

``python -m bench.webhooks_profile [N] [--rounds R] [--endpoints E] [--profile]`` writes N due
deliveries (2,000) over E endpoints (8) to the outbox of the database ``DATABASE_URL`` names (a
migrated database of your own, never the bench's), drains them R times (3) with a
``Worker(once=True)`` in this process to a receiver in another process (``bench.webhooks``'s,
on 127.0.0.1), and prints per delivery: this process's CPU (both of the worker's threads), the
database thread's share split into claims and result writes (``time.thread_time`` around
``dispatch.claim`` and ``dispatch.record``), and the SQL statements of 64 deliveries sent by
``deliver_due``. With ``--profile`` one more round runs under cProfile in the
event-loop thread and in the database thread (CPU clock; profiling inflates Python-heavy code,
read the shares). Compare two versions of the code in the same sitting (``PYTHONPATH=<other
src>``, alternated). docs/performance.md ("P5: the worker's own work") has the figures."""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import statistics
import threading
import time

COMPANY = "webhooks-profile"


def _setup():
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pulsebridge.settings")
    os.environ["WEBHOOK_ALLOW_PRIVATE_NETWORKS"] = "true"  # the receiver is on 127.0.0.1
    django.setup()


def _endpoints(receiver, count: int) -> list:
    from django.test import override_settings

    from pulsebridge.core.models import Company
    from pulsebridge.webhooks.models import WebhookEndpoint
    from pulsebridge.webhooks.services import create_endpoint

    company, _ = Company.objects.get_or_create(code=COMPANY, defaults={"name": "Webhooks profile"})
    WebhookEndpoint.objects.filter(company=company).update(enabled=False)
    with override_settings(WEBHOOK_ALLOW_PRIVATE_NETWORKS=True):
        return [
            create_endpoint(
                company, receiver.url(f"/p/{i}"), "bench-secret", "pylo", ["DEVICE_MEASUREMENT"]
            )
            for i in range(count)
        ]


class Timed:
    """``dispatch.claim`` and ``dispatch.record`` wrapped: the database thread's CPU in each."""

    def __init__(self, dispatch, profile: cProfile.Profile | None):
        self.dispatch, self.profile = dispatch, profile
        self.cpu = {"claim": 0.0, "record": 0.0}
        self.calls = {"claim": 0, "record": 0}
        self._saved = {}

    def __enter__(self):
        for name in self.cpu:
            original = self._saved[name] = getattr(self.dispatch, name)
            setattr(self.dispatch, name, self._wrap(name, original))
        return self

    def _wrap(self, name, original):
        def timed(*args, **kwargs):
            if self.profile is not None and threading.current_thread().name.startswith(
                "webhooks-db"
            ):
                self.profile.enable()
            started = time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                self.cpu[name] += time.thread_time() - started
                self.calls[name] += 1
                if self.profile is not None:
                    self.profile.disable()

        return timed

    def __exit__(self, *exc):
        for name, original in self._saved.items():
            setattr(self.dispatch, name, original)


def _round(args, receiver, endpoints, profile_loop=None, profile_db=None) -> dict:
    from django.db import connection

    from bench.webhooks import fill_outbox
    from pulsebridge.webhooks import dispatch

    fill_outbox(str(endpoints[0].company_id), endpoints, args.n, f"prof-{time.time_ns()}")
    connection.close()
    before_received = receiver.count()
    with Timed(dispatch, profile_db) as timed:
        worker = dispatch.Worker(once=True, listen=False)

        async def run():
            if profile_loop is not None:
                profile_loop.enable()
            try:
                return await worker.run()
            finally:
                if profile_loop is not None:
                    profile_loop.disable()

        started = time.process_time()
        sent = asyncio.run(run())
        cpu = time.process_time() - started
    received = receiver.count() - before_received
    assert sent == args.n, (sent, args.n)
    assert received == args.n, (received, args.n)
    return {
        "cpu_ms": cpu / sent * 1000,
        "claim_ms": timed.cpu["claim"] / sent * 1000,
        "record_ms": timed.cpu["record"] / sent * 1000,
        "claims": timed.calls["claim"],
        "records": timed.calls["record"],
    }


def _bare(args, receiver) -> float:
    """CPU per request of ``bench.bare_sender httpcore`` to the same receiver (8 in flight per
    URL, as the worker's bound): P5's ceiling."""
    import json
    import subprocess
    import sys

    urls = [receiver.url(f"/p/{i}") for i in range(args.endpoints)]
    done = subprocess.run(
        [sys.executable, "-m", "bench.bare_sender", "httpcore", str(args.n), "8", *urls],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])["cpu_seconds"] / args.n * 1000


def _statements(args, receiver, endpoints) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.webhooks import fill_outbox
    from pulsebridge.webhooks import dispatch

    fill_outbox(str(endpoints[0].company_id), endpoints, 64, f"prof-sql-{time.time_ns()}")
    with CaptureQueriesContext(connection) as queries:
        dispatch.deliver_due(concurrency=64)
    return [" ".join(q["sql"].split())[:110] for q in queries.captured_queries]


def _print_profile(title: str, profile: cProfile.Profile, limit: int) -> None:
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("cumulative").print_stats(limit)
    print(f"\n--- {title} (cumulative) ---")
    print("\n".join(out.getvalue().splitlines()[: limit + 12]))
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(limit)
    print(f"\n--- {title} (own time) ---")
    print("\n".join(out.getvalue().splitlines()[: limit + 12]))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.webhooks_profile")
    parser.add_argument("n", nargs="?", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--endpoints", type=int, default=8)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--limit", type=int, default=35, help="rows of each profile table")
    parser.add_argument(
        "--dump", metavar="PREFIX", help="also write the profiles to PREFIX.loop/.db"
    )
    args = parser.parse_args()
    _setup()
    from bench.webhooks import ReceiverProcess

    receiver = ReceiverProcess().start()
    try:
        endpoints = _endpoints(receiver, args.endpoints)
        _round(argparse.Namespace(n=200), receiver, endpoints)  # warm: imports, connections
        rounds = []
        for _ in range(args.rounds):  # the worker, then the bare loop, in turn
            rounds.append(_round(args, receiver, endpoints))
            rounds[-1]["bare_ms"] = _bare(args, receiver)
            rounds[-1]["ratio"] = rounds[-1]["bare_ms"] / rounds[-1]["cpu_ms"]
        for key, label in (
            ("bare_ms", "bare httpcore loop CPU per request"),
            ("ratio", "bare loop's CPU / worker's (x1000)"),
            ("cpu_ms", "worker process CPU per delivery"),
            ("claim_ms", "  database thread: claims"),
            ("record_ms", "  database thread: result writes"),
        ):
            values = [r[key] for r in rounds]
            print(
                f"{label:40s} median {statistics.median(values):.3f} ms, "
                f"best {min(values):.3f} ms  ({', '.join(f'{v:.3f}' for v in values)})"
            )
        last = rounds[-1]
        print(f"{'claims / result writes per round':40s} {last['claims']} / {last['records']}")
        statements = _statements(args, receiver, endpoints)
        print(f"64 deliveries by deliver_due: {len(statements)} SQL statements")
        for sql in statements:
            print(f"  {sql}")
        if args.profile:
            loop, db = cProfile.Profile(time.thread_time), cProfile.Profile(time.thread_time)
            _round(args, receiver, endpoints, loop, db)
            _print_profile("event-loop thread", loop, args.limit)
            _print_profile("database thread", db, args.limit)
            if args.dump:
                loop.dump_stats(f"{args.dump}.loop")
                db.dump_stats(f"{args.dump}.db")
    finally:
        receiver.stop()


if __name__ == "__main__":
    main()
