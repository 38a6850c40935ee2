import os
import signal
import socket
import subprocess
import sys
import time
from io import StringIO

import httpx
import pytest
from django.core.management.base import CommandError

from pulsebridge.operations import webserver
from pulsebridge.operations.management.commands import serve


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_it_runs_gunicorn_with_our_application_on_the_given_address():
    command = serve.gunicorn_command("127.0.0.1", 8001, 3, access_log=False)
    assert command[:4] == [sys.executable, "-m", "gunicorn", "pulsebridge.wsgi:application"]
    assert command[command.index("--bind") + 1] == "127.0.0.1:8001"
    assert command[command.index("--workers") + 1] == "3"
    assert "--access-logfile" not in command


def test_it_serves_with_the_configuration_the_bench_measures():
    command = serve.gunicorn_command("127.0.0.1", 8001, 3, access_log=False)
    assert command[command.index("--worker-class") + 1] == "gthread"
    assert command[command.index("--threads") + 1] == str(webserver.THREADS)
    assert command[command.index("--keep-alive") + 1] == str(webserver.KEEP_ALIVE_SECONDS)
    # two servers on one machine do not share gunicorn's per-user control socket
    assert "--no-control-socket" in command
    # the bench starts its servers from the same options
    options = webserver.gunicorn_options(workers=3)
    assert command[command.index("--workers") : command.index("--workers") + len(options)] == (
        options
    )


def test_it_brackets_an_ipv6_address():
    command = serve.gunicorn_command("::1", 8001, 1, access_log=True)
    assert command[command.index("--bind") + 1] == "[::1]:8001"
    assert command[command.index("--access-logfile") + 1] == "-"


def test_it_takes_the_worker_count_from_web_concurrency(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    assert serve.default_workers() == 4
    monkeypatch.delenv("WEB_CONCURRENCY")
    assert serve.default_workers() == 2 * (os.cpu_count() or 1) + 1


def test_it_warns_and_serves_without_the_worker_while_no_worker_command_exists(monkeypatch):
    monkeypatch.setattr(serve, "get_commands", lambda: {"serve": "pulsebridge.core"})
    assert serve.worker_command() is None
    monkeypatch.setattr(serve, "gunicorn_command", lambda *a: [sys.executable, "-c", "pass"])
    err = StringIO()
    with pytest.raises(CommandError, match="web process ended"):
        serve.run(StringIO(), err, host="h", port=1, workers=1, with_worker=True, access_log=False)
    assert "no `pulsebridge worker` command" in err.getvalue()


def test_it_runs_the_worker_as_pulsebridge_worker(monkeypatch):
    monkeypatch.setattr(serve, "get_commands", lambda: {"worker": "pulsebridge.webhooks"})
    assert serve.worker_command() == [sys.executable, "-m", "pulsebridge", "worker"]


def test_when_the_web_server_dies_it_stops_the_worker_and_fails(monkeypatch, tmp_path):
    marker = tmp_path / "worker-stopped"
    worker = (
        "import signal, sys, time, pathlib\n"
        f"signal.signal(signal.SIGTERM, lambda *a: (pathlib.Path({str(marker)!r}).touch(), sys.exit(0)))\n"
        "time.sleep(30)\n"
    )
    monkeypatch.setattr(serve, "worker_command", lambda: [sys.executable, "-c", worker])
    monkeypatch.setattr(
        serve,
        "gunicorn_command",
        lambda *a: [sys.executable, "-c", "import time; time.sleep(1); exit(3)"],
    )
    with pytest.raises(CommandError, match=r"the web process ended \(exit status 3\)"):
        serve.run(
            StringIO(), StringIO(), host="h", port=1, workers=1, with_worker=True, access_log=False
        )
    assert marker.exists()


@pytest.mark.live
def test_it_serves_http_and_stops_cleanly_on_sigterm(tmp_path):
    port = free_port()
    env = {**os.environ, "PULSEBRIDGE_VAR_DIR": str(tmp_path)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pulsebridge",
            "serve",
            "--port",
            str(port),
            "--workers",
            "1",
            "--no-worker",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90  # a loaded machine starts gunicorn slowly
        while True:
            try:
                # an unknown path: answered by Django without touching the database
                response = httpx.get(f"http://127.0.0.1:{port}/no-such-page", timeout=10)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stdout.read()
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        assert response.status_code == 404
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, output
    assert "Pulsebridge stopped." in output
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/", timeout=2)


def test_a_failing_command_exits_non_zero_with_a_message_and_no_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "pulsebridge", "company", "create", "--name", "X", "--code", "a b"],
        env={**os.environ, "PULSEBRIDGE_VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "CommandError: the code 'a b' is not a valid slug" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
