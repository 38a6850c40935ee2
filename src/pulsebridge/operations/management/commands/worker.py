"""``pulsebridge worker``: the background worker. Sends webhooks and runs background tasks.

Two loops in one process, each with its own database connection:

- the webhook dispatcher (main thread, asyncio): polls the outbox every ``--interval`` seconds
  (0.1 by default), and at once again while rows keep coming, so that a reading reaches a healthy
  receiver in well under a second;
- django-tasks' own database worker (a thread) for every other background task, at its usual
  one-second poll: nothing there needs sub-second latency.

Run as many workers as you like on PostgreSQL; they share the work through row claims.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connections
from django.utils import timezone
from django.utils.crypto import get_random_string

from pulsebridge.lib.commands import positive_int
from pulsebridge.operations import health, partitioning, retention
from pulsebridge.webhooks.dispatch import Worker

logger = logging.getLogger("pulsebridge.worker")

UPKEEP_EVERY_SECONDS = 24 * 3600
RETENTION_EVERY_SECONDS = 3600


def _step(name: str, function) -> bool:
    try:
        function()
    except Exception:
        logger.exception("worker: the %s failed; trying again in an hour", name)
        return False
    finally:
        connections.close_all()
    return True


def _upkeep(stopping: threading.Event) -> None:
    """Once at start and then daily: the coming months' partitions made, the expired dropped
    (PostgreSQL; nothing to do on SQLite); hourly, the retention of what ages out
    (operations/retention.py). Several workers may do it: each step is idempotent and
    serialised in the database."""
    partitions_due = 0.0
    while not stopping.is_set():
        if time.monotonic() >= partitions_due:
            done = _step("daily partition upkeep", partitioning.upkeep)
            partitions_due = time.monotonic() + (UPKEEP_EVERY_SECONDS if done else 3600)
        _step("retention", retention.prune_all)
        stopping.wait(RETENTION_EVERY_SECONDS)


def _heartbeat(stopping: threading.Event, worker_id: str) -> None:
    """This worker's row in the heartbeat table, rewritten every WORKER_HEARTBEAT_SECONDS:
    /readyz tells from it that some worker is alive."""
    started_at = timezone.now()
    while not stopping.is_set():
        try:
            health.beat(worker_id, started_at)
        except Exception:
            logger.exception("worker: could not write its heartbeat")
        finally:
            connections.close_all()
        stopping.wait(settings.WORKER_HEARTBEAT_SECONDS)


def _tasks_worker(once: bool):
    """django-tasks' database worker, when the configured task backend is the database one."""
    from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.management.commands.db_worker import Worker as DBWorker

    if not isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend):
        return None
    return DBWorker(
        queue_names=["*"],
        excluded_queue_names=[],
        interval=1.0,
        batch=once,
        backend_name=DEFAULT_TASK_BACKEND_ALIAS,
        startup_delay=False,
        max_tasks=None,
        worker_id=get_random_string(32),
    )


class Command(BaseCommand):
    help = "Run the background worker: send webhooks, run background tasks."

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="process what is due now, then exit"
        )
        parser.add_argument(
            "--concurrency",
            type=positive_int,
            default=64,
            metavar="N",
            help="webhook requests in flight at most (default 64)",
        )
        parser.add_argument(
            "--per-endpoint",
            type=positive_int,
            default=None,
            metavar="N",
            help="requests in flight per endpoint at most "
            f"(default WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT={settings.WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT})",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=0.1,
            metavar="SECONDS",
            help="how often an idle worker looks for due deliveries (default 0.1)",
        )
        parser.add_argument(
            "--no-tasks", action="store_true", help="send webhooks only, run no background tasks"
        )

    def handle(self, *args, once, concurrency, per_endpoint, interval, no_tasks, **options):
        if not 0 < interval <= 60:
            raise CommandError("--interval must be more than 0 and at most 60 seconds")
        worker = Worker(
            concurrency=concurrency, per_endpoint=per_endpoint, interval=interval, once=once
        )
        tasks = None if no_tasks else _tasks_worker(once)
        stopping = threading.Event()
        if not once:
            threading.Thread(target=_upkeep, args=(stopping,), name="upkeep", daemon=True).start()
            threading.Thread(
                target=_heartbeat,
                args=(stopping, get_random_string(32)),
                name="heartbeat",
                daemon=True,
            ).start()
        thread = None
        if tasks is not None and not once:
            thread = threading.Thread(target=self._run_tasks, args=(tasks,), name="tasks")
            thread.start()
        if options["verbosity"] >= 1 and not once:
            self.stderr.write(
                f"worker: webhooks (concurrency {worker.concurrency}, "
                f"{worker.per_endpoint} per endpoint)" + (", background tasks" if thread else "")
            )
        try:
            sent = asyncio.run(self._run(worker))
        except DatabaseError as exc:  # --once, when claims kept failing
            raise CommandError(f"could not claim the due deliveries: {exc}") from exc
        finally:
            stopping.set()
            if thread is not None:
                tasks.running = False  # its loop ends after the current task or sleep
                thread.join()
        if tasks is not None and once:
            tasks.run()  # batch mode: every ready task, then return
            connections.close_all()
        if once and options["verbosity"] >= 1:
            self.stdout.write(f"{sent} webhook attempt(s) made")

    @staticmethod
    async def _run(worker: Worker) -> int:
        loop = asyncio.get_running_loop()
        stops = 0

        def on_signal() -> None:
            nonlocal stops
            stops += 1
            if stops > 1:
                raise SystemExit(1)  # a second Ctrl-C: do not wait for the sends in flight
            logger.warning("worker: stopping after the requests in flight")
            worker.stop()

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, on_signal)
        return await worker.run()

    @staticmethod
    def _run_tasks(tasks) -> None:
        try:
            tasks.run()
        except Exception:
            logger.exception("worker: the background task loop stopped")
        finally:
            connections.close_all()
