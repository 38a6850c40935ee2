"""A real Pulsebridge for the browser tests: ``pulsebridge demo`` then ``pulsebridge serve``
(gunicorn and the worker) on 127.0.0.1, a free port, its own var directory and its own database
(a SQLite file there, or a PostgreSQL database of its own when the tests run on PostgreSQL)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def own_database():
    """The DATABASE_URL for the server: a fresh PostgreSQL database when the tests run on
    PostgreSQL (dropped afterwards), else none (SQLite in the var directory)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield None
        return
    import psycopg

    base, _, _ = url.rpartition("/")
    name = f"pb_console_browser_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Live:
    url: str
    env: dict
    saved: dict  # demo-keys.json: keys, the console sign-in, PING credentials

    def command(self, *args: str) -> str:
        """A `pulsebridge` command against the server's database (as its operator would)."""
        done = subprocess.run(
            [sys.executable, "-m", "pulsebridge", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def pylo(self, method: str, path: str, key: str | None = None, **kwargs) -> httpx.Response:
        key = key or self.saved["keys"]["pylo"]
        return httpx.request(
            method, f"{self.url}/pylo{path}", headers={"x-api-key": key}, timeout=10, **kwargs
        )


@contextmanager
def live_server(var_dir: Path):
    with own_database() as database_url:
        env = {
            **os.environ,
            "PULSEBRIDGE_VAR_DIR": str(var_dir),
            "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true",
            # a revoked key is refused by every process at once (no 5 s of trust)
            "API_KEY_CACHE_SECONDS": "0",
        }
        env.pop("REDIS_URL", None)
        if database_url:
            env["DATABASE_URL"] = database_url
        else:
            env.pop("DATABASE_URL", None)
        prepared = subprocess.run(
            [sys.executable, "-m", "pulsebridge", "demo", "--no-serve"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert prepared.returncode == 0, prepared.stderr
        port = free_port()
        log = open(var_dir / "serve.log", "w")  # noqa: SIM115 - closed below
        process = subprocess.Popen(
            [sys.executable, "-m", "pulsebridge", "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    httpx.get(f"{url}/", timeout=2)
                    break
                except httpx.TransportError:
                    assert process.poll() is None, (var_dir / "serve.log").read_text()
                    assert time.monotonic() < deadline, "the server did not start"
                    time.sleep(0.2)
            saved = json.loads((var_dir / "demo-keys.json").read_text())
            yield Live(url=url, env=env, saved=saved)
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()
