"""``POST /ingest/v1/events``: trackers report positions, temperature, shocks, battery. Each
item's JSON is typed (``wire``), judged by the tracking domain (``build_event``) and stored by
``record_events``, succeeding or failing on its own."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pulsebridge.core.models import Company
from pulsebridge.lib.outcomes import Outcome
from pulsebridge.readings.validation import ItemError
from pulsebridge.tracking.services import record_events
from pulsebridge.tracking.validation import MEASURES, ParsedEvent, build_event

from . import wire
from .batch import record_each
from .views import BatchView


def parse_event(item: Any, now: datetime | None = None) -> ParsedEvent:
    """One ingest item as a tracker event; raises ItemError naming every problem found."""
    if not isinstance(item, dict):
        raise ItemError({"item": "must be a JSON object"})
    errors: dict[str, str] = {}
    imei = wire.text(item.get("imei"), "imei", errors, 64, numbers=False)
    kind = item.get("type")
    return build_event(
        imei=imei,
        kind=kind if isinstance(kind, str) else None,  # an array or object is no type
        timestamp=wire.timestamp(item.get("timestamp"), "timestamp", errors),
        measures={name: wire.number(item.get(name), name, errors) for name in MEASURES},
        sender_id=wire.text(item.get("id"), "id", errors, 128, numbers=False),
        errors=errors,
        now=now,
    )


def record_event_items(
    company: Company, items: list[Any], *, now: datetime | None = None
) -> list[Outcome]:
    """Parse every item, store the valid ones; each item's outcome, by its index."""
    return record_each(parse_event, record_events, company, items, now)


class EventsView(BatchView):
    """One tracker event or an array of up to 1,000, answered per item as for measurements."""

    noun = "event"

    def record(self, company, items):
        return record_event_items(company, items)
