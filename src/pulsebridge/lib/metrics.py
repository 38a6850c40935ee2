"""Prometheus metrics (prometheus-client), served at ``/metrics``.

Under ``pulsebridge serve`` every gunicorn worker and the background worker count in files of
their own under ``PROMETHEUS_MULTIPROC_DIR`` (serve sets and empties it), summed when /metrics is
read; a single process (``runserver``, the tests) counts in memory. The labels are bounded sets:
a dialect, a URL pattern (never the path itself, which holds ids), a status code, an outcome."""

from __future__ import annotations

import logging
import os
import re
import secrets
import time

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import multiprocess as prometheus_multiprocess

logger = logging.getLogger("pulsebridge.request")

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # prometheus-client opens its files there as soon as a metric is made: a directory that
    # does not exist yet would make every process fail at start.
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

# seconds; from a cached key check (~1 ms) to a slow page
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

REQUESTS = Counter(
    "pulsebridge_http_requests_total",
    "HTTP requests answered, by API dialect, URL pattern and status code.",
    ["dialect", "route", "status"],
)
REQUEST_SECONDS = Histogram(
    "pulsebridge_http_request_duration_seconds",
    "Time to answer an HTTP request, by API dialect and URL pattern.",
    ["dialect", "route"],
    buckets=LATENCY_BUCKETS,
)
READINGS_STORED = Counter(
    "pulsebridge_readings_stored_total", "Readings stored (duplicates not counted).", ["kind"]
)
DELIVERIES = Counter(
    "pulsebridge_webhook_deliveries_total",
    "Webhook delivery attempts, by outcome (succeeded, retry, failed, gone).",
    ["outcome"],
)
DELIVERY_SECONDS = Histogram(
    "pulsebridge_webhook_delivery_duration_seconds",
    "Time from sending a webhook to its receiver's answer (or the error).",
    buckets=LATENCY_BUCKETS,
)
IMPORTS = Counter(
    "pulsebridge_imports_total", "Care data import batches finished, by status.", ["status"]
)
IMPORT_SECONDS = Histogram(
    "pulsebridge_import_duration_seconds",
    "Time a care data import batch took, from queued to finished.",
    buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600),
)
THROTTLED = Counter(
    "pulsebridge_throttled_requests_total", "Requests refused by a limit, by limit.", ["limit"]
)

DIALECTS = {"ingest", "pylo", "tenovi", "hayylo", "ping", "fhir", "api", "admin", "static"}


def dialect_of(path: str) -> str:
    first = path.lstrip("/").split("/", 1)[0]
    if first in DIALECTS:
        return first
    if first in ("healthz", "readyz", "metrics"):
        return "operations"
    return "console"


def route_of(request) -> str:
    """The URL pattern that answered (``pylo/devices/<str:device_id>``), or ``unmatched``."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.route or match.view_name or "unmatched"


REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def request_id_of(request) -> str:
    """The caller's (or its proxy's) X-Request-ID when it is a plain token, else a new one."""
    given = request.META.get("HTTP_X_REQUEST_ID", "")
    return given if REQUEST_ID.match(given) else secrets.token_hex(16)


def company_of(request) -> str:
    """The code of the company the request authenticated as, where a dialect recorded it."""
    company = getattr(request, "company", None)
    return getattr(company, "code", "") or ""


# The labelled children, looked up once per label set: prometheus-client's labels() takes a
# lock and checks the labels on every call. The sets are bounded (routes are the URL patterns).
_request_counters: dict[tuple[str, str, int], Counter] = {}
_request_timers: dict[tuple[str, str], Histogram] = {}


def _count(dialect: str, route: str, status: int, elapsed: float) -> None:
    counter = _request_counters.get((dialect, route, status))
    if counter is None:
        counter = _request_counters[(dialect, route, status)] = REQUESTS.labels(
            dialect, route, str(status)
        )
    timer = _request_timers.get((dialect, route))
    if timer is None:
        timer = _request_timers[(dialect, route)] = REQUEST_SECONDS.labels(dialect, route)
    counter.inc()
    timer.observe(elapsed)


def observe_requests(get_response):
    """Counts and times every request; with ``LOG_REQUESTS`` one log line each (request id,
    company, route, status, duration: never a header, a query string or a body). Answers carry
    ``X-Request-ID``."""
    from django.conf import settings

    log_requests = getattr(settings, "LOG_REQUESTS", False)

    def middleware(request):
        started = time.perf_counter()
        request.request_id = request_id_of(request)
        response = get_response(request)
        elapsed = time.perf_counter() - started
        dialect, route = dialect_of(request.path_info), route_of(request)
        _count(dialect, route, response.status_code, elapsed)
        response.headers.setdefault("X-Request-ID", request.request_id)
        if log_requests:
            logger.info(
                "%s %s %s %.1f ms",
                request.method,
                route,
                response.status_code,
                elapsed * 1000,
                extra={
                    "request_id": request.request_id,
                    "company": company_of(request),
                    "dialect": dialect,
                    "route": route,
                    "method": request.method,
                    "status": response.status_code,
                    "duration_ms": round(elapsed * 1000, 1),
                },
            )
        return response

    return middleware


def exposition() -> bytes:
    """Every metric of every process (multiprocess mode) or of this one, in the text format,
    with ``extra`` collectors (the outbox, read from the database at scrape time)."""
    from prometheus_client import REGISTRY

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        prometheus_multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def exposition_with(*collectors) -> bytes:
    """:func:`exposition` and, after it, what ``collectors`` report now."""
    registry = CollectorRegistry()
    for collector in collectors:
        registry.register(collector)
    return exposition() + generate_latest(registry)
