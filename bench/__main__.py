"""``python -m bench [--only P1,P2,P3] [--rows N] [--quick]``: one run, one table, one JSON.

Creates a throw-away PostgreSQL database, migrates it, starts gunicorn on 127.0.0.1, runs the
scenarios, prints the figures with their ratios, writes ``bench/results/<timestamp>.json``, and
always stops the server and drops the database (on error, Ctrl-C and SIGTERM too)."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import subprocess
import sys
import time
import traceback
from pathlib import Path

from .common import (
    CORES,
    CpuMeter,
    Database,
    Interrupted,
    Report,
    Row,
    Server,
    cpu_probe,
    django_environment,
    ensure_postgres,
    install_signal_handlers,
    log,
    machine_meta,
    private_var_dir,
    readings_the_disk_allows,
    redis_for,
    setup_django,
)

# P3's table in a full run (issue 17), cut to what the disk holds
FULL_ROWS = 100_000_000
# Scenarios other owners write as ``bench/<module>.py`` with ``run(report)``: run when selected
# and present, skipped with a note otherwise. (label, module, the --only keys that select it)
OPTIONAL = (
    ("P4/P5", "webhooks", {"P4", "P5"}),
    ("P6", "hayylo", {"P6"}),
    ("P7", "ping", {"P7"}),
    ("TENOVI", "tenovi", {"TENOVI"}),
    ("FHIR", "fhir", {"FHIR"}),
    ("CONSOLE", "console", {"CONSOLE"}),
    ("BILLING/ALERTS", "clinical", {"BILLING", "ALERTS"}),
    ("P9", "tokens", {"P9"}),
    ("P10", "orders", {"P10"}),
)
SCENARIOS = (
    *("P1", "P2", "P3", "P4", "P5", "P6", "P7", "TENOVI", "FHIR", "CONSOLE"),
    *("BILLING", "ALERTS", "P9", "P10"),
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument(
        "--only",
        default="",
        help="comma-separated scenarios (P1,P2,P3 here; P4,P5 bench/webhooks.py, P6 "
        "bench/hayylo.py, P7 bench/ping.py, TENOVI bench/tenovi.py, FHIR bench/fhir.py, "
        "CONSOLE bench/console.py, P9 bench/tokens.py, P10 bench/orders.py); "
        "default: all",
    )
    p.add_argument("--quick", action="store_true", help="a short run: 1M rows, shorter loads")
    p.add_argument(
        "--rows",
        type=int,
        default=None,
        help="P3 table size (default 100,000,000, or the most the disk allows, printed; "
        "--quick: 1,000,000)",
    )
    p.add_argument("--hot", type=int, default=25_000, help="P3 target patient's readings")
    p.add_argument("--deep-page", type=int, default=20, help="P3 deep page number")
    p.add_argument("--p3-samples", type=int, default=100, help="P3 requests per page")
    p.add_argument("--p3-seconds", type=float, default=60.0, help="P3 timing bound")
    p.add_argument(
        "--keep-db",
        action="store_true",
        help="debugging: do not drop the database at the end (its name is printed)",
    )
    p.add_argument(
        "--src",
        default=None,
        help="serve the pulsebridge package from this src/ directory instead of the working "
        "tree (e.g. a `git archive HEAD src` copy, to bench committed code while others edit)",
    )
    p.add_argument(
        "--console-samples", type=int, default=60, help="CONSOLE requests per page (p50/p95)"
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="gunicorn worker processes (default: what `pulsebridge serve` starts: "
        "WEB_CONCURRENCY, else 2 per core + 1)",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="gunicorn threads per worker (default: `pulsebridge serve`'s, "
        "pulsebridge/operations/webserver.py)",
    )
    p.add_argument(
        "--worker-class",
        choices=("gthread", "sync"),
        default=None,
        help="compare gunicorn worker classes (default: `pulsebridge serve`'s, gthread)",
    )
    p.add_argument(
        "--redis",
        default="auto",
        help="REDIS_URL for the server's throttle counters, as DESIGN.md has it past one "
        "machine; 'auto': redis://127.0.0.1:6379/15 if it answers; 'off': count in PostgreSQL",
    )
    p.add_argument("--devices", type=int, default=1000, help="P1/P2 devices")
    p.add_argument("--p1-readings", type=int, default=None, help="P1 readings (200,000)")
    p.add_argument("--p1-seconds", type=float, default=None, help="P1 time bound (30 s)")
    p.add_argument("--p1-clients", type=int, default=4, help="P1 concurrent connections")
    p.add_argument("--p2-seconds", type=float, default=None, help="P2 duration (10 s)")
    p.add_argument("--p2-connections", type=int, default=16, help="P2 concurrent connections")
    p.add_argument("--p2-threads", type=int, default=2, help="P2 wrk threads")
    p.add_argument(
        "--p2-client", choices=("auto", "wrk", "python"), default="auto", help="P2 load generator"
    )
    args = p.parse_args(argv)
    args.only = {s.strip().upper() for s in args.only.split(",") if s.strip()} or set(SCENARIOS)
    unknown = args.only - set(SCENARIOS)
    if unknown:
        p.error(f"unknown scenario(s) {', '.join(sorted(unknown))}; choose from {SCENARIOS}")
    quick = args.quick
    args.rows_asked = args.rows
    if args.rows is None:
        args.rows = 1_000_000 if quick else FULL_ROWS
    if args.p1_readings is None:
        args.p1_readings = 50_000 if quick else 200_000
    if args.p1_seconds is None:
        args.p1_seconds = 15.0 if quick else 30.0
    if args.p2_seconds is None:
        args.p2_seconds = 5.0 if quick else 10.0
    args.p2_seconds = max(args.p2_seconds, 3.0)  # the CPU window leaves out 0.5 s at each end
    if quick:
        args.p3_samples = min(args.p3_samples, 40)
    return args


def _fit_rows_to_disk(report: Report, args: argparse.Namespace) -> None:
    """P3's table (FHIR's too) as asked, unless the disk cannot hold it: then the most it can,
    said in the run's notes and kept in the JSON (issue 17: 100M rows when the disk allows)."""
    allowed, how = readings_the_disk_allows()
    report.meta["p3_rows"] = {"asked": args.rows, "disk_allows": allowed, "how": how}
    if allowed is None:
        log(f"P3: {args.rows:,} rows; the disk was not checked: {how}")
    elif args.rows > allowed:
        report.note(
            f"P3 on {allowed:,} rows, the most the disk allows, not the {args.rows:,} asked ({how})"
        )
        args.rows = allowed
    else:
        log(f"P3: {args.rows:,} rows, the disk allows {allowed:,} ({how})")
    report.meta["p3_rows"]["used"] = args.rows


