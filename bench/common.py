"""What every scenario needs: a throw-away PostgreSQL database, the real server, CPU accounting
per process group, percentiles, and the report that is printed and written as JSON.

Everything runs on 127.0.0.1. Every process and database this module creates is registered in
the report's ``cleanup`` stack, which the runner unwinds on success, error, Ctrl-C or SIGTERM."""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from cryptography.fernet import Fernet

HOST = "127.0.0.1"
ADMIN_URL = os.environ.get("BENCH_PG_URL", f"postgres://postgres@{HOST}:5432/postgres")
DB_PREFIX = "pulsebridge_bench_"
BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
CLK_TCK = os.sysconf("SC_CLK_TCK")
CORES = os.cpu_count() or 1


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


class Interrupted(Exception):
    """Raised in the main thread on SIGTERM, so that cleanup runs as for Ctrl-C."""


def install_signal_handlers() -> None:
    def on_term(signum, frame):
        raise Interrupted(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)


# --------------------------------------------------------------------------- PostgreSQL


def _with_db(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + name


def ensure_postgres() -> str:
    """The server version; starts the local cluster once if it does not answer."""
    for attempt in range(2):
        try:
            with psycopg.connect(ADMIN_URL, connect_timeout=5, autocommit=True) as conn:
                return conn.execute("show server_version").fetchone()[0]
        except psycopg.OperationalError:
            if attempt or HOST not in ADMIN_URL:
                raise
            versions = (
                sorted(os.listdir("/etc/postgresql")) if Path("/etc/postgresql").is_dir() else []
            )
            if not versions:
                raise
            log(f"PostgreSQL is down: starting cluster {versions[-1]}/main")
            subprocess.run(
                ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"],
                check=False,
                timeout=60,
            )
            time.sleep(2)
    raise RuntimeError("unreachable")


@dataclass
class Database:
    """A database created for this run and dropped at its end."""

    name: str
    url: str

    def connect(self, **kwargs) -> psycopg.Connection:
        return psycopg.connect(self.url, **kwargs)

    @classmethod
    def create(cls, *, keep: bool = False) -> Database:
        _drop_orphans()
        name = f"{DB_PREFIX}{os.getpid()}_{secrets.token_hex(3)}" + ("_keep" if keep else "")
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return cls(name=name, url=_with_db(ADMIN_URL, name))

    def drop(self) -> None:
        with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        log(f"dropped database {self.name}")

    def size(self) -> int:
        with self.connect() as conn:
            return conn.execute("select pg_database_size(current_database())").fetchone()[0]


def _drop_orphans() -> None:
    """Databases left by a bench run whose process is gone (killed with SIGKILL); those kept
    on purpose (``--keep-db``) stay."""
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        names = [
            row[0]
            for row in conn.execute(
                "select datname from pg_database where datname like %s", [DB_PREFIX + "%"]
            )
        ]
        for name in names:
            pid = name[len(DB_PREFIX) :].split("_", 1)[0]
            if name.endswith("_keep"):
                continue
            if pid.isdigit() and not Path(f"/proc/{pid}").exists():
                log(f"dropping database {name} left by a dead run (pid {pid})")
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def django_environment(db: Database, var_dir: Path) -> dict[str, str]:
    """The environment the server and this process share: the bench database, a private var
    directory (nothing of the developer's ``var/`` is touched), a fixed SECRET_KEY."""
    return {
        "DATABASE_URL": db.url,
        "PULSEBRIDGE_VAR_DIR": str(var_dir),
        "SECRET_KEY": "bench-" + secrets.token_hex(16),
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "DJANGO_SETTINGS_MODULE": "pulsebridge.settings",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "PULSEBRIDGE_LOG_LEVEL": "WARNING",
    }


def redis_for(choice: str) -> str:
    """The REDIS_URL the server gets: ``choice`` itself, none for 'off', or for 'auto' the
    local Redis (its database 15) if it answers PING."""
    if choice == "off":
        return ""
    if choice != "auto":
        return choice
    try:
        with socket.create_connection((HOST, 6379), timeout=1) as conn:
            conn.sendall(b"PING\r\n")
            answered = conn.recv(16).startswith(b"+PONG")
    except OSError:
        return ""
    return f"redis://{HOST}:6379/15" if answered else ""


def setup_django(env: dict[str, str]) -> None:
    """Point this process at the bench database, then migrate it."""
    os.environ.update(env)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)


