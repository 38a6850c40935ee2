"""``pulsebridge serve``: gunicorn and, beside it, the background worker.

Both run as child processes of this one: a signal to this process (Ctrl-C, SIGTERM) is passed
on to them, and when either child ends the other is stopped too, so that a half-running
install never goes unnoticed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.core.management import get_commands
from django.core.management.base import BaseCommand, CommandError

from pulsebridge.lib.commands import positive_int

STOP_GRACE_SECONDS = 15


def default_workers() -> int:
    """WEB_CONCURRENCY if set, else gunicorn's rule of thumb: 2 per core + 1."""
    configured = os.environ.get("WEB_CONCURRENCY", "").strip()
    if configured:
        try:
            return max(1, int(configured))
        except ValueError:
            raise CommandError(f"WEB_CONCURRENCY={configured!r} is not a number") from None
    return 2 * (os.cpu_count() or 1) + 1


def gunicorn_command(host: str, port: int, workers: int, access_log: bool) -> list[str]:
    bind = f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "pulsebridge.wsgi:application",
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--graceful-timeout",
        "10",
    ]
    if access_log:
        command += ["--access-logfile", "-"]
    if _gunicorn_knows("control_socket_disable"):
        # Its control socket lives at one path per user (~/.gunicorn/gunicorn.ctl): two
        # servers on one machine (a test beside `make run`) would fight over it. We do not use it.
        command.append("--no-control-socket")
    return command


def _gunicorn_knows(setting: str) -> bool:
    from gunicorn.config import KNOWN_SETTINGS

    return any(known.name == setting for known in KNOWN_SETTINGS)


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


def run(  # noqa: C901 - split on branch ops
    stdout, stderr, *, host: str, port: int, workers: int, with_worker: bool, access_log: bool
) -> None:
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

    children: dict[str, subprocess.Popen] = {}
    received: list[int] = []

    def pass_on(signum, _frame):
        received.append(signum)
        # A second Ctrl-C means "now": no more waiting for requests in flight.
        sent = signal.SIGKILL if len(received) > 1 else signum
        for child in children.values():
            if child.poll() is None:
                child.send_signal(sent)

    previous = {sig: signal.signal(sig, pass_on) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for name, command in commands.items():
            # Own process group: a Ctrl-C at the terminal reaches this process only, which
            # passes it on once, instead of every child receiving it twice.
            children[name] = subprocess.Popen(  # noqa: S603 - our own interpreter and modules
                command, process_group=0, preexec_fn=_die_with_parent
            )
        stdout.write(
            f"Pulsebridge serving on http://{host}:{port} (gunicorn, {workers} workers"
            + (", background worker" if "worker" in children else ", no background worker")
            + "); Ctrl-C stops it."
        )
        ended = None
        while ended is None:
            for name, child in children.items():
                if child.poll() is not None:
                    ended = name
                    break
            else:
                time.sleep(0.2)
        for child in children.values():
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    code = children[ended].returncode
    if not received:
        raise CommandError(f"the {ended} process ended (exit status {code}); stopped the rest")
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

    def handle(self, *args, host, port, workers, no_worker, access_log, **options):
        run(
            self.stdout,
            self.stderr,
            host=host,
            port=port,
            workers=workers or default_workers(),
            with_worker=not no_worker,
            access_log=access_log,
        )