def _served_configuration(args: argparse.Namespace) -> None:
    """Workers and threads as ``pulsebridge serve`` runs them, unless given."""
    from pulsebridge.operations import webserver  # after --src: the configuration served

    if args.workers is None:
        args.workers = webserver.default_workers()
    if args.threads is None:
        args.threads = webserver.THREADS


def _run_scenarios(report: Report, args: argparse.Namespace) -> list:
    """Each scenario asked for, in order; the names of those that failed."""
    failed = []
    if args.only & {"P1", "P2"}:
        from . import ingest

        fleet = _guard(report, "P1/P2 setup", failed, ingest.prepare_fleet, report, args.devices)
        for key, scenario in (("P1", ingest.run_p1), ("P2", ingest.run_p2)):
            if key in args.only and fleet is not None:
                _guard(report, key, failed, scenario, report, fleet)
    if "P3" in args.only:
        from . import readings

        _guard(report, "P3", failed, readings.run_p3, report)
    for label, module, keys in OPTIONAL:
        if args.only & keys:
            _optional(report, failed, label, module)

    if args.only & LATENCY_SCENARIOS:
        _guard(report, "CEILING", failed, _latency_ceilings, report)
    return failed


def run(args: argparse.Namespace) -> int:
    install_signal_handlers()
    if args.src:
        src = str(Path(args.src).resolve())
        sys.path.insert(0, src)
        os.environ["PYTHONPATH"] = os.pathsep.join(
            filter(None, [src, os.environ.get("PYTHONPATH")])
        )
    _served_configuration(args)
    probe = cpu_probe()
    log(
        f"CPU speed probe: {probe['ms']:.0f} ms for a fixed pure-Python loop "
        f"({probe['mloops_per_s']:.1f} M iterations/s; best of {probe['runs']})"
    )
    pg_version = ensure_postgres()
    with contextlib.ExitStack() as cleanup:
        report = Report(args=args, cleanup=cleanup)
        report.meta = machine_meta(pg_version)
        report.meta["scenarios"] = sorted(args.only)
        report.meta["pulsebridge_source"] = _source(args)
        with CpuMeter({}) as idle:
            time.sleep(2)
        report.meta["cpu_probe"] = probe
        report.meta["machine_busy_before_start"] = idle.result["machine"]
        if idle.result["machine"] >= 0.3:
            report.note(
                f"before the run, other processes kept {idle.result['machine']:.2f} of {CORES} "
                "cores busy: absolute figures are pessimistic; the CPU-per-unit rows much less so"
            )
        report.var_dir = cleanup.enter_context(private_var_dir())

        if args.only & {"P3", "FHIR"}:
            _fit_rows_to_disk(report, args)
        report.db = Database.create(keep=args.keep_db)
        if args.keep_db:
            cleanup.callback(log, f"kept database {report.db.name} (--keep-db): drop it yourself")
        else:
            cleanup.callback(report.db.drop)
        log(f"created database {report.db.name}")
        report.env = django_environment(report.db, report.var_dir)
        redis_url = redis_for(args.redis)
        if redis_url:
            report.env["REDIS_URL"] = redis_url
        report.meta["rate_counters"] = redis_url or "postgresql"
        log(f"per-second rate counters in {redis_url or 'PostgreSQL (no Redis)'}")
        setup_django(report.env)

        report.server = Server(
            workers=args.workers,
            threads=args.threads,
            env=report.env,
            log_path=report.var_dir / "gunicorn.log",
            worker_class=args.worker_class,
        )
        cleanup.callback(report.server.stop)
        report.server.start()
        report.meta["server"] = " ".join(report.server.command[2:])
        log(f"gunicorn: {report.meta['server']}")

        failed = _run_scenarios(report, args)
        report.meta["loadavg_at_end"] = list(os.getloadavg())
        print()
        print(
            f"CPU speed probe: {probe['ms']:.0f} ms ({probe['mloops_per_s']:.1f} M loop "
            "iterations/s): compare machines by it, and figures by their ratios below"
        )
        print(report.table())
        print()
        for note in report.notes:
            print(f"- {note}")
        path = report.write_json()
        print(f"\nresults: {path.relative_to(path.parents[2])}")
        if report.server.process.poll() is not None:
            print(f"gunicorn exited during the run:\n{report.server.log_tail()}")
        return 1 if failed else 0