# --------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """gunicorn serving ``pulsebridge.wsgi`` (or ``app``) on 127.0.0.1, in its own process
    group, with the configuration ``pulsebridge serve`` runs
    (``pulsebridge.operations.webserver.gunicorn_options``)."""

    workers: int
    threads: int
    env: dict[str, str]
    log_path: Path
    port: int = 0
    process: subprocess.Popen | None = None
    app: str = "pulsebridge.wsgi:application"
    worker_class: str | None = None  # None: the configuration's (operations/webserver.py)

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def command(self) -> list[str]:
        from pulsebridge.operations.webserver import WORKER_CLASS, gunicorn_options

        options = gunicorn_options(
            workers=self.workers,
            threads=self.threads,
            worker_class=self.worker_class or WORKER_CLASS,
        )
        return [
            sys.executable,
            "-m",
            "gunicorn",
            self.app,
            "--bind",
            f"{HOST}:{self.port}",
            *options,
        ]

    def start(self, timeout: float = 60.0) -> Server:
        self.port = self.port or free_port()
        out = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.command,
            cwd=PROJECT_DIR,
            env={**os.environ, **self.env},
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches us only; we stop the group ourselves
        )
        out.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited at start:\n{self.log_tail()}")
            if len(self.worker_pids()) >= self.workers:
                with contextlib.suppress(OSError):
                    socket.create_connection((HOST, self.port), timeout=1).close()
                    self._warm(deadline)
                    return self
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not start within {timeout:.0f} s:\n{self.log_tail()}")

    def _warm(self, deadline: float) -> None:
        """Each worker loads the application after it is forked, which takes seconds on a busy
        machine: a few requests on new connections (spread over the workers by the kernel), so
        that the first measured or checked request does not wait for a worker still loading."""
        import httpx

        for _ in range(2 * self.workers):
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(self.base_url + "/", timeout=max(1.0, deadline - time.monotonic()))

    def worker_pids(self) -> list[int]:
        return children(self.process.pid) if self.process else []

    def pids(self) -> list[int]:
        return [self.process.pid, *self.worker_pids()] if self.process else []

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        pgid = self.process.pid  # start_new_session: the group id is the master's pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
            self.process.wait(timeout=5)
        log(f"stopped gunicorn (pid {pgid})")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


# --------------------------------------------------------------------------- CPU accounting


def _cpu_ticks(pid: int) -> int | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[11]) + int(fields[12])  # utime + stime


def _switches(pid: int) -> int | None:
    """Context switches of every thread of ``pid`` (voluntary: it waited for something, a reply
    from another process among others; involuntary: the scheduler took the core away)."""
    total = 0
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return None
    for task in tasks:
        try:
            for line in (task / "status").read_text().splitlines():
                if "ctxt_switches:" in line:
                    total += int(line.split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return total


def _thread_ticks_self() -> int:
    """CPU of this process (all its threads), in ticks."""
    return _cpu_ticks(os.getpid()) or 0


def _machine_ticks() -> tuple[int, int, int, int]:
    """All ticks, idle ticks, stolen ticks (a virtual machine's CPU the host gave to another
    guest: it slows every process here without showing in any of them) and the idle ticks spent
    waiting on the disk (iowait: commits waiting for their WAL flush, among others)."""
    parts = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(v) for v in parts[:8]]
    idle = values[3] + values[4]
    return sum(values), idle, values[7], values[4]


class CpuMeter:
    """CPU used during a measurement, per group of processes, in cores (1.0 = one core busy).

    ``groups`` maps a name to a callable returning that group's pids. They are sampled every
    ``interval`` seconds, so a process that ends in between (a database connection recycled
    after CONN_MAX_AGE) keeps the CPU it had at its last sample, and one that starts in between
    counts from zero. "machine" is the whole machine; "stolen" what the host of this virtual
    machine kept for other guests; "other" is what none of the groups used
    (other users of this machine included)."""

    def __init__(self, groups: dict[str, Any], interval: float = 0.5):
        self.groups = groups
        self.interval = interval
        self.result: dict[str, float] = {}
        self.wall = 0.0
        self._stop = threading.Event()
        self._last: dict[str, dict[int, int]] = {name: {} for name in groups}
        self._switches0: dict[str, dict[int, int]] = {name: {} for name in groups}
        self._switches1: dict[str, dict[int, int]] = {name: {} for name in groups}
        self.switches: dict[str, int] = {}

    def _sample(self) -> dict[str, dict[int, int]]:
        snap = {}
        for name, pids in self.groups.items():
            snap[name] = {}
            try:
                listed = pids()
            except psycopg.Error:  # a listing that fails once is skipped; the next one counts
                continue
            for pid in listed:
                ticks = _cpu_ticks(pid)
                if ticks is not None:
                    snap[name][pid] = ticks
                switches = _switches(pid)
                if switches is not None:
                    self._switches0[name].setdefault(pid, switches)
                    self._switches1[name][pid] = switches
            self._last[name].update(snap[name])
        return snap

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> CpuMeter:
        self.t0 = time.monotonic()
        self.m0 = _machine_ticks()
        self.s0 = self._sample()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self._sample()
        m1 = _machine_ticks()
        wall = max(time.monotonic() - self.t0, 1e-6)
        self.wall = wall
        total = m1[0] - self.m0[0]
        idle = m1[1] - self.m0[1]
        steal = m1[2] - self.m0[2]
        iowait = m1[3] - self.m0[3]
        machine = CORES * (total - idle - steal) / total if total else 0.0
        used = 0.0
        for name, last in self._last.items():
            ticks = sum(t - self.s0[name].get(pid, 0) for pid, t in last.items())
            cores = ticks / CLK_TCK / wall
            self.result[name] = round(cores, 2)
            used += cores
        for name in self.groups:
            first, last = self._switches0[name], self._switches1[name]
            self.switches[name] = sum(n - first.get(pid, n) for pid, n in last.items())
        self.result["machine"] = round(machine, 2)
        self.result["other"] = round(max(machine - used, 0.0), 2)
        self.result["stolen"] = round(CORES * steal / total, 2) if total else 0.0
        self.result["iowait"] = round(CORES * iowait / total, 2) if total else 0.0

    @classmethod
    def pooled(cls, meters: list[CpuMeter]) -> CpuMeter:
        """One meter for several measured windows of the same groups, as if they were one:
        each group's cores averaged over the windows' time."""
        pooled = cls(meters[0].groups)
        pooled.wall = sum(m.wall for m in meters)
        for name in meters[0].result:
            used = sum(m.result[name] * m.wall for m in meters)
            pooled.result[name] = round(used / pooled.wall, 2)
        pooled.switches = {
            name: sum(m.switches.get(name, 0) for m in meters) for name in meters[0].switches
        }
        return pooled

    def cost(self, units: float) -> dict[str, float]:
        """CPU milliseconds the server and PostgreSQL spent per unit of work, and the rate the
        machine's cores would sustain if nothing else ran (client and other users excluded).
        Unlike the measured rate, this holds when other processes share the machine."""
        if not units:
            return {"server_ms": math.nan, "postgres_ms": math.nan, "projected_per_s": 0.0}
        server = self.result.get("server", 0.0) * self.wall / units
        postgres = self.result.get("postgres", 0.0) * self.wall / units
        return {
            "server_ms": round(server * 1000, 3),
            "postgres_ms": round(postgres * 1000, 3),
            "projected_per_s": round(CORES / (server + postgres), 2) if server + postgres else 0.0,
        }

    def describe(self) -> str:
        r = self.result
        parts = [f"{name} {r[name]:.2f}" for name in self.groups]
        parts.append(f"other {r['other']:.2f}")
        return (
            f"CPU in cores of {CORES}: "
            + ", ".join(parts)
            + f"; machine busy {r['machine']:.2f}/{CORES}, stolen by the host {r['stolen']:.2f}"
            + f", idle waiting on the disk {r['iowait']:.2f}"
        )


def postgres_pids(db: Database) -> Any:
    """A callable listing the PostgreSQL processes that serve this database, plus the
    cluster's own background processes (WAL writer, checkpointer, autovacuum...)."""
    conn = psycopg.connect(db.url, autocommit=True)

    def pids() -> list[int]:
        rows = conn.execute(
            "select pid from pg_stat_activity where pid <> pg_backend_pid() "
            "and (datname = current_database() or backend_type <> 'client backend')"
        ).fetchall()
        return [r[0] for r in rows]

    pids.close = conn.close  # type: ignore[attr-defined]
    return pids


