"""The dispatcher: claims due deliveries from the outbox, sends them, records every attempt.

The Delivery table *is* the queue. A worker claims due rows by setting a lease
(``claimed_until``) and a claim token in one transaction: with ``SELECT ... FOR UPDATE SKIP LOCKED``
on PostgreSQL, so any number of workers share the work without blocking each other; on SQLite the
write transaction is already exclusive (``BEGIN IMMEDIATE``) and the UPDATE repeats the
"still due and unclaimed" conditions, so a claim is never taken twice either way. A worker that
dies after claiming leaves rows whose lease simply runs out; the next worker claims them again.
Delivery is therefore at least once: receivers de-duplicate on ``webhook-id``.

Sending is asyncio + httpcore (httpx's transport): per endpoint, one pool of one keep-alive
connection for each request in flight (``Clients``), sharing one TLS context. The
number of requests in flight is bounded per worker and per endpoint, and the per-endpoint bound is
enforced *when claiming*: a worker never claims a row it could not start sending at once, so rows
of a slow endpoint never sit claimed in memory behind it, and a dead receiver only ever occupies its
own slots while the other endpoints' rows keep flowing.

Database work runs in one dedicated thread of the worker (the ORM is synchronous; one thread means
one connection and serialised writes, which SQLite wants anyway); results are written in batches.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import math
import secrets
import socket
import ssl
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from uuid import UUID

import httpcore
import httpx
from django.conf import settings
from django.core.mail import send_mail
from django.db import close_old_connections, connection, connections, transaction
from django.db.models import ExpressionWrapper, F, Q, TextField
from django.utils import timezone

from pulsebridge.lib import metrics
from pulsebridge.lib.encryption import decrypt

from . import netguard, wakeup
from .models import Alert, Delivery, DeliveryAttempt, Event, WebhookEndpoint
from .signing import standard_headers
from .streams import AsyncioBackend

logger = logging.getLogger(__name__)

# The Pylo document: "Failed deliveries are resent 15 minutes, 1 hour, 3 hours, 8 hours, and
# 24 hours after the initial attempt" - offsets from the FIRST attempt, six attempts in all.
SCHEDULE = (
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=3),
    timedelta(hours=8),
    timedelta(hours=24),
)
MAX_ATTEMPTS = len(SCHEDULE) + 1
# When a worker comes back from an outage, the slots of the schedule may all lie in the past;
# without a floor the remaining attempts would be fired within seconds and the delivery failed
# before the receiver had any chance to recover. On time, every gap of the schedule is >= this.
MIN_RETRY_GAP = SCHEDULE[0]
# A Retry-After beyond a day is treated as a day: a receiver cannot park a delivery forever.
MAX_RETRY_AFTER = timedelta(hours=24)
RETRY_AFTER_STATUSES = frozenset({429, 503})

EXCERPT_CHARS = 500
# Bytes of an answer read at most: enough for the excerpt, and bounded for a hostile receiver.
READ_LIMIT = 4096
USER_AGENT = "Pulsebridge-Webhooks/1"
# An idle connection is closed after this (httpx's default), before most receivers close it
# themselves: a request sent on a connection the other side is just closing fails.
KEEPALIVE_SECONDS = 5.0
TRANSPORT_HEADERS = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "user-agent"}
)
# One e-mail per endpoint per interval: a dead receiver fails one delivery per reading, and the
# operator needs to know once, not thousands of times. Every alert is still stored and logged.
ALERT_EMAIL_INTERVAL = timedelta(hours=1)
# After a failed claim a worker waits this long before the next; a ``once`` worker gives up
# after this many failures in a row (about half a minute): a database that stays unreachable is
# an error to report, not a reason to wait for ever.
CLAIM_RETRY_PAUSE = 1.0
ONCE_CLAIM_ATTEMPTS = 30
# How long a resolved host name stays trusted by a worker (see Pinner).
DNS_CACHE_SECONDS = 30.0
# A busy worker writes its results in batches, not after every answer: once half a claim's
# worth came in, or the oldest has waited this long, or nothing is in flight any more. The lease
# keeps the rows the worker's meanwhile (a kill -9 in between: they are sent again once it runs
# out, as a send in flight would be).
RECORD_DELAY = 0.02


def lease() -> timedelta:
    # The lease must outlast any send (bounded by the timeout) plus the write of its result;
    # otherwise a second worker would send a delivery that is still in flight.
    return timedelta(
        seconds=max(settings.WEBHOOK_CLAIM_LEASE_SECONDS, 2 * settings.WEBHOOK_TIMEOUT_SECONDS)
    )


@dataclass(frozen=True, slots=True)
class Job:
    """What a worker needs to send one delivery once, detached from the ORM."""

    delivery_id: UUID
    endpoint_id: UUID
    company_id: UUID
    claim_token: str
    url: str
    secret: str
    webhook_id: str
    body: str
    headers: Mapping[str, str]
    attempts: int  # made before this one
    first_attempt_at: datetime | None


@dataclass(frozen=True, slots=True)
class Outcome:
    job: Job
    at: datetime
    status_code: int | None = None
    latency_ms: int = 0
    error: str = ""
    excerpt: str = ""
    retry_after: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300 and not self.error


# --- claiming -------------------------------------------------------------------------------


def _unclaimed(now: datetime) -> Q:
    return Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)


def _due(now: datetime):
    return Delivery.objects.filter(
        _unclaimed(now), status=Delivery.Status.PENDING, next_attempt_at__lte=now
    )


def _candidates(
    now: datetime, per_endpoint: int, full: list[UUID], ids: list[UUID] | None
) -> list[tuple[UUID, UUID, datetime]]:
    """The oldest due rows of each enabled endpoint that has a free slot, ``per_endpoint`` of
    each at most, as ``(id, endpoint_id, next_attempt_at)`` (``_claim_orm``).

    Asked per endpoint, through the ``(endpoint, status, next_attempt_at)`` index, rather than
    as one scan of all due rows: a dead endpoint piles up a backlog of due rows (200 a second at
    200 readings a second), and a single scan in due order would walk through all of it, on every
    claim, to reach the fresh rows of the healthy endpoints behind it. This way a claim costs a
    few index probes per endpoint, whatever the backlogs; ``_claim_postgresql`` asks the same
    way, in SQL. SQLite (one writer at a time: the transaction already excludes other workers)
    and other databases: one indexed query per endpoint. An embedded install has a handful of
    endpoints."""
    endpoints = WebhookEndpoint.objects.filter(enabled=True).exclude(pk__in=full)
    if ids is not None:
        endpoints = endpoints.filter(deliveries__pk__in=ids).distinct()
    found = []
    for endpoint_id in endpoints.values_list("pk", flat=True):
        due = _due(now).filter(endpoint_id=endpoint_id)
        if ids is not None:
            due = due.filter(pk__in=ids)
        found += due.order_by("next_attempt_at").values_list(
            "pk", "endpoint_id", "next_attempt_at"
        )[:per_endpoint]
    return found


def claim(
    *,
    now: datetime,
    limit: int,
    per_endpoint: int,
    in_flight: Mapping[UUID, int] | None = None,
    ids: Iterable[UUID] | None = None,
) -> list[Job]:
    """Claim up to ``limit`` due deliveries, at most ``per_endpoint - in_flight[endpoint]`` of
    each endpoint, oldest due first. ``ids`` restricts the claim to those deliveries."""
    in_flight = in_flight or {}
    if limit <= 0:
        return []
    token = secrets.token_hex(16)
    ids = list(ids) if ids is not None else None
    full = [e for e, n in in_flight.items() if n >= per_endpoint]
    if connection.vendor == "postgresql":
        rows = _claim_postgresql(now, limit, per_endpoint, in_flight, full, ids, token)
    else:
        rows = _claim_orm(now, limit, per_endpoint, in_flight, full, ids, token)
    secrets_of: dict[str, str] = {}
    jobs = []
    for pk, endpoint_id, company, webhook_id, body, headers, attempts, first, url, stored in rows:
        secret = secrets_of.get(stored)
        if secret is None:
            secret = secrets_of[stored] = decrypt(stored)
        if isinstance(headers, str):  # jsonb as text (Django's psycopg loader), from raw SQL
            headers = json.loads(headers)
        jobs.append(
            Job(
                delivery_id=pk,
                endpoint_id=endpoint_id,
                company_id=company,
                claim_token=token,
                url=url,
                secret=secret,
                webhook_id=webhook_id,
                body=body,
                headers=dict(headers or {}),
                attempts=attempts,
                first_attempt_at=first,
            )
        )
    return jobs


def _claim_postgresql(
    now: datetime,
    limit: int,
    per_endpoint: int,
    in_flight: Mapping[UUID, int],
    full: list[UUID],
    ids: list[UUID] | None,
    token: str,
) -> list[tuple]:
    """The claim as one statement, in one round trip: per enabled endpoint with a free slot, its
    oldest due rows through the ``(endpoint, status, next_attempt_at)`` index (locked; SKIP
    LOCKED leaves rows another worker is claiming right now to it), at most
    ``per_endpoint - in_flight`` of each endpoint, the ``limit`` oldest due across endpoints,
    leased and returned with their endpoint's URL and stored secret.
    The same choice as ``_claim_orm``, which needs five round trips; on a machine short of CPU
    each one waits for the server's backend to be scheduled (docs/performance.md, P4)."""
    delivery, endpoint = Delivery._meta.db_table, WebhookEndpoint._meta.db_table
    only_ids = "AND d.id = ANY(%(ids)s)" if ids is not None else ""
    busy = [(e, n) for e, n in in_flight.items() if n > 0]
    sql = f"""
        WITH candidates AS (
            SELECT c.id, c.endpoint_id, c.next_attempt_at,
                   row_number() OVER (
                       PARTITION BY c.endpoint_id ORDER BY c.next_attempt_at
                   ) AS rank
            FROM {endpoint} e
            CROSS JOIN LATERAL (
                SELECT d.id, d.endpoint_id, d.next_attempt_at FROM {delivery} d
                WHERE d.endpoint_id = e.id AND d.status = %(pending)s
                  AND d.next_attempt_at <= %(now)s
                  AND (d.claimed_until IS NULL OR d.claimed_until < %(now)s) {only_ids}
                ORDER BY d.next_attempt_at
                LIMIT %(per_endpoint)s
                FOR UPDATE OF d SKIP LOCKED
            ) c
            WHERE e.enabled AND NOT (e.id = ANY(%(full)s))
        ), chosen AS (
            SELECT c.id FROM candidates c
            LEFT JOIN unnest(%(busy_ids)s::uuid[], %(busy_n)s::int[]) AS b(endpoint_id, n)
                ON b.endpoint_id = c.endpoint_id
            WHERE c.rank <= %(per_endpoint)s - coalesce(b.n, 0)
            ORDER BY c.next_attempt_at
            LIMIT %(limit)s
        )
        UPDATE {delivery} d SET claimed_until = %(until)s, claim_token = %(token)s
        FROM chosen, {endpoint} e
        WHERE d.id = chosen.id AND e.id = d.endpoint_id
        RETURNING d.id, d.endpoint_id, d.company_id, d.webhook_id, d.body, d.headers,
                  d.attempts, d.first_attempt_at, e.url, e.secret
    """  # noqa: S608 - table names come from the models, values are parameters
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "pending": Delivery.Status.PENDING,
                "now": now,
                "per_endpoint": per_endpoint,
                "full": list(full),
                "ids": ids,
                "busy_ids": [e for e, _ in busy],
                "busy_n": [n for _, n in busy],
                "limit": limit,
                "until": now + lease(),
                "token": token,
            },
        )
        return [tuple(row) for row in cursor.fetchall()]


