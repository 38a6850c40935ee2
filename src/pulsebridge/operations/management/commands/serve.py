"""``pulsebridge serve``: gunicorn and, beside it, the background worker, supervised.

Both run as child processes of this one: a signal to this process (Ctrl-C, SIGTERM) is passed
on to them. A child that ends without being asked to (a worker killed, a gunicorn master that
died) is started again after a short backoff, and the restart logged; only a child that keeps
ending (more than ``--max-restarts`` times within ``--restart-window`` seconds) stops the whole
install with an error, so that something outside (systemd, the orchestrator) takes over."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.management import get_commands
from django.core.management.base import BaseCommand, CommandError

from pulsebridge.lib.commands import positive_int
from pulsebridge.operations import webserver

logger = logging.getLogger("pulsebridge.serve")

STOP_GRACE_SECONDS = 15
POLL_SECONDS = 0.2
# A child may end this many times within the window and be restarted; once more stops serve.
MAX_RESTARTS = 5
RESTART_WINDOW_SECONDS = 60.0
BACKOFF_SECONDS = 0.5  # before the first restart; doubled for each failure in the window
MAX_BACKOFF_SECONDS = 10.0


def default_workers() -> int:
    """WEB_CONCURRENCY if set, else gunicorn's rule of thumb: 2 per core + 1."""
    try:
        return webserver.default_workers()
    except ValueError as exc:
        raise CommandError(str(exc)) from None


def gunicorn_command(host: str, port: int, workers: int, access_log: bool) -> list[str]:
    bind = f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "pulsebridge.wsgi:application",
        "--bind",
        bind,
        # the configuration the bench measures (operations/webserver.py says why gthread)
        *webserver.gunicorn_options(workers=workers),
    ]
    if access_log:
        command += ["--access-logfile", "-"]
    return command


def worker_command() -> list[str] | None:
    """The background worker's command line, or None while no `worker` command exists."""
    if "worker" not in get_commands():
        return None
    return [sys.executable, "-m", "pulsebridge", "worker"]


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the child gets SIGTERM if this process dies without passing a signal on."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


@dataclass
class Child:
    """One supervised process: its command, the running process, its recent failures."""

    name: str
    command: list[str]
    env: dict[str, str] | None = None  # None: this process's
    process: subprocess.Popen | None = None
    failures: list[float] = field(default_factory=list)  # monotonic times, within the window
    restart_at: float | None = None  # dead, to be started again then

    def start(self) -> None:
        # Own process group: a Ctrl-C at the terminal reaches serve only, which passes it on
        # once; and a dead gunicorn master's orphaned workers can be killed with their group.
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and modules
            self.command, env=self.env, process_group=0, preexec_fn=_die_with_parent
        )
        self.restart_at = None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill_group(self) -> None:
        """What is left of the process group (gunicorn workers of a master killed -9 still hold
        the port until they notice), so that the restarted master can bind."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)


def describe_exit(code: int) -> str:
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
        return f"killed by signal {-code}"
    return f"exit status {code}"


@dataclass
class Supervisor:
    """Keeps every child running: a child that ends is started again after a backoff that
    doubles with each failure in the window (``backoff`` seconds, then 2x, 4x, ... at most
    ``MAX_BACKOFF_SECONDS``); more than ``max_restarts`` failures of one child within
    ``window`` seconds stop everything, with an error."""

    children: dict[str, Child]
    max_restarts: int = MAX_RESTARTS
    window: float = RESTART_WINDOW_SECONDS
    backoff: float = BACKOFF_SECONDS
    received: list[int] = field(default_factory=list)
    gave_up: str | None = None

    def start_all(self) -> None:
        for child in self.children.values():
            child.start()
            logger.info("serve: %s started (pid %s)", child.name, child.process.pid)

    def pass_on(self, signum, _frame) -> None:
        self.received.append(signum)
        # A second Ctrl-C means "now": no more waiting for requests in flight.
        sent = signal.SIGKILL if len(self.received) > 1 else signum
        for child in self.children.values():
            if child.alive():
                child.process.send_signal(sent)

    def watch(self) -> None:
        """Until a signal arrives or a child fails too often."""
        while not self.received and self.gave_up is None:
            now = time.monotonic()
            for child in self.children.values():
                self._tend(child, now)
                if self.gave_up or self.received:
                    break
            else:
                time.sleep(POLL_SECONDS)

    def _tend(self, child: Child, now: float) -> None:
        if child.restart_at is not None:
            if now >= child.restart_at:
                child.start()
                logger.warning("serve: %s restarted (pid %s)", child.name, child.process.pid)
            return
        if child.alive() or self.received:
            return
        code = child.process.returncode
        child.kill_group()
        child.failures = [t for t in child.failures if now - t < self.window] + [now]
        if len(child.failures) > self.max_restarts:
            self.gave_up = child.name
            logger.error(
                "serve: the %s process ended (%s), %d times within %g s; stopping",
                child.name,
                describe_exit(code),
                len(child.failures),
                self.window,
            )
            return
        delay = min(MAX_BACKOFF_SECONDS, self.backoff * 2 ** (len(child.failures) - 1))
        child.restart_at = now + delay
        logger.warning(
            "serve: the %s process ended (%s); restarting it in %.1f s (%d in the last %g s)",
            child.name,
            describe_exit(code),
            delay,
            len(child.failures),
            self.window,
        )

    def stop_all(self) -> None:
        for child in self.children.values():
            if child.alive():
                child.process.terminate()
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in self.children.values():
            if child.process is None:
                continue
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()
            child.kill_group()


def child_commands(
    stderr, *, host: str, port: int, workers: int, with_worker: bool, access_log: bool
) -> dict[str, list[str]]:
    commands = {"web": gunicorn_command(host, port, workers, access_log)}
    if with_worker:
        command = worker_command()
        if command is None:
            stderr.write(
                "warning: there is no `pulsebridge worker` command in this install yet; "
                "serving without the background worker (webhooks will not be sent)"
            )
        else:
            commands["worker"] = command
    return commands


def prepare_metrics_directory() -> dict[str, str]:
    """gunicorn's workers and the background worker each count in files of their own, read
    together by /metrics: PROMETHEUS_MULTIPROC_DIR, emptied at start (the counts of a previous
    run are not this one's). The environment of every child, restarted ones included (this
    process's own stays as it is: its metrics, if any, are its own)."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or str(
        Path(settings.VAR_DIR) / "prometheus"
    )
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink()
    return {**os.environ, "PROMETHEUS_MULTIPROC_DIR": directory}


