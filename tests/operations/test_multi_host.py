"""Past one machine: two web hosts and two worker hosts on one PostgreSQL and one Redis host.

The hosts are network namespaces on a bridge the test makes (``tests/operations/hosts.py``):
a database host running its own PostgreSQL cluster (initdb into a temporary directory) and its
own Redis, two web hosts each running ``pulsebridge serve --no-worker``, two worker hosts each
running ``pulsebridge worker``. The test, its client and its webhook receiver sit at the
bridge's own address. Bounded in time and count; everything is torn down, also on failure.

What it shows: readings posted through both web hosts (batches and singles, some twice) are all
stored once; each is delivered, each ``webhook-id`` exactly once while both workers run; a
worker killed with SIGKILL mid-delivery loses nothing (what it had claimed is sent by the other
after the lease); a per-second limit holds across both web hosts (Redis); a key revoked through
one host's CLI is refused by both within ``API_KEY_CACHE_SECONDS``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import psycopg
import pytest
from cryptography.fernet import Fernet

from tests.conftest import missing_service

from . import hosts

pytestmark = pytest.mark.multihost

PULSEBRIDGE = [sys.executable, "-m", "pulsebridge"]
KEY_CACHE_SECONDS = 2
CREATE_KEY = ("apikey", "create", "--company", "multi", "--dialect", "ingest", "--json")
LEASE_SECONDS = 6
RATE = 5
DEVICES = 20


# one key for every host, made once per run
FIELD_ENCRYPTION_KEYS = Fernet.generate_key().decode()


class _QuietServer(ThreadingHTTPServer):
    # socketserver's accept queue holds 5: two workers opening up to 8 connections each at once
    # overflow it on a loaded machine, and the kernel's resets become retries minutes later (as
    # in tests/webhooks/conftest.py). Real receivers listen with a deep queue; so does this one.
    request_queue_size = 128

    def handle_error(self, request, client_address):
        """A worker killed mid-request resets its connection: expected here, not news."""


class Receiver:
    """Webhooks arrive here, at the bridge's address: every ``webhook-id`` it was sent."""

    def __init__(self, address: str):
        self.seen: list[str] = []
        self.delay = 0.0
        self.lock = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                self.rfile.read(int(self.headers.get("content-length", 0)))
                if receiver.delay:
                    time.sleep(receiver.delay)
                with receiver.lock:
                    receiver.seen.append(self.headers["webhook-id"])
                    receiver.lock.notify_all()
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = _QuietServer((address, 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hook"

    def wait_for(self, wanted: set[str], timeout: float) -> set[str]:
        deadline = time.monotonic() + timeout
        with self.lock:
            while not wanted <= set(self.seen) and time.monotonic() < deadline:
                self.lock.wait(0.2)
            return wanted & set(self.seen)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Cluster:
    """The five hosts, started."""

    def __init__(self, net: hosts.Network):
        self.net = net
        self.db = net.add_host("db")
        self.webs = [net.add_host("web1"), net.add_host("web2")]
        self.workers = [net.add_host("wk1"), net.add_host("wk2")]
        self.logs = net.directory("logs")
        self.database_url = f"postgres://postgres@{self.db.address}:5432/pulsebridge"
        self.worker_processes: list[subprocess.Popen] = []

    def env(self, host: hosts.Host | None) -> dict:
        var = self.net.directory(f"var-{host.name if host else 'test'}")
        return {
            "PATH": hosts.SYSTEM_PATH,
            "HOME": str(var),
            "PULSEBRIDGE_VAR_DIR": str(var),
            "DATABASE_URL": self.database_url,
            "REDIS_URL": f"redis://{self.db.address}:6379/0",
            "SECRET_KEY": "multi-host-test-secret-key-shared-by-every-host",
            # the webhook secrets one host stores, every other host must decrypt
            "FIELD_ENCRYPTION_KEYS": FIELD_ENCRYPTION_KEYS,
            "ALLOWED_HOSTS": "*",
            "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true",
            "API_KEY_CACHE_SECONDS": str(KEY_CACHE_SECONDS),
            "WEBHOOK_TIMEOUT_SECONDS": "2",
            "WEBHOOK_CLAIM_LEASE_SECONDS": str(LEASE_SECONDS),
            "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
        }

    def start_database(self) -> None:
        data = self.net.directory("pgdata")
        subprocess.run(["chown", "-R", "postgres:postgres", str(data)], check=True)
        initdb = [str(hosts.PG_BIN / "initdb"), "-D", str(data / "db"), "-A", "trust"]
        subprocess.run(
            [
                hosts.which("runuser"),
                "-u",
                "postgres",
                "--",
                *initdb,
                "-U",
                "postgres",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        with (data / "db" / "pg_hba.conf").open("a") as hba:
            hba.write(f"host all all {self.net.subnet}.0/24 trust\n")
        postgres = [
            str(hosts.PG_BIN / "postgres"),
            "-D", str(data / "db"),
            "-c", f"listen_addresses={self.db.address}",
            "-c", "port=5432",
            "-c", f"unix_socket_directories={data / 'db'}",
            "-c", "fsync=off",
            "-c", "max_connections=200",
        ]  # fmt: skip
        log = self.logs / "postgres.log"
        process = self.net.start(self.db, postgres, env={}, log=log, user="postgres")
        hosts.wait_for_port(self.db.address, 5432, 60, "PostgreSQL", process, log)
        for _ in range(50):  # listening is not yet accepting
            try:
                with psycopg.connect(
                    f"postgres://postgres@{self.db.address}:5432/postgres", autocommit=True
                ) as conn:
                    conn.execute("CREATE DATABASE pulsebridge")
                break
            except psycopg.OperationalError:
                time.sleep(0.2)
        redis = [
            "redis-server", "--bind", self.db.address, "--port", "6379", "--save", "",
            "--appendonly", "no", "--protected-mode", "no",
        ]  # fmt: skip
        log = self.logs / "redis.log"
        process = self.net.start(self.db, redis, env={}, log=log)
        hosts.wait_for_port(self.db.address, 6379, 30, "Redis", process, log)

    def cli(self, *argv: str, host: hosts.Host | None = None) -> str:
        command = [*PULSEBRIDGE, *argv]
        if host is not None:
            command = host.command(*command)
        result = subprocess.run(
            command, env=self.env(host), capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, f"{argv}: {result.stderr[-2000:]}"
        return result.stdout

    def start_web(self) -> None:
        started = []
        for web in self.webs:
            serve = [*PULSEBRIDGE, "serve", "--no-worker", "--host", web.address, "--port", "8000"]
            serve += ["--workers", "2"]
            started.append(
                self.net.start(web, serve, env=self.env(web), log=self.logs / f"{web.name}.log")
            )
        for web, process in zip(self.webs, started, strict=True):
            log = self.logs / f"{web.name}.log"
            hosts.wait_for_port(web.address, 8000, 120, web.name, process, log)

    def start_workers(self) -> None:
        for host in self.workers:
            self.worker_processes.append(
                self.net.start(
                    host,
                    [*PULSEBRIDGE, "worker", "--no-tasks"],
                    env=self.env(host),
                    log=self.logs / f"{host.name}.log",
                )
            )

    def url(self, index: int, path: str) -> str:
        return f"http://{self.webs[index % 2].address}:8000{path}"

    def query(self, sql: str, *params) -> list[tuple]:
        with psycopg.connect(self.database_url) as conn:
            return conn.execute(sql, params).fetchall()


@pytest.fixture
def cluster():
    why = hosts.available()
    if why:
        missing_service(f"multi-host test: {why}")
    started = time.monotonic()
    net = hosts.Network(hosts.free_subnet()).open()
    try:
        cluster = Cluster(net)
        cluster.start_database()
        cluster.cli("migrate", "--verbosity", "0")
        yield cluster
    finally:
        net.close()
        print(f"\nmulti-host test: {time.monotonic() - started:.0f} s in all")  # noqa: T201


def reading(imei: str, second: int) -> dict:
    minute, sec = divmod(second, 60)
    hour, minute = divmod(minute, 60)
    return {
        "imei": imei,
        "kind": "blood_pressure",
        "measured_at": f"2026-11-0{1 + hour // 24}T{hour % 24:02d}:{minute:02d}:{sec:02d}Z",
        "values": {"systolic": 120 + second % 40, "diastolic": 80, "pulse": 60},
    }


def post(client: httpx.Client, url: str, key: str, body) -> httpx.Response:
    return client.post(url, json=body, headers={"x-api-key": key}, timeout=30)


def test_two_web_and_two_worker_hosts_lose_nothing_and_share_their_limits(cluster):
    net = cluster.net
    receiver = Receiver(net.gateway)
    try:
        _scenario(cluster, receiver)
    finally:
        receiver.close()


def _rows_of(cluster: Cluster, webhook_ids: set[str]) -> list:
    """What the outbox says of deliveries the receiver did not get (a failure's message)."""
    listed = ", ".join(f"'{w}'" for w in sorted(webhook_ids)[:5])
    return cluster.query(
        "SELECT webhook_id, status, attempts, next_attempt_at, claimed_until, last_status_code, "  # noqa: S608 - ids of our own rows
        f"last_error FROM webhooks_delivery WHERE webhook_id IN ({listed})"
    )


def _scenario(cluster: Cluster, receiver: Receiver) -> None:
    cluster.cli("company", "create", "--name", "Multi", "--code", "multi")
    key = json.loads(cluster.cli(*CREATE_KEY, "--rate-per-second", "100000"))["key"]
    limited = json.loads(cluster.cli(*CREATE_KEY, "--rate-per-second", str(RATE)))
    cluster.cli("webhook", "add", "--company", "multi", "--url", receiver.url, "--format",
                "pylo", "--secret", "s3cret", "--event", "DEVICE_MEASUREMENT")  # fmt: skip
    imeis = [f"3594233{i:08d}" for i in range(DEVICES)]
    cluster.cli(
        "shell",
        "-c",
        "from pulsebridge.core.models import Company\n"
        "from pulsebridge.devices.services import add_device\n"
        "c = Company.objects.get(code='multi')\n"
        f"for imei in {imeis!r}: add_device(c, 'PY-802-LTE', imei=imei)\n",
    )
    cluster.start_web()
    cluster.start_workers()
    ingest = "/ingest/v1/measurements"

    # -- 1. readings through both web hosts, batches and singles, some sent twice
    batches = [
        [reading(imeis[(b * 20 + i) % DEVICES], b * 20 + i) for i in range(20)] for b in range(10)
    ]
    singles = [reading(imeis[i % DEVICES], 1000 + i) for i in range(60)]
    with httpx.Client() as client, ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(
            lambda job: post(client, cluster.url(job[0], ingest), key, job[1]),
            [*enumerate(batches), *enumerate(singles, start=1), *enumerate(batches[:5], start=1)],
        ))  # fmt: skip
    assert {a.status_code for a in answers} == {200}, [
        a.text for a in answers if a.status_code != 200
    ][:3]
    created = sum(a.json()["created"] for a in answers)
    duplicates = sum(a.json()["duplicates"] for a in answers)
    assert (created, duplicates) == (260, 100)
    assert cluster.query(
        "SELECT count(*), count(DISTINCT dedupe_key) FROM readings_measurement"
    ) == [(260, 260)]

    wanted = {wid for (wid,) in cluster.query("SELECT webhook_id FROM webhooks_delivery")}
    assert len(wanted) == 260
    missing = wanted - receiver.wait_for(wanted, timeout=90)
    assert not missing, _rows_of(cluster, missing)
    time.sleep(1)  # anything sent twice would have arrived by now
    counts = {wid: receiver.seen.count(wid) for wid in wanted}
    assert max(counts.values()) == 1, "a delivery was sent twice while both workers ran"

    # -- 2. one worker host killed with SIGKILL in the middle of delivering
    receiver.delay = 0.3  # keeps claims in flight on both workers
    more = [reading(imeis[i % DEVICES], 5000 + i) for i in range(100)]
    with httpx.Client() as client:
        for i in range(0, 100, 10):
            assert (
                post(client, cluster.url(i // 10, ingest), key, more[i : i + 10]).status_code == 200
            )
    before = len(receiver.seen)
    deadline = time.monotonic() + 30
    while len(receiver.seen) < before + 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    killed = cluster.worker_processes[0]
    os.killpg(killed.pid, 9)
    killed.wait(10)
    receiver.delay = 0.0
    all_wanted = {wid for (wid,) in cluster.query("SELECT webhook_id FROM webhooks_delivery")}
    assert len(all_wanted) == 360
    missing = all_wanted - receiver.wait_for(all_wanted, timeout=LEASE_SECONDS + 60)
    assert not missing, f"{len(missing)} deliveries never arrived after a worker was killed"
    # what the dead worker had claimed (some of it sent before it died, never recorded) is sent
    # again by the other once the lease runs out, and recorded
    states = "SELECT status, count(*) FROM webhooks_delivery GROUP BY status"
    deadline = time.monotonic() + LEASE_SECONDS + 30
    while cluster.query(states) != [("succeeded", 360)] and time.monotonic() < deadline:
        time.sleep(0.5)
    assert cluster.query(states) == [("succeeded", 360)]

    # -- 3. a per-second limit of RATE holds across both web hosts (counted in Redis)
    with httpx.Client() as client:
        time.sleep(1.05 - time.time() % 1)  # a burst well inside one second
        burst_started = time.monotonic()
        with ThreadPoolExecutor(4 * RATE) as pool:
            statuses = list(pool.map(
                lambda i: post(client, cluster.url(i, ingest), limited["key"], reading(imeis[1], 9100 + i)).status_code,
                range(4 * RATE),
            ))  # fmt: skip
        burst = time.monotonic() - burst_started
    if burst < 0.9:  # else the machine was too slow to put the burst in one second: say so
        assert statuses.count(200) == RATE, statuses
        assert statuses.count(429) == 3 * RATE
    else:
        pytest.fail(f"the burst of {4 * RATE} requests took {burst:.2f} s: no one-second test")

    # -- 4. a key revoked through one host's CLI is refused by both within the cache time
    with httpx.Client() as client:
        for i in range(2):  # both hosts have verified (and remembered) the key
            assert (
                post(client, cluster.url(i, ingest), key, reading(imeis[2], 9500 + i)).status_code
                == 200
            )
        cluster.cli("apikey", "revoke", key.rsplit("_", 1)[0], host=cluster.webs[0])
        revoked_at = time.monotonic()
        refused = {}
        n = 0
        while len(refused) < 2 and time.monotonic() - revoked_at < KEY_CACHE_SECONDS + 10:
            for i in range(2):
                if i not in refused:
                    n += 1
                    code = post(
                        client, cluster.url(i, ingest), key, reading(imeis[3], 9600 + n)
                    ).status_code
                    if code == 401:
                        refused[i] = time.monotonic() - revoked_at
            time.sleep(0.1)
    assert set(refused) == {0, 1}, "a revoked key was still accepted"
    assert max(refused.values()) <= KEY_CACHE_SECONDS + 1.5, refused
