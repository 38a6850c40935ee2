"""Webhook endpoints and publishing events into the outbox.

``publish`` is called inside the transaction of the change that caused the event: the Event and
one Delivery per matching endpoint commit or roll back with it. Bodies are rendered here by the
endpoint format's renderer (``settings.WEBHOOK_RENDERERS``: dotted paths, so this domain app never
imports a dialect).

Endpoint management (create, disable, enable) and replay live here too, so that the CLI, a future
API and the dispatcher (which disables an endpoint answering 410) share one set of rules."""

from __future__ import annotations

import base64
import logging
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from pulsebridge.core.models import Company
from pulsebridge.lib.bulk import CACHED_STATEMENT_PARAMS, FEW_ROWS, Loader, Table, max_length
from pulsebridge.lib.errors import DomainError

from . import netguard, wakeup
from .models import Delivery, Event, EventType, WebhookEndpoint
from .signing import SECRET_PREFIX

logger = logging.getLogger(__name__)

EVENTS = Table(Event)
DELIVERIES = Table(Delivery)
ENDPOINTS = Loader(WebhookEndpoint)
# how many columns enabled_endpoints_sql selects after its padding
ENDPOINT_COLUMNS = len(ENDPOINTS.fields)
MAX_SECRET_LENGTH = max_length(WebhookEndpoint, "secret")
MAX_AUTH_KEY_LENGTH = max_length(WebhookEndpoint, "auth_key")
MAX_URL_LENGTH = max_length(WebhookEndpoint, "url")


class WebhookError(DomainError):
    """A webhook rule was broken; the message says which, in words fit for an operator."""


@dataclass(frozen=True)
class Rendered:
    body: str
    headers: dict[str, str]


# A renderer answers None (nothing to send), one body, or several (one delivery each: a Tenovi
# measurement webhook without post_as_array posts each metric of a reading on its own).
Renderer = Callable[[Event, Any, WebhookEndpoint], "Rendered | list[Rendered] | None"]
# A selector is asked once per publish with the event type, the format's endpoints and the
# subjects, and answers which endpoint receives which subject (Tenovi routes a device's readings
# to the one webhook named by its ``measurement_webhook_id`` property). It may load what it needs
# for all subjects at once.
Selector = Callable[[str, list[WebhookEndpoint], list[Any]], Callable[[WebhookEndpoint, Any], bool]]


def renderer_for(fmt: str) -> Renderer | None:
    # The mapping is read on every call (tests override it); only the import is cached.
    path = settings.WEBHOOK_RENDERERS.get(fmt)
    return _import(path) if path else None


def event_renderer_for(event_type: str) -> Renderer | None:
    """The renderer of an event type written the same for every format (alerts), if any."""
    path = getattr(settings, "WEBHOOK_EVENT_RENDERERS", {}).get(event_type)
    return _import(path) if path else None


def selector_for(fmt: str) -> Selector | None:
    path = getattr(settings, "WEBHOOK_SELECTORS", {}).get(fmt)
    return _import(path) if path else None


@cache
def _import(path: str) -> Any:
    return import_string(path)


def formats() -> list[str]:
    """The endpoint formats this installation can render."""
    return sorted(settings.WEBHOOK_RENDERERS)


def new_secret() -> str:
    """A Standard Webhooks secret, for endpoints whose API has no secret of its own (Tenovi)."""
    return SECRET_PREFIX + base64.b64encode(os.urandom(24)).decode()


def check_url(url: str) -> str:
    url = (url or "").strip()
    if not url:
        raise WebhookError("url: required")
    if len(url) > MAX_URL_LENGTH:
        raise WebhookError(f"url: at most {MAX_URL_LENGTH} characters")
    try:
        netguard.check_url(url, allow_private=settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS)
    except netguard.UnsafeURL as exc:
        raise WebhookError(f"url: {exc}") from None
    return url


def check_secret(secret: str) -> str:
    if not secret:
        raise WebhookError("secret: required (it signs every delivery)")
    if len(secret) > MAX_SECRET_LENGTH:
        raise WebhookError(f"secret: at most {MAX_SECRET_LENGTH} characters")
    return secret


# Headers a format's auth header may not replace: the transport's and the signature's own.
RESERVED_HEADERS = frozenset(
    {
        "content-type",
        "content-length",
        "host",
        "transfer-encoding",
        "connection",
        "user-agent",
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
    }
)
HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,200}$")


def check_auth_header(name: str, value: str) -> tuple[str, str]:
    """A header every delivery of the endpoint carries (Tenovi's ``auth_header: auth_key``)."""
    name, value = (name or "").strip(), value or ""
    if not name:
        return "", value
    if not HEADER_NAME.match(name):
        raise WebhookError(f"auth_header: {name!r} is not an HTTP header name")
    if name.lower() in RESERVED_HEADERS:
        raise WebhookError(f"auth_header: {name} is set by Pulsebridge itself")
    if any(c in value for c in "\r\n\0") or len(value) > MAX_AUTH_KEY_LENGTH:
        raise WebhookError(
            f"auth_key: one line of at most {MAX_AUTH_KEY_LENGTH} characters, no control characters"
        )
    return name, value


