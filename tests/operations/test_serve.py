import os
import signal
import socket
import subprocess
import sys
import threading
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


@pytest.fixture(autouse=True)
def _metrics_directory(monkeypatch, tmp_path):
    """serve empties its metrics directory: a test's own, not the developer's var/."""
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "prometheus"))


def test_it_warns_and_serves_without_the_worker_while_no_worker_command_exists(monkeypatch):
    monkeypatch.setattr(serve, "get_commands", lambda: {"serve": "pulsebridge.core"})
    assert serve.worker_command() is None
    monkeypatch.setattr(serve, "gunicorn_command", lambda *a: [sys.executable, "-c", "pass"])
    err = StringIO()
    with pytest.raises(CommandError, match="web process kept ending"):
        serve.run(
            StringIO(), err, host="h", port=1, workers=1, with_worker=True, access_log=False,
            max_restarts=1, backoff=0.01,
        )  # fmt: skip
    assert "no `pulsebridge worker` command" in err.getvalue()


def test_it_runs_the_worker_as_pulsebridge_worker(monkeypatch):
    monkeypatch.setattr(serve, "get_commands", lambda: {"worker": "pulsebridge.webhooks"})
    assert serve.worker_command() == [sys.executable, "-m", "pulsebridge", "worker"]


def test_a_web_server_that_keeps_dying_is_restarted_then_stops_serve_and_the_worker(
    monkeypatch, tmp_path, caplog
):
    marker = tmp_path / "worker-stopped"
    starts = tmp_path / "web-starts"
    worker = (
        "import signal, sys, time, pathlib\n"
        f"signal.signal(signal.SIGTERM, lambda *a: (pathlib.Path({str(marker)!r}).touch(), sys.exit(0)))\n"
        "time.sleep(60)\n"
    )
    web = f"open({str(starts)!r}, 'a').write('x'); exit(3)"
    monkeypatch.setattr(serve, "worker_command", lambda: [sys.executable, "-c", worker])
    monkeypatch.setattr(serve, "gunicorn_command", lambda *a: [sys.executable, "-c", web])
    caplog.set_level("WARNING", logger="pulsebridge.serve")
    with pytest.raises(CommandError, match=r"the web process kept ending \(3 times within 60 s\)"):
        serve.run(
            StringIO(), StringIO(), host="h", port=1, workers=1, with_worker=True,
            access_log=False, max_restarts=2, window=60.0, backoff=0.05,
        )  # fmt: skip
    assert starts.read_text() == "xxx"  # started, restarted twice, then given up
    assert marker.exists()
    restarts = [r.getMessage() for r in caplog.records if "restarting it" in r.getMessage()]
    assert len(restarts) == 2
    assert "the web process ended (exit status 3)" in restarts[0]


def test_a_worker_killed_with_sigkill_is_started_again(monkeypatch, tmp_path, caplog):
    pids = tmp_path / "worker-pids"
    worker = (
        f"import os, time; open({str(pids)!r}, 'a').write(f'{{os.getpid()}}\\n'); time.sleep(60)"
    )
    monkeypatch.setattr(serve, "worker_command", lambda: [sys.executable, "-c", worker])
    monkeypatch.setattr(
        serve, "gunicorn_command", lambda *a: [sys.executable, "-c", "import time; time.sleep(60)"]
    )
    caplog.set_level("INFO", logger="pulsebridge.serve")

    def started() -> list[int]:
        return [int(line) for line in pids.read_text().split()] if pids.exists() else []

    def kill_then_stop():
        wait_for(lambda: len(started()) == 1)
        os.kill(started()[0], signal.SIGKILL)
        wait_for(lambda: len(started()) == 2)
        os.kill(os.getpid(), signal.SIGTERM)  # serve's own handler: stop everything

    stopper = threading.Thread(target=kill_then_stop)
    stopper.start()
    out = StringIO()
    serve.run(
        out, StringIO(), host="h", port=1, workers=1, with_worker=True, access_log=False,
        backoff=0.05,
    )  # fmt: skip
    stopper.join()
    assert "Pulsebridge stopped." in out.getvalue()
    first, second = started()
    assert first != second
    messages = [r.getMessage() for r in caplog.records]
    assert (
        "serve: the worker process ended (killed by SIGKILL); restarting it in 0.1 s (1 in the last 60 s)"
        in messages
    )
    assert f"serve: worker restarted (pid {second})" in messages
    with pytest.raises(ProcessLookupError):
        os.kill(second, 0)  # stopped with the rest


