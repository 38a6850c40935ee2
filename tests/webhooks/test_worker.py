"""The worker: concurrent sends, per-endpoint bounds, several workers, and crashes that lose nothing."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.test import override_settings

from pulsebridge.ingest.readings import record_items as record_measurements
from pulsebridge.webhooks.dispatch import Worker, claim, deliver_due, lease
from pulsebridge.webhooks.models import Delivery, DeliveryAttempt
from tests import testdb

from .conftest import T0, Answer, fast_timeout

pytestmark = pytest.mark.live


class Running:
    """A Worker on its own event loop in a thread, as ``pulsebridge worker`` runs it."""

    def __init__(self, worker: Worker):
        self.worker = worker
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(worker.run(),))

    def __enter__(self) -> Worker:
        self.thread.start()
        return self.worker

    def __exit__(self, *exc) -> None:
        self.loop.call_soon_threadsafe(self.worker.stop)
        self.thread.join(30)
        self.loop.close()
        assert not self.thread.is_alive()


def retried(fn, *args, **kwargs):
    """Run a database call of the test thread while a worker thread uses the database.

    The SQLite test database is in memory with a shared cache, where a table another connection
    is writing is "locked" at once instead of after a busy timeout (a file database in WAL mode,
    what Pulsebridge runs on, waits instead). So the test thread tries again, as the worker does."""
    for _ in range(200):
        try:
            return fn(*args, **kwargs)
        except OperationalError as exc:
            if "locked" not in str(exc):
                raise
            time.sleep(0.01)
    return fn(*args, **kwargs)


def bp(imei, minute):
    return {
        "imei": imei,
        "kind": "blood_pressure",
        "measured_at": f"2026-11-01T08:{minute:02d}:00Z",
        "values": {"systolic": 129, "diastolic": 84, "pulse": 62},
    }


def test_with_the_worker_running_a_stored_reading_reaches_the_receiver(
    transactional_db, alice, add_device, endpoint_for, receiver
):
    endpoint_for(alice, receiver.url, fmt="pylo", events=["DEVICE_MEASUREMENT"])
    device = add_device(alice)
    with Running(Worker(interval=0.05)):
        retried(record_measurements, alice, [bp(device.imei, 0)])
        (request,) = receiver.wait_for(1)
        retried(record_measurements, alice, [bp(device.imei, 1)])
        assert len(receiver.wait_for(2)) == 2
    assert json.loads(request.json()["data"])["DeviceImei"] == device.imei
    assert set(Delivery.objects.values_list("status", flat=True)) == {"succeeded"}


def test_a_receiver_that_never_answers_does_not_delay_a_healthy_one(
    transactional_db, alice, endpoint_for, publish_event, receiver_factory
):
    dead = receiver_factory(Answer(hang=True))
    healthy = receiver_factory()
    endpoint_for(alice, dead.url)
    for _ in range(5):
        publish_event(alice)  # five deliveries waiting for the dead receiver
    endpoint_for(alice, healthy.url)
    with (
        fast_timeout(20),
        override_settings(WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT=2),
        Running(Worker(interval=0.05)),
    ):
        dead.wait_for(2)
        event = retried(publish_event, alice)  # one for each endpoint, while the dead one hangs
        (request,) = healthy.wait_for(1)
        assert request.json()["subject"] == event.subject_id
        # The dead receiver holds exactly its two slots; nothing of it was recorded yet.
        assert len(dead.requests) == 2
        dead_attempts = DeliveryAttempt.objects.filter(delivery__endpoint__url=dead.url)
        assert not retried(dead_attempts.exists)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            healthy_done = Delivery.objects.filter(
                event=event, endpoint__url=healthy.url, status="succeeded"
            )
            if retried(healthy_done.exists):
                break
            time.sleep(0.02)
        else:
            pytest.fail("the healthy delivery was not recorded while the other one hung")
        dead.released.set()  # let the worker stop without waiting for the timeout


def test_several_workers_send_each_delivery_once(
    transactional_db, alice, endpoint_for, publish_event, receiver
):
    endpoint_for(alice, receiver.url)
    for _ in range(60):
        publish_event(alice)
    workers = [Worker(once=True, concurrency=8, batch=5) for _ in range(3)]
    threads = [threading.Thread(target=asyncio.run, args=(w.run(),)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    ids = Counter(r.headers["webhook-id"] for r in receiver.requests)
    assert len(ids) == 60
    assert set(ids.values()) == {1}
    assert Delivery.objects.filter(status="succeeded").count() == 60


def test_once_does_not_take_a_failed_claim_for_nothing_due(
    transactional_db, alice, endpoint_for, publish_event, receiver, monkeypatch
):
    """A claim can fail for a moment (SQLite "locked" while another worker writes): a ``once``
    worker that exited there would leave due deliveries unsent. It tries again."""
    from pulsebridge.webhooks import dispatch

    endpoint_for(alice, receiver.url)
    for _ in range(3):
        publish_event(alice)
    real_claim, calls = dispatch.claim, []

    def locked_once(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise OperationalError("database table is locked")
        return real_claim(**kwargs)

    monkeypatch.setattr(dispatch, "claim", locked_once)
    assert asyncio.run(Worker(once=True).run()) == 3
    assert len(receiver.requests) == 3
    assert Delivery.objects.filter(status="succeeded").count() == 3


def test_once_gives_up_when_claims_keep_failing_and_says_so(
    transactional_db, alice, endpoint_for, publish_event, receiver, monkeypatch
):
    """A database that stays unreachable ends a ``--once`` run with an error, not a wait for
    ever; nothing is sent or lost (the rows stay due for the next run)."""
    from django.core.management.base import CommandError

    from pulsebridge.webhooks import dispatch

    endpoint_for(alice, receiver.url)
    publish_event(alice)
    calls = []

    def unreachable(**kwargs):
        calls.append(kwargs)
        raise OperationalError("connection refused")

    monkeypatch.setattr(dispatch, "claim", unreachable)
    monkeypatch.setattr(dispatch, "CLAIM_RETRY_PAUSE", 0.01)
    monkeypatch.setattr(dispatch, "ONCE_CLAIM_ATTEMPTS", 3)
    with pytest.raises(CommandError, match="could not claim the due deliveries: connection"):
        call_command("worker", "--once", "--no-tasks", stdout=StringIO(), stderr=StringIO())
    assert len(calls) == 3
    assert receiver.requests == []
    assert Delivery.objects.get().status == "pending"


def test_the_worker_command_once_sends_what_is_due_and_exits(
    transactional_db, alice, endpoint_for, publish_event, receiver
):
    endpoint_for(alice, receiver.url)
    publish_event(alice)
    publish_event(alice)
    out = StringIO()
    call_command("worker", "--once", "--concurrency", "4", stdout=out, stderr=StringIO())
    assert len(receiver.requests) == 2
    assert out.getvalue().strip() == "2 webhook attempt(s) made"


def test_a_claim_whose_worker_died_is_sent_once_its_lease_runs_out(
    alice, endpoint_for, publish_event, receiver
):
    endpoint_for(alice, receiver.url)
    event = publish_event(alice)
    (job,) = claim(now=T0, limit=10, per_endpoint=8)  # ... and the worker dies here
    assert deliver_due(now=T0 + timedelta(seconds=1)) == []
    assert receiver.requests == []
    (outcome,) = deliver_due(now=T0 + lease() + timedelta(seconds=1))
    assert outcome.ok
    (request,) = receiver.wait_for(1)
    delivery = Delivery.objects.get(event=event)
    assert request.headers["webhook-id"] == job.webhook_id == delivery.webhook_id
    assert delivery.status == "succeeded"
    assert delivery.claim_token == ""


def test_a_late_result_of_a_lost_claim_does_not_overwrite_the_new_state(
    alice, endpoint_for, publish_event, receiver
):
    from pulsebridge.webhooks.dispatch import Outcome, record

    endpoint_for(alice, receiver.url)
    event = publish_event(alice)
    (stale,) = claim(now=T0, limit=10, per_endpoint=8)
    deliver_due(now=T0 + lease() + timedelta(seconds=1))  # a second worker took it over
    record([Outcome(job=stale, at=T0 + timedelta(seconds=2), status_code=500)])
    delivery = Delivery.objects.get(event=event)
    assert delivery.status == "succeeded"
    assert DeliveryAttempt.objects.filter(delivery=delivery).count() == 2  # both are logged


def test_a_worker_process_killed_mid_send_loses_nothing(
    tmp_path, receiver_factory, django_db_setup
):
    """Two real ``pulsebridge worker`` processes on one SQLite file: the first is SIGKILLed while
    its request is in flight; the second sends the delivery again once the lease has run out."""
    receiver = receiver_factory(lambda n, _: Answer(hang=True) if n == 1 else Answer(200))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "PULSEBRIDGE_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "pulsebridge.settings",
        "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true",
        "WEBHOOK_TIMEOUT_SECONDS": "1",
        "WEBHOOK_CLAIM_LEASE_SECONDS": "2",
        "PULSEBRIDGE_LOG_LEVEL": "ERROR",
    }
    pulsebridge = [sys.executable, "-m", "pulsebridge"]

    def shell(code: str) -> str:
        done = subprocess.run(
            [*pulsebridge, "shell", "-v", "0", "-c", code],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    template = testdb.sqlite_template()
    if template is not None:  # the suite's own migrated database, copied: no migrating again
        shutil.copy(template, tmp_path / "db.sqlite3")
    else:  # a PostgreSQL run: only the tables a worker needs (core, and webhooks with its own)
        for app in ("core", "webhooks"):
            subprocess.run([*pulsebridge, "migrate", app, "-v0"], env=env, check=True, timeout=120)
    shell(
        textwrap.dedent(f"""
            from django.utils import timezone
            from pulsebridge.core.models import Company
            from pulsebridge.webhooks.models import Delivery, Event
            from pulsebridge.webhooks.services import create_endpoint

            company = Company.objects.create(code="acme", name="Acme")
            endpoint = create_endpoint(company, {receiver.url!r}, "k", "pylo", [])
            now = timezone.now()
            event = Event.objects.create(
                company=company, type="DEVICE_MEASUREMENT", created_at=now, subject_id="m1"
            )
            Delivery.objects.create(
                company=company, event=event, endpoint=endpoint, webhook_id="msg_crash_test",
                body='{{"n": 1}}', next_attempt_at=now, created_at=now,
            )
        """)
    )

    def start_worker() -> subprocess.Popen:
        return subprocess.Popen(
            [*pulsebridge, "worker", "--no-tasks", "--interval", "0.05"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    first = start_worker()
    try:
        receiver.wait_for(1, timeout=30)
        first.send_signal(signal.SIGKILL)  # mid-send: claimed, sent, no result recorded
    finally:
        first.wait(10)
    second = start_worker()
    try:
        requests = receiver.wait_for(2, timeout=30)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(15)
    assert [r.headers["webhook-id"] for r in requests] == ["msg_crash_test"] * 2
    assert second.returncode == 0
    state = shell(
        "from pulsebridge.webhooks.models import Delivery\n"
        "d = Delivery.objects.get()\n"
        "print(d.status, d.attempts, d.attempt_log.count())\n"
    )
    assert state == "succeeded 1 1"


def test_an_endpoints_backlog_neither_exceeds_its_bound_nor_hides_other_endpoints(
    alice, endpoint_for, publish_event
):
    busy = endpoint_for(alice, "http://127.0.0.1:9/busy")
    for _ in range(30):
        publish_event(alice)
    other = endpoint_for(alice, "http://127.0.0.1:9/other")
    publish_event(alice)  # one row for each endpoint, behind the backlog
    jobs = claim(now=T0, limit=20, per_endpoint=8)
    assert Counter(j.endpoint_id for j in jobs) == {busy.pk: 8, other.pk: 1}
    Delivery.objects.update(claimed_until=None, claim_token="")
    (job,) = claim(now=T0, limit=20, per_endpoint=8, in_flight={busy.pk: 8})
    assert job.endpoint_id == other.pk


def test_a_claim_fills_only_the_free_slots_oldest_due_first_across_endpoints(
    alice, endpoint_for, publish_event
):
    """Partly busy endpoints get only their free slots; within ``limit``, the oldest due rows win
    whichever endpoint they are for; what is claimed is leased to this claim and not claimed
    again until the lease runs out."""
    first = endpoint_for(alice, "http://127.0.0.1:9/first")
    for _ in range(5):
        publish_event(alice)  # five rows for "first", due first
    second = endpoint_for(alice, "http://127.0.0.1:9/second")
    for _ in range(5):
        publish_event(alice)  # five more for each endpoint
    jobs = claim(now=T0, limit=4, per_endpoint=3, in_flight={first.pk: 1, second.pk: 2})
    # first: 2 free slots, second: 1; limit 4 leaves room for all 3; first's are its oldest.
    assert Counter(j.endpoint_id for j in jobs) == {first.pk: 2, second.pk: 1}
    due_at = dict(Delivery.objects.values_list("pk", "next_attempt_at"))
    taken = {j.delivery_id for j in jobs if j.endpoint_id == first.pk}
    left = set(Delivery.objects.filter(endpoint=first).values_list("pk", flat=True)) - taken
    assert max(due_at[pk] for pk in taken) <= min(due_at[pk] for pk in left)  # its oldest
    assert {j.claim_token for j in jobs} != {""}
    assert len({j.claim_token for j in jobs}) == 1
    leased = Delivery.objects.filter(claim_token=jobs[0].claim_token)
    assert set(leased.values_list("pk", flat=True)) == {j.delivery_id for j in jobs}
    assert all(d.claimed_until > T0 for d in leased)
    again = claim(now=T0, limit=20, per_endpoint=8)
    assert not {j.delivery_id for j in again} & {j.delivery_id for j in jobs}
    assert len(again) == 15 - len(jobs)  # every other due row (first: 10, second: 5)
    # The limit takes the oldest due across endpoints: all of "first"'s five come before
    # "second"'s.
    Delivery.objects.update(claimed_until=None, claim_token="")
    oldest = claim(now=T0, limit=5, per_endpoint=8)
    assert {j.endpoint_id for j in oldest} == {first.pk}


def test_once_sends_an_endpoints_whole_backlog_through_its_bound(
    transactional_db, alice, endpoint_for, publish_event, receiver
):
    endpoint_for(alice, receiver.url)
    for _ in range(30):
        publish_event(alice)
    with override_settings(WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT=2):
        asyncio.run(Worker(once=True).run())
    assert len(receiver.requests) == 30
    assert Delivery.objects.filter(status="succeeded").count() == 30


def test_the_worker_also_runs_background_tasks(transactional_db, tmp_path):
    from .background import record_run

    trace = tmp_path / "trace"
    record_run.enqueue(str(trace))
    call_command("worker", "--once", stdout=StringIO(), stderr=StringIO())
    assert trace.read_text() == "ran\n"


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="LISTEN/NOTIFY: PostgreSQL only (SQLite workers poll)",
)
def test_on_postgresql_a_new_delivery_wakes_an_idle_worker_before_its_next_poll(
    transactional_db, alice, endpoint_for, publish_event, receiver
):
    """With a poll a minute apart, only the notification sent on commit can bring the delivery
    to the receiver within seconds."""
    endpoint_for(alice, receiver.url)
    worker = Worker(interval=60)
    with Running(worker):
        assert _wait_listening(worker)
        time.sleep(0.3)  # the first claim has run and found nothing: the next poll is 60 s away
        assert receiver.requests == []
        event = publish_event(alice)
        (request,) = receiver.wait_for(1, timeout=10)
    assert request.json()["subject"] == event.subject_id


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="LISTEN/NOTIFY: PostgreSQL only (SQLite workers poll)",
)
def test_on_postgresql_a_stored_reading_wakes_an_idle_worker_and_its_copy_sends_nothing(
    transactional_db, alice, add_device, endpoint_for, receiver
):
    """A reading of an active device is stored with its event and delivery in one statement,
    outside any transaction: the notification goes with that statement. Sent again, it is a
    duplicate, and the statement writes no event and no delivery for it."""
    endpoint_for(alice, receiver.url)
    device = add_device(alice)
    device.billing_status = "active"
    device.save()
    reading = {
        "imei": device.imei,
        "kind": "blood_pressure",
        "measured_at": "2026-11-01T08:00:00Z",
        "values": {"systolic": 129, "diastolic": 84, "pulse": 62},
    }
    worker = Worker(interval=60)
    with Running(worker):
        assert _wait_listening(worker)
        time.sleep(0.3)  # the first claim has run and found nothing: the next poll is 60 s away
        (outcome,) = record_measurements(alice, [reading])
        (request,) = receiver.wait_for(1, timeout=10)
        (again,) = record_measurements(alice, [reading])
        time.sleep(0.5)
    assert request.json()["subject"] == outcome.id
    assert (again.status, again.id) == ("duplicate", outcome.id)
    assert len(receiver.requests) == 1
    assert Delivery.objects.count() == 1


def _wait_listening(worker: Worker, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.listening.is_set():
            return True
        time.sleep(0.02)
    return False


def test_only_a_long_running_worker_on_postgresql_listens(db):
    from django.db import connection

    assert Worker(once=True).listen is False
    assert Worker().listen is (connection.vendor == "postgresql")


def test_a_receivers_cookie_is_not_sent_back_with_the_next_deliveries(
    transactional_db, alice, endpoint_for, publish_event, receiver_factory
):
    """Each delivery stands alone: what a receiver sets with ``Set-Cookie`` is not kept by the
    worker's client for the next requests to it."""
    receiver = receiver_factory(Answer(headers={"set-cookie": "session=abc123; Path=/"}))
    endpoint_for(alice, receiver.url)
    with Running(Worker(interval=0.05)):
        retried(publish_event, alice)
        receiver.wait_for(1)
        retried(publish_event, alice)
        first, second = receiver.wait_for(2)
    assert "cookie" not in first.headers
    assert "cookie" not in second.headers