# Scenarios whose figures are latencies of one request at a time: read against the latency
# ceilings (bench/ceiling.py), measured once after them.
LATENCY_SCENARIOS = {"P6", "P7", "TENOVI", "FHIR", "CONSOLE"}


def _latency_ceilings(report: Report) -> None:
    from .ceiling import latency_ceilings

    found = latency_ceilings(report)
    small, page = found["small"], found["page"]
    report.add(
        "CEILING",
        figures=found,
        rows=[
            Row(
                "CEILING (no database)",
                "small JSON answer p50 / p99",
                f"{small['p50_ms']:.1f} / {small['p99_ms']:.1f} ms",
                "one request at a time",
                "",
                "P7, TENOVI, FHIR, CONSOLE over it",
            ),
            Row(
                "CEILING (no database)",
                f"{page['bytes'] / 1000:.0f} kB JSON answer p50 / p99",
                f"{page['p50_ms']:.1f} / {page['p99_ms']:.1f} ms",
                "one request at a time",
                "",
                "large pages over it",
            ),
        ],
    )


def _source(args: argparse.Namespace) -> str:
    """Where the served code comes from, and whether it differs from the commit."""
    import pulsebridge

    where = str(Path(pulsebridge.__file__).parent)
    if args.src:
        return where
    try:
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"],
            cwd=Path(__file__).resolve().parent.parent,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.splitlines()
    except OSError:
        dirty = []
    if dirty:
        return f"{where} (working tree: {len(dirty)} uncommitted change(s) under src/)"
    return where


def _guard(report: Report, key: str, failed: list, fn, *args):
    """A scenario that fails is reported and the others still run."""
    t = time.perf_counter()
    try:
        return fn(*args)
    except (KeyboardInterrupt, Interrupted):
        raise
    except Exception as exc:  # one scenario's failure is a figure, not a crash
        failed.append(key)
        report.results[key] = {"error": repr(exc)}
        report.note(f"{key} FAILED: {exc!r}")
        traceback.print_exc()
        tail = report.server.log_tail(15) if report.server else ""
        if tail:
            log(f"server log tail:\n{tail}")
    finally:
        log(f"{key} took {time.perf_counter() - t:.0f} s")


def _optional(report: Report, failed: list, label: str, module: str) -> None:
    """A scenario of another owner (``bench/<module>.py``): run its ``run(report)`` if present."""
    if not (Path(__file__).resolve().parent / f"{module}.py").exists():
        report.note(f"{label} skipped: bench/{module}.py does not exist")
        return
    try:
        scenario = importlib.import_module(f"bench.{module}")
    except ImportError as exc:
        report.note(f"{label} skipped: bench/{module}.py is not importable ({exc})")
        return
    run_scenario = getattr(scenario, "run", None)
    if not callable(run_scenario):
        report.note(f"{label} skipped: bench/{module}.py has no run(report)")
        return
    _guard(report, label, failed, run_scenario, report)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    except (KeyboardInterrupt, Interrupted) as exc:
        log(f"interrupted ({str(exc) or 'Ctrl-C'}): cleaned up")
        return 130


if __name__ == "__main__":
    sys.exit(main())