def wait_for(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


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
        # past gunicorn's default request-line limit, refused by Django in the dialect's JSON
        long = httpx.get(f"http://127.0.0.1:{port}/pylo/devices?q={'x' * 5000}", timeout=10)
        assert long.status_code == 414
        assert long.json()["message"].startswith("URI Too Long")
        stranger = httpx.get(
            f"http://127.0.0.1:{port}/tenovi/x", headers={"Host": "evil.example"}, timeout=10
        )
        assert (stranger.status_code, stranger.json()) == (400, {"detail": "Bad request."})
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


class Served:
    """`pulsebridge serve` in a child process, its merged output collected line by line."""

    def __init__(self, tmp_path, *args: str, env: dict | None = None):
        self.port = free_port()
        self.env = {**os.environ, "PULSEBRIDGE_VAR_DIR": str(tmp_path)}
        self.env.pop("DATABASE_URL", None)  # a SQLite file of its own, in tmp_path, unless given
        self.env.update(env or {})
        subprocess.run(
            [sys.executable, "-m", "pulsebridge", "migrate", "--no-input", "-v", "0"],
            env=self.env,
            check=True,
            timeout=300,
        )
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pulsebridge", "serve", "--port", str(self.port), *args],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._collect, daemon=True).start()

    def _collect(self):
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def pid_of(self, name: str, verb: str = "started") -> int:
        found = []

        def seen():
            found[:] = [
                int(line.rsplit("pid ", 1)[1].rstrip(")"))
                for line in self.lines
                if f"serve: {name} {verb} (pid " in line
            ]
            return bool(found)

        wait_for(seen, 120)
        return found[-1]

    def answers(self, path: str = "/healthz") -> int | None:
        try:
            return httpx.get(self.url(path), timeout=10).status_code
        except httpx.TransportError:
            return None

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return "\n".join(self.lines)


@pytest.mark.live
def test_a_worker_and_a_web_server_killed_with_sigkill_come_back_and_the_api_keeps_answering(
    tmp_path,
):
    served = Served(tmp_path, "--workers", "2")
    try:
        wait_for(lambda: served.answers() == 200, 120)
        worker = served.pid_of("worker")
        web = served.pid_of("web")
        wait_for(lambda: served.answers("/readyz") == 200, 120)  # the worker's heartbeat

        # the worker dies: the API never stops answering, and the worker comes back
        statuses = []
        os.kill(worker, signal.SIGKILL)
        deadline = time.monotonic() + 120
        while not any("serve: worker restarted" in line for line in served.lines):
            statuses.append(served.answers())
            assert time.monotonic() < deadline, "\n".join(served.lines)
        restarted = served.pid_of("worker", "restarted")
        assert restarted != worker
        statuses.append(served.answers())
        assert set(statuses) == {200}, statuses
        assert any(
            "serve: the worker process ended (killed by SIGKILL); restarting it" in line
            for line in served.lines
        )

        # the gunicorn master dies: it is started again, and answers again
        os.kill(web, signal.SIGKILL)
        new_web = served.pid_of("web", "restarted")
        assert new_web != web
        wait_for(lambda: served.answers() == 200, 120)
        assert served.process.poll() is None

        # every process counts into the same place: /metrics sums them
        metrics = httpx.get(served.url("/metrics"), timeout=10).text
        assert (
            'pulsebridge_http_requests_total{dialect="operations",route="healthz",status="200"}'
            in metrics
        )
        assert "pulsebridge_outbox_pending 0.0" in metrics
    finally:
        output = served.stop()
    assert served.process.returncode == 0, output
    assert "Pulsebridge stopped." in output