def _claim_orm(
    now: datetime,
    limit: int,
    per_endpoint: int,
    in_flight: Mapping[UUID, int],
    full: list[UUID],
    ids: list[UUID] | None,
    token: str,
) -> list[tuple]:
    """The claim through the ORM (SQLite: the write transaction excludes other workers)."""
    with transaction.atomic():
        candidates = _candidates(now, per_endpoint, full, ids)
        candidates.sort(key=lambda c: c[2])  # oldest due first, across endpoints
        chosen, taken = [], dict(in_flight)
        for pk, endpoint_id, _ in candidates:
            if taken.get(endpoint_id, 0) < per_endpoint:
                taken[endpoint_id] = taken.get(endpoint_id, 0) + 1
                chosen.append(pk)
                if len(chosen) >= limit:
                    break
        if not chosen:
            return []
        Delivery.objects.filter(
            _unclaimed(now), pk__in=chosen, status=Delivery.Status.PENDING
        ).update(claimed_until=now + lease(), claim_token=token)
        # Plain values, not models; the endpoint's secret read as stored (a plain text
        # expression skips the field's decryption) and decrypted once per endpoint by
        # ``claim``, rather than once per delivery.
        return list(
            Delivery.objects.filter(pk__in=chosen, claim_token=token)
            .annotate(stored_secret=ExpressionWrapper(F("endpoint__secret"), TextField()))
            .values_list(
                "id",
                "endpoint_id",
                "company_id",
                "webhook_id",
                "body",
                "headers",
                "attempts",
                "first_attempt_at",
                "endpoint__url",
                "stored_secret",
            )
        )