# --------------------------------------------------------------------------- CPU speed probe

PROBE_ITERATIONS = 3_000_000


def _probe_loop(n: int) -> int:
    total = 0
    for i in range(n):
        total += (i * i) % 7
    return total


def cpu_probe(runs: int = 3) -> dict[str, float]:
    """The speed of one core for pure Python, with this interpreter: a fixed loop, best of
    ``runs`` (the best is the least disturbed by other processes). Printed at the top of every
    run so that two runs' absolute figures can be put side by side; the ratios are what is
    compared."""
    best = math.inf
    for _ in range(runs):
        t = time.perf_counter()
        _probe_loop(PROBE_ITERATIONS)
        best = min(best, time.perf_counter() - t)
    return {
        "ms": round(best * 1000, 1),
        "mloops_per_s": round(PROBE_ITERATIONS / best / 1e6, 2),
        "iterations": PROBE_ITERATIONS,
        "runs": runs,
    }


# --------------------------------------------------------------------------- statistics


# wrk's end of run, for every scenario's script: one JSON line with the counts and the latency
# percentiles; ``bad`` sums each thread's global ``bad`` (answers a script's ``response`` refused;
# 0 when the script has none). A script that uses it keeps its threads from ``setup`` in
# ``WRK_THREADS``.
WRK_DONE = """
WRK_THREADS = WRK_THREADS or {}
done = function(summary, latency, requests)
  local e = summary.errors
  local bad = 0
  for _, thread in ipairs(WRK_THREADS) do bad = bad + (thread:get("bad") or 0) end
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"bad":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"p999":%d,"mean":%.1f,"max":%d}}\\n',
    summary.requests, summary.duration, summary.bytes, bad,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.mean, latency.max))
end
"""