def check_event_types(event_types: Iterable[str]) -> list[str]:
    types = list(dict.fromkeys(event_types))
    unknown = [t for t in types if t not in EventType.values]
    if unknown:
        raise WebhookError(f"event: {unknown[0]!r} is not one of {', '.join(EventType.values)}")
    return types


def create_endpoint(
    company: Company,
    url: str,
    secret: str,
    fmt: str,
    event_types: Iterable[str] = (),
    *,
    auth_header: str = "",
    auth_key: str = "",
    post_as_array: bool = False,
    enabled_by_default: bool = True,
) -> WebhookEndpoint:
    """Register an endpoint after checking every field; :class:`WebhookError` says what is wrong.

    An empty ``event_types`` subscribes to every event type."""
    url = check_url(url)
    secret = check_secret(secret)
    if fmt not in settings.WEBHOOK_RENDERERS:
        raise WebhookError(f"format: {fmt!r} is not one of {', '.join(formats())}")
    types = check_event_types(event_types)
    auth_header, auth_key = check_auth_header(auth_header, auth_key)
    return WebhookEndpoint.objects.create(
        company=company,
        url=url,
        secret=secret,
        format=fmt,
        event_types=types,
        auth_header=auth_header,
        auth_key=auth_key,
        post_as_array=post_as_array,
        enabled_by_default=enabled_by_default,
    )


def change_endpoint(
    endpoint: WebhookEndpoint,
    *,
    url: str | None = None,
    event_types: Iterable[str] | None = None,
    auth_header: str | None = None,
    auth_key: str | None = None,
    post_as_array: bool | None = None,
    enabled_by_default: bool | None = None,
    secret: str | None = None,
) -> WebhookEndpoint:
    """Change what is given (None: unchanged), with the rules of :func:`create_endpoint`.

    Deliveries already in the outbox keep the body and headers they were rendered with; a new
    secret signs their next attempts."""
    if url is not None:
        endpoint.url = check_url(url)
    if secret is not None:
        endpoint.secret = check_secret(secret)
    if event_types is not None:
        endpoint.event_types = check_event_types(event_types)
    if auth_header is not None or auth_key is not None:
        endpoint.auth_header, endpoint.auth_key = check_auth_header(
            endpoint.auth_header if auth_header is None else auth_header,
            endpoint.auth_key if auth_key is None else auth_key,
        )
    if post_as_array is not None:
        endpoint.post_as_array = post_as_array
    if enabled_by_default is not None:
        endpoint.enabled_by_default = enabled_by_default
    endpoint.save()
    return endpoint


@transaction.atomic
def delete_endpoint(endpoint: WebhookEndpoint) -> int:
    """Remove an endpoint its company no longer wants. Its pending deliveries are dropped with
    it (they would go to a receiver the company has withdrawn), as are its delivery log and
    attempts; its alerts stay, without it. Returns how many pending deliveries were dropped."""
    pending = Delivery.objects.filter(endpoint=endpoint, status=Delivery.Status.PENDING).count()
    WebhookEndpoint.objects.filter(pk=endpoint.pk).delete()
    logger.info(
        "webhook endpoint %s deleted; %d pending deliveries dropped with it", endpoint.pk, pending
    )
    return pending


def list_endpoints(company: Company):
    return WebhookEndpoint.objects.for_company(company).order_by("created_at", "id")


def disable_endpoint(
    endpoint: WebhookEndpoint,
    reason: str = "disabled by an operator",
    *,
    now: datetime | None = None,
) -> int:
    """Stop sending to an endpoint. Its pending deliveries fail now (they stay listed and can be
    replayed one by one after the endpoint is enabled again); returns how many."""
    now = now or timezone.now()
    with transaction.atomic():
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            enabled=False, disabled_reason=reason[:200]
        )
        endpoint.enabled, endpoint.disabled_reason = False, reason[:200]
        failed = Delivery.objects.filter(endpoint=endpoint, status=Delivery.Status.PENDING).update(
            status=Delivery.Status.FAILED,
            next_attempt_at=None,
            claimed_until=None,
            claim_token="",
            last_error=f"endpoint disabled: {reason}"[:500],
        )
    logger.info(
        "webhook endpoint %s disabled (%s); %d pending deliveries failed",
        endpoint.pk,
        reason,
        failed,
    )
    return failed


def enable_endpoint(endpoint: WebhookEndpoint) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(enabled=True, disabled_reason="")
    endpoint.enabled, endpoint.disabled_reason = True, ""