def test_each_claimed_delivery_carries_its_own_endpoints_url_and_current_secret(
    db, alice, endpoint_for, publish_event
):
    """The claim reads each endpoint once for all its deliveries: every job still gets the URL
    and the (decrypted) secret of its own endpoint, as they are at the claim."""
    first = endpoint_for(alice, "https://one.example/hook", secret="first-secret-0001")
    second = endpoint_for(alice, "https://two.example/hook", secret="second-secret-002")
    for _ in range(3):
        publish_event(alice)
    first.secret = "first-secret-0002"  # a new secret, stored encrypted like any
    first.save(update_fields=["secret"])
    jobs = claim(now=T0 + timedelta(days=3650), limit=10, per_endpoint=8)
    assert len(jobs) == 6
    by_endpoint = Counter((job.endpoint_id, job.url, job.secret) for job in jobs)
    assert by_endpoint == {
        (first.pk, "https://one.example/hook", "first-secret-0002"): 3,
        (second.pk, "https://two.example/hook", "second-secret-002"): 3,
    }


def test_a_busy_worker_writes_a_lone_result_without_waiting_for_a_batch(
    transactional_db, alice, endpoint_for, publish_event, receiver_factory
):
    """Results are written in batches, but one answer among sends still in flight is written
    within moments, not when the others finish."""
    slow = receiver_factory(Answer(hang=True))
    fast = receiver_factory()
    endpoint_for(alice, slow.url)
    endpoint_for(alice, fast.url)
    with fast_timeout(20), Running(Worker(interval=0.05)):
        event = retried(publish_event, alice)
        fast.wait_for(1)
        slow.wait_for(1)
        done = Delivery.objects.filter(event=event, endpoint__url=fast.url, status="succeeded")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not retried(done.exists):
            time.sleep(0.02)
        assert retried(done.exists)
        assert retried(Delivery.objects.filter(event=event, status="pending").count) == 1
        slow.released.set()


def test_requests_to_one_endpoint_each_get_a_client_of_their_own_up_to_the_bound():
    """One single-connection client per request in flight (httpcore's pool hands requests queued
    at the same instant the same idle connection); beyond the bound the clients are shared, and
    a client handed back is reused rather than a new connection opened."""
    from uuid import uuid4

    from pulsebridge.webhooks.dispatch import Clients

    clients = Clients(per_endpoint=2)
    endpoint, other = uuid4(), uuid4()
    first, second = clients.acquire(endpoint), clients.acquire(endpoint)
    assert first is not second
    third = clients.acquire(endpoint)  # beyond the bound: shares one of the two
    assert third in (first, second)
    assert clients.acquire(other) not in (first, second)
    clients.release(endpoint, third)
    clients.release(endpoint, first)
    clients.release(endpoint, second)
    again = {clients.acquire(endpoint), clients.acquire(endpoint)}
    assert again == {first, second}
    asyncio.run(clients.aclose())
