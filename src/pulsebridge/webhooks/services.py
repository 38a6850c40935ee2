"""Publishing events into the outbox.

``publish`` is called inside the transaction of the change that caused the event: the Event and
one Delivery per matching endpoint commit or roll back with it. Bodies are rendered here by the
endpoint format's renderer (``settings.WEBHOOK_RENDERERS``: dotted paths, so this domain app never
imports a dialect)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from pulsebridge.core.models import Company

from .models import Delivery, Event, WebhookEndpoint


@dataclass(frozen=True)
class Rendered:
    body: str
    headers: dict[str, str]


Renderer = Callable[[Event, Any, WebhookEndpoint], "Rendered | None"]


@cache
def renderer_for(fmt: str) -> Renderer | None:
    path = settings.WEBHOOK_RENDERERS.get(fmt)
    return import_string(path) if path else None


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
