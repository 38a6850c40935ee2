"""Nothing lost when processes die: on PostgreSQL, 1,000 readings are posted through
`pulsebridge serve` while a gunicorn worker, the background worker and the gunicorn master are
each killed with SIGKILL; every reading is stored once and every delivery's webhook-id reaches
the receiver. `make test-durability` (run by .ci/run on PostgreSQL)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.conftest import missing_service

from .test_serve import Served, wait_for

pytestmark = pytest.mark.durability

READINGS = 1000
DEVICES = 20
PER_REQUEST = 5
SENDERS = 4
BOUND_SECONDS = 480  # the whole run, kills and catching up included


@contextmanager
def fresh_postgres_database():
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        missing_service("the durability test runs on PostgreSQL: set DATABASE_URL")
    import psycopg

    base, _, _ = url.rpartition("/")
    name = f"pb_durability_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Receiver(ThreadingHTTPServer):
    request_queue_size = 256
    daemon_threads = True

    def __init__(self):
        self.webhook_ids: set[str] = set()
        self.requests = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                self.rfile.read(int(self.headers.get("content-length", 0)))
                with receiver.lock:
                    receiver.requests += 1
                    receiver.webhook_ids.add(self.headers.get("webhook-id", ""))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


SETUP = """
import json, django
django.setup()
from pulsebridge.core.apikeys import create_api_key
from pulsebridge.core.services import create_company
from pulsebridge.devices.services import add_device
from pulsebridge.webhooks.services import create_endpoint
company = create_company(code="durable", name="Durable Care")
key = create_api_key(company, "ingest", rate_per_second=100000).key
imeis = [str(356_000_000_000_000 + i) for i in range({devices})]
for imei in imeis:
    add_device(company, "PY-802-LTE", imei=imei)
create_endpoint(company, {url!r}, "whsec_durability-test-secret", "pylo")
print(json.dumps({{"key": key, "imeis": imeis}}))
"""


def readings(imeis: list[str]) -> list[dict]:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    return [
        {
            "imei": imeis[i % len(imeis)],
            "kind": "blood_pressure",
            "measured_at": (start + timedelta(minutes=i)).isoformat().replace("+00:00", "Z"),
            "values": {"systolic": 100 + i % 60, "diastolic": 70 + i % 20, "pulse": 60 + i % 30},
        }
        for i in range(READINGS)
    ]


def post_until_answered(url: str, key: str, batch: list[dict], deadline: float) -> dict:
    """A gateway's behaviour: send again until an answer comes (the reading's time makes a
    resend a duplicate, never a second row)."""
    while True:
        assert time.monotonic() < deadline, "readings still refused at the deadline"
        try:
            response = httpx.post(url, json=batch, headers={"X-API-Key": key}, timeout=15)
        except httpx.TransportError:
            time.sleep(0.2)
            continue
        if response.status_code == 200:
            return response.json()
        assert response.status_code >= 500, response.text  # never a 4xx for good readings
        time.sleep(0.2)


def gunicorn_workers(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def query(database_url: str, sql: str) -> list[tuple]:
    import psycopg

    with psycopg.connect(database_url) as conn:
        return conn.execute(sql).fetchall()


def test_nothing_is_lost_when_web_and_worker_processes_are_killed(tmp_path):
    deadline = time.monotonic() + BOUND_SECONDS
    receiver = Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    with fresh_postgres_database() as database_url:
        env_extra = {
            "DATABASE_URL": database_url,
            "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true",
            # a send cut off by a kill is taken over once the lease runs out
            "WEBHOOK_TIMEOUT_SECONDS": "2",
            "WEBHOOK_CLAIM_LEASE_SECONDS": "5",
            "API_KEY_CACHE_SECONDS": "5",
        }
        served = Served(tmp_path, "--workers", "2", env=env_extra)
        try:
            setup = subprocess.run(
                [sys.executable, "-c", SETUP.format(devices=DEVICES, url=receiver.url)],
                env=served.env,
                capture_output=True,
                text=True,
                timeout=120,
                check=True,
            )
            given = json.loads(setup.stdout.strip().splitlines()[-1])
            wait_for(lambda: served.answers() == 200, 120)
            master = served.pid_of("web")
            worker = served.pid_of("worker")

            items = readings(given["imeis"])
            batches = [items[i : i + PER_REQUEST] for i in range(0, READINGS, PER_REQUEST)]
            url = served.url("/ingest/v1/measurements")
            done = []

            def send(batch):
                answer = post_until_answered(url, given["key"], batch, deadline)
                done.append(answer)
                return answer

            kills = []

            def killer():
                # a gunicorn worker, the background worker, then the gunicorn master, each once
                # a quarter of the batches more has been answered
                steps = [
                    ("gunicorn worker", lambda: gunicorn_workers(master)[0]),
                    ("background worker", lambda: worker),
                    ("gunicorn master", lambda: master),
                ]
                for number, (name, pid_of) in enumerate(steps, start=1):
                    wait_for(lambda n=number: len(done) >= n * len(batches) // 4, BOUND_SECONDS)
                    pid = pid_of()
                    os.kill(pid, signal.SIGKILL)
                    kills.append((name, pid))

            kill_thread = threading.Thread(target=killer, daemon=True)
            kill_thread.start()
            with ThreadPoolExecutor(SENDERS) as pool:
                answers = list(pool.map(send, batches))
            kill_thread.join(timeout=60)
            assert [name for name, _ in kills] == [
                "gunicorn worker",
                "background worker",
                "gunicorn master",
            ]
            created = sum(a["created"] for a in answers)
            assert sum(a["errors"] for a in answers) == 0

            # 0 lost, none twice
            [(stored,)] = query(database_url, "SELECT count(*) FROM readings_measurement")
            assert stored == READINGS
            assert created <= READINGS  # a resend after a lost answer is a duplicate

            # every delivery sent, its webhook-id seen by the receiver
            def all_delivered() -> bool:
                rows = query(database_url, "SELECT webhook_id, status FROM webhooks_delivery")
                ids = {webhook_id for webhook_id, _ in rows}
                return (
                    len(rows) >= READINGS
                    and all(status == "succeeded" for _, status in rows)
                    and ids <= receiver.webhook_ids
                )

            wait_for(all_delivered, max(1.0, deadline - time.monotonic()))
            [(measurement_events,)] = query(
                database_url,
                "SELECT count(*) FROM webhooks_delivery d JOIN webhooks_event e"
                " ON e.id = d.event_id WHERE e.type = 'DEVICE_MEASUREMENT'",
            )
            assert measurement_events == READINGS  # each reading announced once
            output = "\n".join(served.lines)
            assert output.count("serve: worker restarted") >= 1, output
            assert output.count("serve: web restarted") >= 1, output
        finally:
            served.stop()
            receiver.shutdown()
