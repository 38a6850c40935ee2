"""Webhook endpoints and publishing events into the outbox.

``publish`` is called inside the transaction of the change that caused the event: the Event and
one Delivery per matching endpoint commit or roll back with it. Bodies are rendered here by the
endpoint format's renderer (``settings.WEBHOOK_RENDERERS``: dotted paths, so this domain app never
imports a dialect).

Endpoint management (create, disable, enable) and replay live here too, so that the CLI, a future
API and the dispatcher (which disables an endpoint answering 410) share one set of rules."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from pulsebridge.core.models import Company

from . import netguard
from .models import Delivery, Event, EventType, WebhookEndpoint

logger = logging.getLogger(__name__)

MAX_SECRET_LENGTH = WebhookEndpoint._meta.get_field("secret").max_length
MAX_URL_LENGTH = WebhookEndpoint._meta.get_field("url").max_length


class WebhookError(ValueError):
    """A webhook rule was broken; the message says which, in words fit for an operator."""


@dataclass(frozen=True)
class Rendered:
    body: str
    headers: dict[str, str]


Renderer = Callable[[Event, Any, WebhookEndpoint], "Rendered | None"]


def renderer_for(fmt: str) -> Renderer | None:
    # The mapping is read on every call (tests override it); only the import is cached.
    path = settings.WEBHOOK_RENDERERS.get(fmt)
    return _import(path) if path else None


@cache
def _import(path: str) -> Renderer:
    return import_string(path)


def formats() -> list[str]:
    """The endpoint formats this installation can render."""
    return sorted(settings.WEBHOOK_RENDERERS)


def create_endpoint(
    company: Company,
    url: str,
    secret: str,
    fmt: str,
    event_types: Iterable[str] = (),
) -> WebhookEndpoint:
    """Register an endpoint after checking every field; :class:`WebhookError` says what is wrong.

    An empty ``event_types`` subscribes to every event type."""
    url = (url or "").strip()
    if not url:
        raise WebhookError("url: required")
    if len(url) > MAX_URL_LENGTH:
        raise WebhookError(f"url: at most {MAX_URL_LENGTH} characters")
    try:
        netguard.check_url(url, allow_private=settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS)
    except netguard.UnsafeURL as exc:
        raise WebhookError(f"url: {exc}") from None
    if not secret:
        raise WebhookError("secret: required (it signs every delivery)")
    if len(secret) > MAX_SECRET_LENGTH:
        raise WebhookError(f"secret: at most {MAX_SECRET_LENGTH} characters")
    if fmt not in settings.WEBHOOK_RENDERERS:
        raise WebhookError(f"format: {fmt!r} is not one of {', '.join(formats())}")
    types = list(dict.fromkeys(event_types))
    unknown = [t for t in types if t not in EventType.values]
    if unknown:
        raise WebhookError(f"event: {unknown[0]!r} is not one of {', '.join(EventType.values)}")
    return WebhookEndpoint.objects.create(
        company=company, url=url, secret=secret, format=fmt, event_types=types
    )


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
    delivery.refresh_from_db()
    return delivery


def publish(
    company: Company,
    event_type: str,
    items: Iterable[tuple[str, Any]],
) -> list[Event]:
    """Record one event per ``(subject_id, subject)`` and its deliveries.

    ``subject`` is the domain object the renderers need (a Measurement, an Order, a Device);
    it is passed through, never stored. Must run inside a transaction."""
    items = list(items)
    if not items:
        return []
    now = timezone.now()
    events = [
        Event(company=company, type=event_type, created_at=now, subject_id=str(subject_id))
        for subject_id, _ in items
    ]
    Event.objects.bulk_create(events)
    endpoints = [
        e
        for e in WebhookEndpoint.objects.for_company(company).filter(enabled=True)
        if e.wants(event_type)
    ]
    deliveries = []
    for endpoint in endpoints:
        render = renderer_for(endpoint.format)
        if render is None:
            continue
        for event, (_, subject) in zip(events, items, strict=True):
            rendered = render(event, subject, endpoint)
            if rendered is None:  # the format has nothing to say about this event
                continue
            delivery = Delivery(
                company=company,
                event=event,
                endpoint=endpoint,
                body=rendered.body,
                headers=rendered.headers,
                next_attempt_at=now,
                created_at=now,
            )
            delivery.webhook_id = f"msg_{delivery.id.hex}"
            deliveries.append(delivery)
    if deliveries:
        Delivery.objects.bulk_create(deliveries)
        ids = [d.id for d in deliveries]
        transaction.on_commit(lambda: _enqueue(ids))
    return events


def _enqueue(delivery_ids: list) -> None:
    """Hand the new deliveries to the dispatcher. Filled in by the dispatcher module; a lost
    enqueue is harmless because the periodic sweep claims every due row."""
    from . import dispatch

    dispatch.enqueue(delivery_ids)