# --- retry rules ----------------------------------------------------------------------------


def parse_retry_after(value: str | None, now: datetime) -> datetime | None:
    """``Retry-After`` as an absolute time: delta-seconds or an HTTP date (RFC 9110 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return now + min(timedelta(seconds=int(value)), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(when, now + MAX_RETRY_AFTER)


def next_attempt_at(
    first_attempt_at: datetime, attempts: int, at: datetime, retry_after: datetime | None = None
) -> datetime | None:
    """When to try again after ``attempts`` failed attempts (the last one at ``at``), or None
    when that was the last attempt."""
    if attempts >= MAX_ATTEMPTS:
        return None
    when = max(first_attempt_at + SCHEDULE[attempts - 1], at + MIN_RETRY_GAP)
    if retry_after is not None and retry_after > when:
        when = retry_after
    return when


# --- sending --------------------------------------------------------------------------------


Pool = httpcore.AsyncConnectionPool


def new_pool(
    tls: ssl.SSLContext, backend: httpcore.AsyncNetworkBackend | None = None
) -> httpcore.AsyncConnectionPool:
    """One keep-alive connection to one endpoint, through httpcore (httpx's own transport):
    the worker needs none of what httpx adds over it (URL and header models, cookies, redirects,
    proxies and certificates from the environment, content decoding), and httpx's layers were
    about half of a delivery's CPU (docs/performance.md, "What limits P5"). So no cookie is
    kept or sent back (each delivery stands alone, signed by its own headers), no redirect is
    followed (a redirect is the receiver's answer, not an instruction) and no proxy setting can
    send requests elsewhere behind the address check's back. Its sockets are asyncio's own,
    through ``streams.AsyncioBackend`` (not anyio's, httpcore's default)."""
    return httpcore.AsyncConnectionPool(
        ssl_context=tls,
        network_backend=backend or AsyncioBackend(),
        max_connections=1,
        max_keepalive_connections=1,
        keepalive_expiry=KEEPALIVE_SECONDS,
    )


class Clients:
    """Per endpoint, up to ``per_endpoint`` pools of one keep-alive connection each
    (:func:`new_pool`), one per request in flight, created on first use.

    Keep-alive connections are per host anyway, and httpcore's pool scans all of its connections
    for every request: one pool of 64 connections shared by every endpoint cost more CPU per
    request than the request itself (measured). A pool of several connections per endpoint is
    still costly when a claim starts several requests to it at once: httpcore hands every
    request queued in the same instant the same idle connection, and all but one go round
    again (2.7 assignments per request instead of 1.1, measured; docs/performance.md). One
    connection per client, and a client per request in flight, leaves each pool nothing to
    choose. The per-endpoint bound is the worker's (it claims no more); beyond ``per_endpoint``
    requests at once (``send_once``) the clients are shared and their pools queue the surplus.
    Clients of endpoints idle for ``IDLE_CLIENT_SECONDS`` are closed, so a worker serving many
    endpoints holds sockets only for the busy ones."""

    IDLE_CLIENT_SECONDS = 300.0

    def __init__(self, per_endpoint: int):
        self.per_endpoint = per_endpoint
        # Loading the CA bundle takes tens of milliseconds: once per worker, not per endpoint.
        self._tls = httpx.create_ssl_context(trust_env=False)
        self._backend = AsyncioBackend()  # stateless: one for every pool
        self._clients: dict[UUID, list[Pool]] = {}  # every client of an endpoint
        self._free: dict[UUID, list[Pool]] = {}  # those with no request on them
        self._shared: dict[UUID, int] = {}  # round robin over them once all are busy
        self._requests: dict[Pool, int] = {}  # requests on each client now
        self._used: dict[UUID, float] = {}

    def acquire(self, endpoint_id: UUID) -> Pool:
        """A client for one request to the endpoint; hand it back with :meth:`release`."""
        self._used[endpoint_id] = time.monotonic()
        free = self._free.setdefault(endpoint_id, [])
        every = self._clients.setdefault(endpoint_id, [])
        if free:
            client = free.pop()
        elif len(every) < self.per_endpoint:
            client = new_pool(self._tls, self._backend)
            every.append(client)
        else:
            turn = self._shared.get(endpoint_id, 0)
            self._shared[endpoint_id] = turn + 1
            client = every[turn % len(every)]
        self._requests[client] = self._requests.get(client, 0) + 1
        return client

    def release(self, endpoint_id: UUID, client: Pool) -> None:
        left = self._requests.get(client, 1) - 1
        if left > 0:
            self._requests[client] = left
            return
        self._requests.pop(client, None)
        if client in self._clients.get(endpoint_id, ()):  # not closed meanwhile
            self._free[endpoint_id].append(client)

    async def close_idle(self, busy: Iterable[UUID]) -> None:
        cutoff = time.monotonic() - self.IDLE_CLIENT_SECONDS
        busy = set(busy)
        for endpoint_id, used in list(self._used.items()):
            if used < cutoff and endpoint_id not in busy:
                del self._used[endpoint_id]
                self._free.pop(endpoint_id, None)
                self._shared.pop(endpoint_id, None)
                for client in self._clients.pop(endpoint_id, []):
                    self._requests.pop(client, None)
                    await client.aclose()

    async def aclose(self) -> None:
        for clients in self._clients.values():
            for client in clients:
                await client.aclose()
        self._clients.clear()
        self._free.clear()
        self._shared.clear()
        self._requests.clear()
        self._used.clear()


@dataclass
class Pinner:
    """Checks, at send time, that a URL still points at a public address, and pins the request
    to the address it checked.

    Checking only when the endpoint is created is not enough: DNS can change afterwards (or
    answer differently on purpose: "DNS rebinding"). So the worker resolves the host itself,
    refuses private addresses, and connects to the very address it checked, sending the original
    name in ``Host`` and as the TLS server name so that virtual hosts and certificates still work.
    Resolutions are cached briefly per worker (never shared between processes)."""

    allow_private: bool
    _cache: dict[tuple[str, int], tuple[float, list[netguard.IPAddress]]] = field(
        default_factory=dict
    )
    # URLs parsed once per worker, not once per request: httpx's parser (IDNA, percent-encoding),
    # the request's parts then handed to httpcore as they are.
    _parsed: dict[str, httpx.URL] = field(default_factory=dict)

    async def target(self, url: str) -> tuple[httpcore.URL, list[tuple[bytes, bytes]], dict]:
        """Where to send a request for ``url``: the URL httpcore connects to, the headers that
        go with it (``Host``: the URL's own, also when the connection is pinned to an address)
        and its extensions (the TLS server name, when pinned)."""
        parsed = self._parsed.get(url)
        if parsed is None:
            if len(self._parsed) >= 10_000:
                self._parsed.clear()
            try:
                parsed = httpx.URL(url)
            except httpx.InvalidURL as exc:  # a refusal with its reason, as split_url's
                raise netguard.UnsafeURL(f"not a valid URL: {exc}") from None
            self._parsed[url] = parsed
        host_header = [(b"Host", parsed.netloc)]  # [::1]:8080 as it should be written
        if self.allow_private:
            return _core_url(parsed, parsed.raw_host), host_header, {}
        scheme, host, port = netguard.split_url(url)
        addresses = await self._resolve(host, port)
        netguard.check_addresses(host, addresses)
        pinned = _core_url(parsed, str(addresses[0]).encode("ascii"))
        extensions = {"sni_hostname": host} if scheme == "https" else {}
        return pinned, host_header, extensions

    async def _resolve(self, host: str, port: int) -> list[netguard.IPAddress]:
        with contextlib.suppress(ValueError):
            return [ipaddress.ip_address(host)]
        cached = self._cache.get((host, port))
        if cached and cached[0] > time.monotonic():
            return cached[1]
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except (OSError, UnicodeError) as exc:
            raise netguard.UnsafeURL(f"cannot resolve host {host!r}: {exc}") from None
        addresses = netguard._addresses(infos)
        self._cache[(host, port)] = (time.monotonic() + DNS_CACHE_SECONDS, addresses)
        return addresses


def _core_url(parsed: httpx.URL, host: bytes) -> httpcore.URL:
    return httpcore.URL(
        scheme=parsed.raw_scheme, host=host, port=parsed.port, target=parsed.raw_path
    )


# What httpcore raises for a request that got no (complete) answer.
TRANSPORT_ERRORS = (
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
    httpcore.ProxyError,
    httpcore.ConnectionNotAvailable,
)
CONSTANT_HEADERS = [
    (b"User-Agent", USER_AGENT.encode()),
    (b"Accept-Encoding", b"identity"),
    (b"Content-Type", b"application/json"),
]


async def send(clients: Clients, job: Job, *, at: datetime, pinner: Pinner) -> Outcome:
    """One attempt. Never raises: every failure becomes an Outcome with its reason."""
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    status: int | None = None
    error = excerpt = ""
    retry_after = None
    raw = bytearray()
    started = time.perf_counter()
    try:
        # httpcore's timeout bounds each phase (connect, each read); this bounds the whole
        # attempt, so a receiver dribbling one byte a second cannot hold a slot for longer.
        async with asyncio.timeout(timeout):
            url, extra, extensions = await pinner.target(job.url)
            headers = request_headers(job, at, extra)
            extensions["timeout"] = dict.fromkeys(("connect", "read", "write", "pool"), timeout)
            client = clients.acquire(job.endpoint_id)
            try:
                async with client.stream(
                    "POST", url, headers=headers, content=job.body.encode(), extensions=extensions
                ) as response:
                    status = response.status
                    if status in RETRY_AFTER_STATUSES:
                        retry_after = parse_retry_after(_header(response, b"retry-after"), at)
                    async for chunk in response.aiter_stream():
                        raw += chunk
                        if len(raw) >= READ_LIMIT:
                            break
            finally:
                clients.release(job.endpoint_id, client)
    except (TimeoutError, httpcore.TimeoutException):
        # An answer whose status arrived in time counts, even if its body was slow.
        if status is None:
            error = f"no answer within {timeout:g} s"
    except netguard.UnsafeURL as exc:
        error = f"refused: {exc}"
    except TRANSPORT_ERRORS as exc:
        error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        status = None
    except Exception as exc:  # a bug must not strand the delivery: record it as a failed attempt
        logger.exception("webhook delivery %s: unexpected error", job.delivery_id)
        error = f"internal error: {type(exc).__name__}: {exc}"
        status = None
    if raw:
        # PostgreSQL text holds no NUL: one in an answer would make the whole batch's write fail.
        excerpt = raw.decode("utf-8", "replace").replace("\x00", "\ufffd")[:EXCERPT_CHARS]
    return Outcome(
        job=job,
        at=at,
        status_code=status,
        latency_ms=round((time.perf_counter() - started) * 1000),
        error=error.replace("\x00", "\ufffd")[:500],
        excerpt=excerpt,
        retry_after=retry_after,
    )


def request_headers(
    job: Job, at: datetime, extra: list[tuple[bytes, bytes]]
) -> list[tuple[bytes, bytes]]:
    """A delivery's headers: its format's own (never the transport's: a stray Host or
    Content-Length would misroute or truncate the request), then ours, set last so that no
    format can replace the content type or the signature; a format's header named like one of
    ours gives way to it."""
    ours = dict(standard_headers(job.secret, job.webhook_id, int(at.timestamp()), job.body))
    replaced = {"content-type", "accept-encoding", *ours}
    headers = [
        (k.encode("latin-1"), v.encode("latin-1"))
        for k, v in job.headers.items()
        if k.lower() not in TRANSPORT_HEADERS and k.lower() not in replaced
    ]
    headers += CONSTANT_HEADERS
    headers += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in ours.items()]
    return headers + extra


def _header(response: httpcore.Response, name: bytes) -> str | None:
    for key, value in response.headers:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


# --- recording ------------------------------------------------------------------------------


def _reason(outcome: Outcome) -> str:
    if outcome.error:
        return outcome.error
    return f"HTTP {outcome.status_code}"


def record(outcomes: Sequence[Outcome]) -> None:
    """Write the attempts and the new state of their deliveries; raise alerts; disable the
    endpoints that answered 410 Gone. Idempotent per outcome state: a result whose claim was
    taken over (lease expired) or reset (replay, endpoint disabled) is logged as an attempt but
    does not overwrite the delivery's newer state."""
    if not outcomes:
        return
    states = [_next_state(o) for o in outcomes]
    # Alerts only follow a delivery failed for good or a 410 Gone; both are known before the
    # database is asked. Without them (the usual batch) the write is one statement on
    # PostgreSQL, atomic by itself.
    alerting = any(
        o.status_code == 410 or state[0] == Delivery.Status.FAILED
        for o, state in zip(outcomes, states, strict=True)
    )
    write = _write_postgresql if connection.vendor == "postgresql" else _write_orm
    with transaction.atomic() if alerting else contextlib.nullcontext():
        held = write(outcomes, states)
        final: list[tuple[Outcome, int]] = []
        gone: dict[UUID, Outcome] = {}
        counted: Counter[str] = Counter()
        for o, (status, attempts, *_) in zip(outcomes, states, strict=True):
            if o.job.delivery_id not in held:
                continue
            if o.status_code == 410:
                gone.setdefault(o.job.endpoint_id, o)
            elif status == Delivery.Status.FAILED:
                final.append((o, attempts))
            counted[_outcome_label(o, status)] += 1
        alerts = [_failed_alert(o, attempts) for o, attempts in final]
        for endpoint_id, o in gone.items():
            disabled = _disable_gone(endpoint_id, o)
            if disabled is not None:
                alerts.append(disabled)
        if alerts:
            Alert.objects.bulk_create(alerts)
    _observe(outcomes, counted)
    for alert in alerts:
        logger.warning("webhook alert for company %s: %s", alert.company_id, alert.message)
    if alerts:
        email_alerts({a.endpoint_id for a in alerts if a.endpoint_id})


def _write_postgresql(outcomes: Sequence[Outcome], states: Sequence[tuple]) -> set[UUID]:
    """Every attempt inserted and the deliveries still held by their claim updated, in one
    statement whatever the batch (arrays unnested, one row per outcome); returns the ids
    updated. The UPDATE's ``claim_token`` condition is checked again on the locked row, so a
    claim taken over meanwhile is not overwritten. Through the ORM (``_write_orm``) this was
    three statements or more, and the ORM's compiling of the INSERT, row by row, cost the
    worker more CPU than the database's answer (docs/performance.md, "P5: the worker's own
    work")."""
    delivery, attempt = Delivery._meta.db_table, DeliveryAttempt._meta.db_table
    sql = f"""
        WITH attempts AS (
            INSERT INTO {attempt}
                (delivery_id, at, status_code, latency_ms, error, response_excerpt)
            SELECT * FROM unnest(
                %(ids)s::uuid[], %(at)s::timestamptz[], %(codes)s::int[], %(latency)s::int[],
                %(errors)s::text[], %(excerpts)s::text[]
            )
        )
        UPDATE {delivery} d SET
            status = v.status, attempts = v.attempts, first_attempt_at = v.first_at,
            last_attempt_at = v.at, last_status_code = v.code, last_error = v.error,
            next_attempt_at = v.retry, claimed_until = NULL, claim_token = ''
        FROM unnest(
            %(ids)s::uuid[], %(tokens)s::text[], %(statuses)s::text[], %(attempts)s::int[],
            %(firsts)s::timestamptz[], %(at)s::timestamptz[], %(codes)s::int[],
            %(last_errors)s::text[], %(retries)s::timestamptz[]
        ) AS v(id, token, status, attempts, first_at, at, code, error, retry)
        WHERE d.id = v.id AND d.claim_token = v.token
        RETURNING d.id
    """  # noqa: S608 - table names come from the models, values are parameters
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "ids": [o.job.delivery_id for o in outcomes],
                "at": [o.at for o in outcomes],
                "codes": [o.status_code for o in outcomes],
                "latency": [o.latency_ms for o in outcomes],
                "errors": [o.error for o in outcomes],
                "excerpts": [o.excerpt for o in outcomes],
                "tokens": [o.job.claim_token for o in outcomes],
                "statuses": [state[0] for state in states],
                "attempts": [state[1] for state in states],
                "firsts": [state[2] for state in states],
                "last_errors": [state[3] for state in states],
                "retries": [state[4] for state in states],
            },
        )
        return {row[0] for row in cursor.fetchall()}


def _write_orm(outcomes: Sequence[Outcome], states: Sequence[tuple]) -> set[UUID]:
    """``_write_postgresql`` through the ORM (SQLite): the attempts' INSERT, the claims still
    held (locked), one UPDATE per group of equal new values; returns the ids updated."""
    with transaction.atomic():
        DeliveryAttempt.objects.bulk_create(
            [
                DeliveryAttempt(
                    delivery_id=o.job.delivery_id,
                    at=o.at,
                    status_code=o.status_code,
                    latency_ms=o.latency_ms,
                    error=o.error,
                    response_excerpt=o.excerpt,
                )
                for o in outcomes
            ]
        )
        held = dict(
            Delivery.objects.select_for_update()
            .filter(pk__in=[o.job.delivery_id for o in outcomes])
            .values_list("pk", "claim_token")
        )
        # Rows with the same new values are written by one UPDATE: the usual batch (first
        # attempts, started by one claim round, all answered 2xx) is one statement. Django's
        # bulk_update builds a CASE per row and field, which cost more than the sends (measured).
        groups: dict[tuple, list[UUID]] = defaultdict(list)
        for o, (status, attempts, first, error, retry) in zip(outcomes, states, strict=True):
            if held.get(o.job.delivery_id) != o.job.claim_token:
                continue
            groups[(status, attempts, first, o.at, o.status_code, error, retry)].append(
                o.job.delivery_id
            )
        for (status, attempts, first, at, code, error, retry), pks in groups.items():
            Delivery.objects.filter(pk__in=pks).update(
                status=status,
                attempts=attempts,
                first_attempt_at=first,
                last_attempt_at=at,
                last_status_code=code,
                last_error=error,
                next_attempt_at=retry,
                claimed_until=None,
                claim_token="",
            )
    return {pk for pks in groups.values() for pk in pks}


def _observe(outcomes: Sequence[Outcome], counted: Counter[str]) -> None:
    """The attempts in the metrics: deliveries by outcome, and their latency."""
    for label, count in counted.items():
        metrics.DELIVERIES.labels(label).inc(count)
    for o in outcomes:
        metrics.DELIVERY_SECONDS.observe(o.latency_ms / 1000)


def _outcome_label(o: Outcome, status: str) -> str:
    if o.ok:
        return "succeeded"
    if o.status_code == 410:
        return "gone"
    return "retry" if status == Delivery.Status.PENDING else "failed"


def _next_state(o: Outcome) -> tuple[str, int, datetime, str, datetime | None]:
    """The delivery's state after this attempt: status, attempts, first attempt, error and the
    next attempt's time (None: no retry; never after a 410 Gone)."""
    job = o.job
    attempts = job.attempts + 1
    first = job.first_attempt_at or o.at
    if o.ok:
        return Delivery.Status.SUCCEEDED, attempts, first, "", None
    retry = None
    if o.status_code != 410:
        retry = next_attempt_at(first, attempts, o.at, o.retry_after)
    status = Delivery.Status.PENDING if retry else Delivery.Status.FAILED
    return status, attempts, first, _reason(o), retry


def _failed_alert(o: Outcome, attempts: int) -> Alert:
    return Alert(
        company_id=o.job.company_id,
        delivery_id=o.job.delivery_id,
        endpoint_id=o.job.endpoint_id,
        message=(
            f"Webhook delivery {o.job.webhook_id} to {o.job.url} failed for good after "
            f"{attempts} attempts; last: {_reason(o)}."
        ),
    )


def _disable_gone(endpoint_id: UUID, o: Outcome) -> Alert | None:
    from .services import disable_endpoint

    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id, enabled=True).first()
    if endpoint is None:  # another worker saw the 410 first
        return None
    failed = disable_endpoint(
        endpoint, f"the receiver answered 410 Gone at {o.at:%Y-%m-%dT%H:%M:%SZ}"
    )
    return Alert(
        company_id=o.job.company_id,
        delivery_id=o.job.delivery_id,
        endpoint_id=endpoint_id,
        message=(
            f"Webhook endpoint {o.job.url} answered 410 Gone and was disabled; "
            f"{failed + 1} undelivered deliveries were marked failed. Replay them with "
            "`pulsebridge webhook replay` after enabling it again."
        ),
    )


