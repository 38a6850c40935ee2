"""``POST /ingest/v1/measurements``'s items: the JSON of one reading typed (``wire``), then
judged by the readings domain (``readings.validation.build_reading``) and stored by
``readings.services.record_measurements``, each item succeeding or failing on its own."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pulsebridge.core.models import Company
from pulsebridge.lib.outcomes import Outcome
from pulsebridge.readings.services import record_measurements
from pulsebridge.readings.validation import (
    DEVICE_REFS,
    VALUE_TYPES,
    ItemError,
    Reading,
    ReadingDetails,
    build_reading,
)

from . import wire
from .batch import record_each


def _device_ref(item: dict, errors: dict) -> dict[str, str]:
    ref = {}
    for name in DEVICE_REFS:
        raw = item.get(name)
        if raw is None or raw == "":
            continue
        value = wire.text(raw, name, errors, 256, numbers=False)
        if name not in errors:
            ref[name] = value.strip()
    return ref


def _values(raw: Any, kind: str | None, errors: dict) -> dict[str, Any] | None:
    """The values of ``kind`` typed as the domain wants them (``VALUE_TYPES``)."""
    if not isinstance(raw, dict):
        errors["values"] = "must be an object"
        return None
    typed: dict[str, Any] = {}
    for name, kind_of in VALUE_TYPES.get(kind or "", {}).items():
        value = raw.get(name)
        if value is None:
            continue
        if kind_of == "number":
            typed[name] = wire.number(value, f"values.{name}", errors, strings=True)
        elif kind_of == "flag":
            typed[name] = wire.flag(value, f"values.{name}", errors)
        elif isinstance(value, str) and not wire.has_bad_text(value):
            typed[name] = value
        else:  # the domain names it as it was sent
            typed[name] = repr(value)
    return typed


# the texts a reading may carry: the JSON field, its longest length, the ReadingDetails field
TEXTS = (
    ("device_user", 32, "device_user"),
    ("radio", 64, "radio"),
    ("network", 128, "network"),
    ("tower_latitude", 32, "tower_latitude"),
    ("tower_longitude", 32, "tower_longitude"),
    ("id", 128, "sender_id"),
)


def _details(item: dict, errors: dict) -> ReadingDetails:
    details = ReadingDetails()
    for name in ("battery", "signal"):
        raw = item.get(name)
        if raw is not None:
            setattr(details, name, wire.percent(raw, name, errors))
    for name, longest, attribute in TEXTS:
        raw = item.get(name)
        if raw is not None:
            setattr(details, attribute, wire.text(raw, name, errors, longest))
    return details


def parse_reading(item: Any, now: datetime | None = None) -> Reading:
    """One ingest item as a Reading; raises ItemError naming every problem found."""
    if not isinstance(item, dict):
        raise ItemError({"item": "must be a JSON object"})
    errors: dict[str, str] = {}
    device_ref = _device_ref(item, errors)
    kind = item.get("kind")
    kind = kind if isinstance(kind, str) else None  # an array or object is no kind
    measured_at = wire.timestamp(item.get("measured_at"), "measured_at", errors)
    values = _values(item.get("values"), kind, errors)
    return build_reading(
        kind=kind,
        measured_at=measured_at,
        values=values,
        device_ref=device_ref,
        details=_details(item, errors),
        errors=errors,
        now=now,
    )


def record_items(
    company: Company, items: list[Any], *, now: datetime | None = None
) -> list[Outcome]:
    """Parse every item, store the valid ones; each item's outcome, by its index."""
    return record_each(parse_reading, record_measurements, company, items, now)
