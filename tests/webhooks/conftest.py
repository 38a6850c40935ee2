"""Real HTTP receivers on 127.0.0.1, a test-only body format, and helpers to make deliveries."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import override_settings

# The controlled clock starts a day ahead of the real one: rows published now are due at T0.
T0 = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)


@dataclass
class Received:
    at: float  # time.monotonic() on arrival
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class Answer:
    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False  # never answer (until the test ends)


class _Server(ThreadingHTTPServer):
    """socketserver's accept queue holds 5 connections. Several workers open theirs at once
    (3 x 8 in one test), and while a loaded machine is slow to accept them the kernel resets the
    overflow: attempts failing with ReadError through no fault of the receiver. Real servers
    listen with a deep queue; so does this one."""

    request_queue_size = 128
    daemon_threads = True


class Receiver:
    """An HTTP server in a thread, on a free port, recording every request it gets.

    ``answer`` decides the response: an Answer, or a callable (request number, Received) -> Answer.
    """

    def __init__(self, answer: Answer | Callable[[int, Received], Answer] | None = None):
        self.answer = answer or Answer()
        self.requests: list[Received] = []
        self.released = threading.Event()
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real receivers

            def do_POST(self):
                length = int(self.headers.get("content-length", 0))
                got = Received(
                    at=time.monotonic(),
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length),
                )
                with receiver.arrived:
                    receiver.requests.append(got)
                    number = len(receiver.requests)
                    receiver.arrived.notify_all()
                answer = receiver.answer
                if callable(answer):
                    answer = answer(number, got)
                if answer.hang:
                    receiver.released.wait(30)
                    self.close_connection = True
                    return
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, *args):  # keep the test output clean
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def start(self) -> Receiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.requests) >= count, timeout)
        return list(self.requests)


@pytest.fixture
def receiver_factory():
    started = []

    def make(answer=None) -> Receiver:
        receiver = Receiver(answer).start()
        started.append(receiver)
        return receiver

    yield make
    for receiver in started:
        receiver.stop()


@pytest.fixture
def receiver(receiver_factory) -> Receiver:
    return receiver_factory()


def render_for_tests(event, subject, endpoint):
    """A minimal format: the event and its subject id, plus a format-specific header."""
    from pulsebridge.webhooks.services import Rendered

    body = json.dumps({"type": event.type, "subject": event.subject_id, "data": event.data})
    return Rendered(body=body, headers={"x-test-format": "yes"})


@pytest.fixture(autouse=True)
def test_format(settings):
    """Register the ``test`` format beside the real ones, for every webhook test."""
    settings.WEBHOOK_RENDERERS = {
        **settings.WEBHOOK_RENDERERS,
        "test": "tests.webhooks.conftest.render_for_tests",
    }
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True


@pytest.fixture
def endpoint_for():
    from pulsebridge.webhooks.services import create_endpoint

    def make(company, url, *, fmt="test", secret="s3cret-shared", events=()):  # noqa: S107
        return create_endpoint(company, url, secret, fmt, events)

    return make


@pytest.fixture
def publish_event():
    """Publish one event for the company, committed (or not) like any caller's transaction."""
    from django.db import transaction

    from pulsebridge.webhooks.services import publish

    counter = iter(range(1, 1_000_000))

    def make(company, event_type="DEVICE_MEASUREMENT", subject_id=None):
        subject_id = subject_id or f"subject-{next(counter)}"
        with transaction.atomic():
            (event,) = publish(company, event_type, [(subject_id, object())])
        return event

    return make


def fast_timeout(seconds: float = 1.0):
    return override_settings(WEBHOOK_TIMEOUT_SECONDS=seconds)