def run(stdout, stderr, *, host: str, port: int, workers: int, **options) -> None:
    with_worker, access_log = options.pop("with_worker"), options.pop("access_log")
    commands = child_commands(
        stderr,
        host=host,
        port=port,
        workers=workers,
        with_worker=with_worker,
        access_log=access_log,
    )
    env = prepare_metrics_directory()
    supervisor = Supervisor({name: Child(name, command, env) for name, command in commands.items()})
    for name, value in options.items():
        setattr(supervisor, name, value)
    previous = {
        sig: signal.signal(sig, supervisor.pass_on) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        supervisor.start_all()
        stdout.write(
            f"Pulsebridge serving on http://{host}:{port} (gunicorn, {workers} workers"
            + (", background worker" if "worker" in commands else ", no background worker")
            + "); Ctrl-C stops it."
        )
        supervisor.watch()
        supervisor.stop_all()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if supervisor.gave_up:
        raise CommandError(
            f"the {supervisor.gave_up} process kept ending "
            f"({supervisor.max_restarts + 1} times within {supervisor.window:g} s); stopped the rest"
        )
    stdout.write("Pulsebridge stopped.")


class Command(BaseCommand):
    help = "Serve Pulsebridge with gunicorn, with the background worker beside it."

    def add_arguments(self, parser):
        parser.add_argument(
            "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)"
        )
        parser.add_argument("--port", type=positive_int, default=8000, help="port (default 8000)")
        parser.add_argument(
            "--workers",
            type=positive_int,
            default=None,
            metavar="N",
            help="gunicorn worker processes (default: WEB_CONCURRENCY, else 2 per CPU core + 1)",
        )
        parser.add_argument(
            "--no-worker", action="store_true", help="do not start the background worker"
        )
        parser.add_argument("--access-log", action="store_true", help="log every request on stdout")
        parser.add_argument(
            "--max-restarts",
            type=positive_int,
            default=MAX_RESTARTS,
            metavar="N",
            help=f"restarts of a child allowed within the window (default {MAX_RESTARTS})",
        )
        parser.add_argument(
            "--restart-window",
            type=float,
            default=RESTART_WINDOW_SECONDS,
            metavar="SECONDS",
            help=f"the window (default {RESTART_WINDOW_SECONDS:g})",
        )

    def handle(self, *args, host, port, workers, no_worker, access_log, **options):
        run(
            self.stdout,
            self.stderr,
            host=host,
            port=port,
            workers=workers or default_workers(),
            with_worker=not no_worker,
            access_log=access_log,
            max_restarts=options["max_restarts"],
            window=options["restart_window"],
        )