def email_alerts(endpoint_ids: Iterable[UUID]) -> None:
    """E-mail the company's alert address about its endpoints' new alerts, at most once per
    endpoint per ALERT_EMAIL_INTERVAL. A failing mail server is logged, never fatal."""
    now = timezone.now()
    for endpoint_id in endpoint_ids:
        if Alert.objects.filter(
            endpoint_id=endpoint_id, emailed_at__gte=now - ALERT_EMAIL_INTERVAL
        ).exists():
            continue
        pending = list(
            Alert.objects.filter(endpoint_id=endpoint_id, emailed_at__isnull=True)
            .select_related("company")
            .order_by("created_at", "id")
        )
        if not pending:
            continue
        company = pending[0].company
        if not company.alert_email:
            continue
        lines = [a.message for a in pending[:20]]
        if len(pending) > 20:
            lines.append(f"... and {len(pending) - 20} more.")
        body = "\n\n".join(
            [
                *lines,
                f"List them with: pulsebridge webhook deliveries --company {company.code} "
                "--status failed",
                "Further alerts for this endpoint within the next hour are stored and logged "
                "but not e-mailed.",
            ]
        )
        try:
            send_mail(
                f"[Pulsebridge] {len(pending)} webhook alert(s) for {company.name}",
                body,
                settings.DEFAULT_FROM_EMAIL,
                [company.alert_email],
            )
        except Exception:
            logger.exception("could not e-mail webhook alerts to %s", company.alert_email)
            continue
        Alert.objects.filter(pk__in=[a.pk for a in pending]).update(emailed_at=now)