def run_wrk(
    report: Report,
    script: str,
    *,
    name: str,
    threads: int,
    connections: int,
    seconds: float,
    cpu_meter: Any = None,
) -> tuple[dict[str, Any], CpuMeter | None, str]:
    """Run ``wrk`` (C, a small share of the CPU: its own row in the meter) with ``script`` (Lua,
    ``WRK_DONE`` appended) against the server for whole ``seconds``; its JSON summary, the CPU
    meter (when ``cpu_meter`` is given: measured from 0.5 s in to 0.5 s before the end, 0.1 s
    for runs of 2 s or less, while wrk runs, so count the work of that window only) and the command line without its script and
    address. Killed with the run on error or Ctrl-C."""
    path = report.var_dir / f"{name}-{time.monotonic_ns()}.lua"
    path.write_text(script + WRK_DONE)
    command = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{seconds:.0f}s",
        "--timeout",
        "10s",
        "-s",
        str(path),
        report.server.base_url,
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    report.cleanup.callback(_kill_group, process)
    meter = None
    if cpu_meter is not None:
        meter = cpu_meter({"client (wrk)": lambda: [process.pid]})
        margin = 0.5 if seconds > 2 else 0.1  # a short run: nearly all of it
        time.sleep(margin)
        with meter:
            time.sleep(seconds - 2 * margin)
    out, _ = process.communicate(timeout=seconds + 60)
    line = next((x for x in out.splitlines() if x.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no summary:\n{out}")
    return json.loads(line[len("WRK_JSON ") :]), meter, " ".join(command[:-3])


def _kill_group(process: subprocess.Popen) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def percentile(values: Iterable[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of ``values``; NaN when there are none."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


# --------------------------------------------------------------------------- the report


@dataclass
class Row:
    """One printed line: a figure, and what it is compared with."""

    scenario: str
    figure: str
    value: str
    compared: str = ""
    ratio: str = ""
    verdict: str = ""


@dataclass
class Report:
    """Collects every scenario's figures; printed as a table and written as JSON.

    Scenarios (including ``bench/webhooks.py``'s ``run(report)``) use:
      ``report.add(key, figures=dict, rows=[Row...], limits=str)``  results and table lines
      ``report.note(text)``                                       a line under the table
      ``report.db`` / ``report.server`` / ``report.env``          the run's database, server
      ``report.cleanup``                                          an ExitStack unwound at exit
      ``report.args``                                             the parsed command line
      ``report.cpu_meter(extra_groups)``                          a CpuMeter for server+postgres
    """

    args: Any
    cleanup: contextlib.ExitStack
    meta: dict[str, Any] = field(default_factory=dict)
    results: dict[str, Any] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    db: Database | None = None
    server: Server | None = None
    env: dict[str, str] = field(default_factory=dict)
    var_dir: Path | None = None

    def add(
        self,
        key: str,
        *,
        figures: dict[str, Any],
        rows: list[Row] = (),
        limits: str = "",
    ) -> None:
        self.results[key] = {**figures, "limits": limits} if limits else figures
        self.rows.extend(rows)
        if limits:
            self.notes.append(f"{key} limited by: {limits}")

    def note(self, text: str) -> None:
        self.notes.append(text)

    def check_noise(self, key: str, cpu: CpuMeter) -> None:
        """Say so when processes outside the benchmark took a noticeable share of the CPU."""
        other = cpu.result.get("other", 0.0)
        if other >= 0.25:
            self.note(
                f"{key}: other processes on this machine used {other:.2f} of {CORES} cores "
                "during the measurement; the figures are pessimistic by about that share"
            )
        stolen = cpu.result.get("stolen", 0.0)
        if stolen >= 0.1:
            self.note(
                f"{key}: the virtual machine's host took {stolen:.2f} of {CORES} cores "
                "(steal time) during the measurement: every figure, the CPU-per-unit ones "
                "included, is pessimistic"
            )

    def cpu_meter(self, extra: dict[str, Any] | None = None) -> CpuMeter:
        groups: dict[str, Any] = {}
        if self.server is not None:
            groups["server"] = self.server.pids
        if self.db is not None:
            pg = postgres_pids(self.db)
            self.cleanup.callback(pg.close)
            groups["postgres"] = pg
        groups.update(extra or {})
        return CpuMeter(groups)

    def table(self) -> str:
        headers = ("scenario", "figure", "value", "compared with", "ratio", "verdict")
        data = [(r.scenario, r.figure, r.value, r.compared, r.ratio, r.verdict) for r in self.rows]
        widths = [max(len(str(x)) for x in col) for col in zip(headers, *data, strict=False)]
        line = "  ".join("-" * w for w in widths)
        out = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)), line]
        last = None
        for row in data:
            if last is not None and row[0] != last:
                out.append(line)
            last = row[0]
            out.append("  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)))
        return "\n".join(out)

    def write_json(self) -> Path:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        path = RESULTS_DIR / f"{stamp}.json"
        body = {
            "meta": self.meta,
            "results": self.results,
            "table": [r.__dict__ for r in self.rows],
            "notes": self.notes,
        }
        path.write_text(json.dumps(body, indent=2, default=str) + "\n")
        return path


def machine_meta(pg_version: str) -> dict[str, Any]:
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
    except OSError:
        rev = ""
    mem = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        mem = int(Path("/proc/meminfo").read_text().split()[1]) // 1024
    return {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, "-m", "bench", *sys.argv[1:]]),
        "git": rev,
        "cores": CORES,
        "memory_mib": mem,
        "python": platform.python_version(),
        "postgresql": pg_version,
        "platform": platform.platform(),
        "loadavg_at_start": os.getloadavg(),
    }