def replay_delivery(delivery: Delivery, *, now: datetime | None = None) -> Delivery:
    """Queue a delivery to be sent again, now, with the same ``webhook-id`` and the same body.

    It gets a fresh attempt schedule (six attempts counted from the next one); the attempts
    already made stay in its log."""
    if not delivery.endpoint.enabled:
        raise WebhookError(
            f"endpoint {delivery.endpoint_id} is disabled ({delivery.endpoint.disabled_reason}); "
            "enable it first"
        )
    now = now or timezone.now()
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.PENDING,
        attempts=0,
        first_attempt_at=None,
        next_attempt_at=now,
        # A worker still holding an old claim must not overwrite the replay with its result.
        claimed_until=None,
        claim_token="",
        last_error="",
    )
    wakeup.notify_new_deliveries()
    delivery.refresh_from_db()
    return delivery


def publish(
    company: Company,
    event_type: str,
    items: Iterable[tuple[Any, Any]],
) -> list[Event]:
    """Record one event per ``(subject_id, subject)`` and its deliveries.

    ``subject`` is the domain object the renderers need (a Measurement, an Order, a Device);
    it is passed through, never stored. Must run inside a transaction."""
    items = list(items)
    rows = publish_lazily(
        company, event_type, [subject_id for subject_id, _ in items], lambda: [s for _, s in items]
    )
    return [Event(**row) for row in rows]


def enabled_endpoints_sql(company: Company, pad: int = 0) -> tuple[str, list[Any]]:
    """The company's enabled endpoints as SQL and its parameters, each row led by ``pad`` NULLs
    (``endpoint_from`` reads what follows them). For a query that runs anyway on a hot path
    (the devices a reading names) to fetch them in the same round trip, ``UNION ALL``."""
    nulls = "NULL, " * pad
    return (
        f"SELECT {nulls}{ENDPOINTS.columns('e')} "  # noqa: S608 - names from _meta
        f"FROM {connection.ops.quote_name(WebhookEndpoint._meta.db_table)} e "
        "WHERE e.company_id = %s AND e.enabled = %s",
        [Company._meta.pk.get_db_prep_value(company.pk, connection), True],
    )


def renders_ahead(endpoints: list[WebhookEndpoint]) -> bool:
    """Whether events for these endpoints can be rendered before their subjects are stored: no
    endpoint's format has a selector (one may look its subjects up in the database, as
    Tenovi's looks up each reading's HWI assignment)."""
    return all(selector_for(endpoint.format) is None for endpoint in endpoints)


def endpoint_from(values: tuple | list) -> WebhookEndpoint:
    """An endpoint from the columns of ``enabled_endpoints_sql`` (the padding left off)."""
    return ENDPOINTS.load(values)


def endpoints_wanting(
    company: Company, event_type: str, enabled: list[WebhookEndpoint] | None = None
) -> list[WebhookEndpoint]:
    """The company's enabled endpoints (``enabled``, if the caller fetched them already) that
    take ``event_type`` in a format that renders."""
    common = event_renderer_for(event_type) is not None
    return [
        endpoint
        for endpoint in (_enabled_endpoints(company) if enabled is None else enabled)
        if endpoint.wants(event_type) and (common or renderer_for(endpoint.format) is not None)
    ]


@dataclass(frozen=True)
class Outbox:
    """Events and their deliveries, rendered and not yet written: the rows of each table."""

    events: list[dict[str, Any]]
    deliveries: list[dict[str, Any]]


def publish_lazily(
    company: Company,
    event_type: str,
    subject_ids: list[Any],
    load_subjects: Callable[[], list[Any]],
    *,
    endpoints: list[WebhookEndpoint] | None = None,
    route: bool = True,
) -> list[dict[str, Any]]:
    """``publish`` for subjects that cost something to build: rendered (``render`` says how)
    and written (``write``); the events' rows. Must run inside a transaction."""
    outbox = render(
        company, event_type, subject_ids, load_subjects, endpoints=endpoints, route=route
    )
    write(outbox)
    return outbox.events


def render(
    company: Company,
    event_type: str,
    subject_ids: list[Any],
    load_subjects: Callable[[], list[Any]],
    *,
    endpoints: list[WebhookEndpoint] | None = None,
    route: bool = True,
) -> Outbox:
    """One event per subject and its deliveries, rendered. ``load_subjects()`` (the subjects in
    the order of ``subject_ids``) is called only if an endpoint wants this type of event.
    ``endpoints``: what :func:`endpoints_wanting` said, if the caller asked already, or the
    endpoints a resend is for; ``route=False`` sends to each of those whatever the format's
    selector would say."""
    if not subject_ids:
        return Outbox([], [])
    now = timezone.now()
    if endpoints is None:
        endpoints = endpoints_wanting(company, event_type)
    by_format: dict[str, list[WebhookEndpoint]] = {}
    for endpoint in endpoints:
        by_format.setdefault(endpoint.format, []).append(endpoint)
    rows = [
        EVENTS.new_row(
            now,
            {
                "company_id": company.pk,
                "type": event_type,
                "created_at": now,
                "subject_id": str(subject_id),
            },
        )
        for subject_id in subject_ids
    ]
    if not by_format:
        return Outbox(rows, [])
    events = [Event(**row) for row in rows]
    subjects = load_subjects()
    deliveries = []
    common = event_renderer_for(event_type)
    for fmt, group in by_format.items():
        deliveries += _deliveries(
            company, event_type, fmt, group, events, subjects, route, now, common
        )
    return Outbox(rows, deliveries)