# --- drivers --------------------------------------------------------------------------------


def deliver_due(
    *,
    now: datetime | None = None,
    ids: Iterable[UUID] | None = None,
    concurrency: int = 64,
) -> list[Outcome]:
    """Send every due delivery (or only ``ids``) once, in this thread, and return the outcomes.

    The synchronous driver: used by ``webhook replay``, and by tests with a controlled clock
    (``now`` is then the time of every attempt). The worker uses :class:`Worker` instead."""
    clock = (lambda: now) if now is not None else timezone.now
    ids = list(ids) if ids is not None else None
    per_endpoint = settings.WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT
    pinner = Pinner(allow_private=settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS)
    results: list[Outcome] = []
    while True:
        jobs = claim(now=clock(), limit=concurrency, per_endpoint=per_endpoint, ids=ids)
        if not jobs:
            return results
        outcomes = asyncio.run(_send_all(jobs, clock(), pinner, per_endpoint))
        record(outcomes)
        results.extend(outcomes)


def send_once(
    endpoint: WebhookEndpoint, event_type: str, bodies: Sequence[tuple[str, dict[str, str]]]
) -> list[Outcome]:
    """Send ``(body, headers)`` to one enabled endpoint now, each once, and say what it answered
    (a test: Tenovi ``test-webhooks``). Written to the outbox like any delivery, so each is
    signed, logged and listed by ``webhook deliveries``, but never retried: a test that failed
    is failed at once, and raises no alert. The rows are written already claimed, so no worker
    sends them too."""
    if not endpoint.enabled:
        raise ValueError("send_once needs an enabled endpoint")
    now = timezone.now()
    token = secrets.token_hex(16)
    with transaction.atomic():
        event = Event.objects.create(
            company_id=endpoint.company_id, type=event_type, created_at=now, subject_id="test"
        )
        deliveries = []
        for body, headers in bodies:
            delivery = Delivery(
                company_id=endpoint.company_id,
                event=event,
                endpoint=endpoint,
                body=body,
                headers=headers,
                next_attempt_at=now,
                created_at=now,
                claimed_until=now + lease(),
                claim_token=token,
            )
            delivery.webhook_id = f"msg_{delivery.id.hex}"
            deliveries.append(delivery)
        Delivery.objects.bulk_create(deliveries)
    jobs = [
        Job(
            delivery_id=d.pk,
            endpoint_id=endpoint.pk,
            company_id=endpoint.company_id,
            claim_token=token,
            url=endpoint.url,
            secret=endpoint.secret,
            webhook_id=d.webhook_id,
            body=d.body,
            headers=dict(d.headers),
            attempts=0,
            first_attempt_at=None,
        )
        for d in deliveries
    ]
    pinner = Pinner(allow_private=settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS)
    per_endpoint = settings.WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT
    outcomes = asyncio.run(_send_all(jobs, timezone.now(), pinner, per_endpoint))
    record(outcomes)
    Delivery.objects.filter(
        pk__in=[d.pk for d in deliveries], status=Delivery.Status.PENDING
    ).update(status=Delivery.Status.FAILED, next_attempt_at=None, last_error="a test is sent once")
    return outcomes