def fmt_int(value: float) -> str:
    return f"{value:,.0f}"


def fmt_ms(value: float) -> str:
    return f"{value:.1f} ms"


@contextlib.contextmanager
def private_var_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="pulsebridge-bench-") as path:
        yield Path(path)


def verdict(ok: bool | None) -> str:
    if ok is None:
        return ""
    return "meets target" if ok else "MISSES target"


# What one of P3's readings takes on disk with its indexes (docs/performance.md, P3 on the most
# rows the disk held), and the room a fill needs on top: the index builds' sort files and the
# WAL, then what the rest of the machine keeps.
BYTES_PER_READING = 580
FILL_ROOM = 1.3
DISK_KEPT_FREE = 5 * 2**30


def readings_the_disk_allows() -> tuple[int | None, str]:
    """The most readings a fill may put in the bench's PostgreSQL cluster without filling its
    disk, and how that was worked out; None when the cluster's disk is not this machine's."""
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        directory = conn.execute("select current_setting('data_directory')").fetchone()[0]
    if not os.path.isdir(directory):
        return None, f"the cluster's data directory {directory} is not on this machine"
    free = shutil.disk_usage(directory).free
    allowed = max(0, int((free - DISK_KEPT_FREE) / (BYTES_PER_READING * FILL_ROOM)))
    return allowed, (
        f"{free / 2**30:.0f} GiB free under {directory}, about {BYTES_PER_READING} bytes a "
        f"reading with its indexes, {FILL_ROOM}x for the fill's sorts and WAL, "
        f"{DISK_KEPT_FREE / 2**30:.0f} GiB kept free"
    )