def outbox_sql(
    outbox: Outbox, subject_ids: str | None = None, budget: int = CACHED_STATEMENT_PARAMS
) -> tuple[str, list[Any], str]:
    """The outbox as clauses of a data-modifying ``WITH`` (PostgreSQL), their parameters (at
    most ``budget`` while the rows fit, as ``Table.insert_sql`` says) and an expression for the
    statement's main query to select, which wakes the workers if a delivery went in.
    ``subject_ids``: SQL selecting the ids (as text) of the subjects to announce; only their
    events are written, with their deliveries (a statement that inserts readings and skips
    those stored before announces only the new ones)."""
    notify = wakeup.notify_sql()
    if notify is None:
        raise RuntimeError("outbox_sql: PostgreSQL only (no notifications elsewhere)")
    events, params = EVENTS.insert_sql(
        outbox.events,
        skip_conflicts=False,
        returning=["id"],
        where=None if subject_ids is None else f'r."subject_id" IN ({subject_ids})',
        budget=budget,
    )
    deliveries, more = DELIVERIES.insert_sql(
        outbox.deliveries,
        skip_conflicts=False,
        returning=["id"],
        where=None if subject_ids is None else 'r."event_id" IN (SELECT id FROM events)',
        budget=budget - len(params),
    )
    wake_sql = f"(SELECT {notify} WHERE EXISTS (SELECT FROM deliveries))"  # noqa: S608 - our own SQL
    return f"events AS ({events}), deliveries AS ({deliveries})", params + more, wake_sql


def write(outbox: Outbox) -> None:
    """Insert the event and delivery rows and, if there are deliveries, tell the workers (heard
    when this transaction commits). On PostgreSQL up to ``FEW_ROWS`` of each are one statement,
    the notification included; more go in by COPY."""
    events, deliveries = outbox.events, outbox.deliveries
    if not deliveries or not wakeup.supported() or max(len(events), len(deliveries)) > FEW_ROWS:
        EVENTS.insert(events)
        if deliveries:
            DELIVERIES.insert(deliveries)
            wakeup.notify_new_deliveries()
        return
    clauses, params, wake_sql = outbox_sql(outbox)
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {clauses} SELECT {wake_sql}", params)


def _deliveries(
    company: Company,
    event_type: str,
    fmt: str,
    group: list[WebhookEndpoint],
    events: list[Event],
    subjects: list[Any],
    route: bool,
    now: datetime,
    common: Renderer | None,
) -> list[dict[str, Any]]:
    """The delivery rows of ``events`` to the endpoints of one format: each rendered for each
    endpoint its format's selector routes it to (every endpoint with ``route=False``).
    ``common``: the event type's own renderer, the same for every format (no routing then)."""
    renderer = common or renderer_for(fmt)
    if renderer is None:  # endpoints_wanting keeps only formats that render
        return []
    select = selector_for(fmt) if route and common is None else None
    accepts = select(event_type, group, subjects) if select is not None else None
    deliveries = []
    for endpoint in group:
        for event, subject in zip(events, subjects, strict=True):
            if accepts is not None and not accepts(endpoint, subject):
                continue
            rendered = renderer(event, subject, endpoint)
            if rendered is None:  # the format has nothing to say about this event
                continue
            for one in rendered if isinstance(rendered, list) else [rendered]:
                row = DELIVERIES.new_row(
                    now,
                    {
                        "company_id": company.pk,
                        "event_id": event.pk,
                        "endpoint_id": endpoint.pk,
                        "body": one.body,
                        "headers": one.headers,
                        "next_attempt_at": now,
                        "created_at": now,
                    },
                )
                row["webhook_id"] = f"msg_{row['id'].hex}"
                deliveries.append(row)
    return deliveries


def _enabled_endpoints(company: Company) -> list[WebhookEndpoint]:
    """The company's enabled endpoints. Plain SQL: asked on hot paths (readings of gateway
    sensors, whose look-up does not bring them), where the ORM takes longer to build this query
    than the database takes to answer it."""
    sql, params = enabled_endpoints_sql(company)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [ENDPOINTS.load(row) for row in cursor.fetchall()]