async def _send_all(
    jobs: list[Job], at: datetime, pinner: Pinner, per_endpoint: int
) -> list[Outcome]:
    clients = Clients(per_endpoint)
    try:
        return list(await asyncio.gather(*(send(clients, j, at=at, pinner=pinner) for j in jobs)))
    finally:
        await clients.aclose()


class Worker:
    """The long-running dispatcher loop (``pulsebridge worker``).

    Each turn: claim due rows for the free slots and start sending them, write the results that
    came in when a batch of them is due (``RECORD_DELAY``), then wait for a send that frees a
    slot worth claiming for, a notification of new deliveries (PostgreSQL, ``wakeup``), the
    next poll (``interval``) or the results' write. When a claim comes back full there may be
    more due rows, so the next claim follows as soon as a slot frees instead of waiting. Claims
    come before the results' write in a turn: a freed slot does not wait behind it.
    """

    def __init__(
        self,
        *,
        concurrency: int = 64,
        per_endpoint: int | None = None,
        interval: float = 0.1,
        batch: int = 200,
        once: bool = False,
        clock: Callable[[], datetime] = timezone.now,
        listen: bool = True,
    ):
        self.concurrency = concurrency
        self.per_endpoint = per_endpoint or settings.WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT
        self.interval = interval
        self.batch = batch
        self.record_batch = max(1, min(batch, concurrency) // 2)
        self.once = once
        self.clock = clock
        self.listen = listen and not once and wakeup.supported()
        self.sent = 0
        self.listening = asyncio.Event()  # set once the LISTEN is in place (tests wait on it)
        self._stopping = False
        self._more = False
        self._wake: asyncio.Event | None = None

    def stop(self) -> None:
        """Stop claiming; finish what is in flight (bounded by the timeout), record it, return.
        Call from the worker's event loop (a signal handler) or via ``loop.call_soon_threadsafe``."""
        self._stopping = True
        if self._wake is not None:
            self._wake.set()

    def _notified(self) -> None:
        self._more = True
        if self._wake is not None:
            self._wake.set()

    async def run(self) -> int:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="webhooks-db")
        self._pinner = Pinner(allow_private=settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS)
        self._clients = Clients(self.per_endpoint)
        self._in_flight: dict[UUID, int] = {}
        # Endpoints whose claim stopped at their bound: they may have more due rows, so a slot
        # of theirs freeing up is a reason to claim at once rather than after the interval.
        self._capped: set[UUID] = set()
        self._tasks: set[asyncio.Task] = set()
        self._done: list[Outcome] = []
        self._record_at = 0.0  # when the results that came in are written at the latest
        self._next_poll = self._next_cleanup = 0.0
        # The last claim came back short: nothing more was due then, so a ``once`` worker may end.
        self._drained = False
        self._failed_claims = 0
        self._record_failing = False
        listener = (
            asyncio.create_task(wakeup.listen(self._notified, ready=self.listening))
            if self.listen
            else None
        )
        try:
            while True:
                if self._more:
                    self._more, self._next_poll = False, 0.0
                if not self._record_failing:  # no new sends while their results cannot be kept
                    await self._claim_for_free_slots()
                if self._record_due() and not await self._record_done():
                    continue
                if time.monotonic() >= self._next_cleanup:
                    await self._clients.close_idle(busy=self._in_flight)
                    self._next_cleanup = time.monotonic() + 60
                if self._finished():
                    return self.sent
                if not self._record_due():
                    await self._sleep()
        finally:
            if listener is not None:
                listener.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await listener
            await self._clients.aclose()
            await asyncio.wrap_future(self._db.submit(connections.close_all))
            self._db.shutdown(wait=True)

    async def _run_db(self, fn, *args, **kwargs):
        def in_db_thread():
            # A long-running process: replace a connection the server closed or that outlived
            # CONN_MAX_AGE, as Django does around each request.
            close_old_connections()
            return fn(*args, **kwargs)

        return await self._loop.run_in_executor(self._db, in_db_thread)

    async def _record_done(self) -> bool:
        """Write the results that came in; False (kept for the next turn) if that failed."""
        batch = self._done[:]
        try:
            await self._run_db(record, batch)
        except Exception:
            # Keep the results and try again: the lease keeps the rows ours meanwhile, and if
            # it runs out they are sent again (at least once).
            logger.exception("webhook worker: recording %d results failed", len(batch))
            self._record_failing = True
            await asyncio.sleep(1)
            return False
        self._record_failing = False
        del self._done[: len(batch)]
        self.sent += len(batch)
        self._record_at = time.monotonic() + RECORD_DELAY  # for those that came in meanwhile
        return True

    def _record_due(self) -> bool:
        if not self._done:
            return False
        return (
            len(self._done) >= self.record_batch
            or not self._tasks
            or self._stopping
            or time.monotonic() >= self._record_at
        )

    async def _claim_for_free_slots(self) -> None:
        room = self.concurrency - len(self._tasks)
        if self._stopping or room <= 0 or time.monotonic() < self._next_poll:
            return
        limit = min(room, self.batch)
        # The claim's time is the attempt time of everything it claimed: sends start at once
        # (no claimed row waits for a slot), and one time per round lets their results be
        # written together.
        now = self.clock()
        before = dict(self._in_flight)
        try:
            jobs = await self._run_db(
                claim, now=now, limit=limit, per_endpoint=self.per_endpoint, in_flight=before
            )
        except Exception:
            # A failed claim (SQLite "locked", a dropped connection) says nothing about what is
            # due: a ``once`` worker must not take it for "nothing" and exit with due rows
            # unsent. Try again after the pause.
            self._failed_claims += 1
            if self.once and self._failed_claims >= ONCE_CLAIM_ATTEMPTS:
                raise
            logger.exception("webhook worker: claiming failed")
            self._drained = False
            self._next_poll = time.monotonic() + CLAIM_RETRY_PAUSE
            return
        self._drained, self._failed_claims = len(jobs) < limit, 0
        for job in jobs:
            self._in_flight[job.endpoint_id] = self._in_flight.get(job.endpoint_id, 0) + 1
            task = asyncio.create_task(self._deliver(job, now))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        # Sends may have finished while the claim ran: judge the bound by what the claim saw,
        # and claim again at once if a capped endpoint has room already.
        claimed = Counter(job.endpoint_id for job in jobs)
        for endpoint_id in claimed.keys() | before.keys():
            if before.get(endpoint_id, 0) + claimed[endpoint_id] >= self.per_endpoint:
                self._capped.add(endpoint_id)
                if self._in_flight.get(endpoint_id, 0) < self.per_endpoint:
                    self._more = True
        if len(jobs) < limit:  # nothing more is due (but maybe behind a bound): wait
            self._next_poll = max(self._next_poll, time.monotonic() + self.interval)

    async def _deliver(self, job: Job, at: datetime) -> None:
        try:
            outcome = await send(self._clients, job, at=at, pinner=self._pinner)
        finally:
            self._in_flight[job.endpoint_id] -= 1
            if not self._in_flight[job.endpoint_id]:
                del self._in_flight[job.endpoint_id]
        if not self._done:
            self._record_at = time.monotonic() + RECORD_DELAY
        self._done.append(outcome)
        # Wake the loop only when this answer gives it something to do: a slot a claim may
        # fill now (an endpoint that had more due rows, or a backlog), a batch of results to
        # write, or the last send finished. Otherwise the slot waits for the next notification
        # or poll, and the result for its batch.
        wake = len(self._done) >= self.record_batch or len(self._tasks) <= 1 or self._stopping
        if job.endpoint_id in self._capped:
            self._capped.discard(job.endpoint_id)
            self._more = wake = True
        elif time.monotonic() >= self._next_poll:
            wake = True
        if wake:
            assert self._wake is not None
            self._wake.set()

    def _finished(self) -> bool:
        if self._tasks or self._done:
            return False
        return self._stopping or (
            self.once and self._drained and time.monotonic() < self._next_poll
        )

    async def _sleep(self) -> None:
        """Until a send wakes the loop (``_deliver``), a notification comes, the next poll is due
        (if a slot is free) or the results that came in are due to be written."""
        assert self._wake is not None
        wait = None
        now = time.monotonic()
        if self.concurrency - len(self._tasks) > 0 and not self._stopping:
            wait = max(0.0, self._next_poll - now)
        if self._done:
            wait = max(0.0, min(self._record_at - now, wait if wait is not None else math.inf))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), wait)
        self._wake.clear()
