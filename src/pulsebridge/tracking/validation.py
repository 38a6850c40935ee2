"""Validation of one tracker event posted to the ingest API, independent of any wire format."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pulsebridge.readings.validation import EARLIEST, NO_NUL, ItemError, parse_timestamp

from .models import REPORTED_TYPES, EventType

# Ranges a tracker can physically report; anything outside is a broken sensor or a bad sender.
RANGES = {
    "accuracy": (0.0, 100_000.0, "m"),
    "temperature": (-60.0, 100.0, "°C"),
    "shock": (0.0, 200.0, "g"),
    "battery": (0.0, 100.0, "%"),
}
# looked up by what the sender wrote, which may be no type at all
REQUIRED_BY_TYPE: dict[str | None, tuple[str, ...]] = {
    EventType.POSITION: ("latitude", "longitude"),
    EventType.TEMPERATURE: ("temperature",),
    EventType.SHOCK: ("shock",),
    EventType.BATTERY: ("battery",),
}


@dataclass
class ParsedEvent:
    imei: str
    type: str
    timestamp: datetime
    latitude: float | None = None
    longitude: float | None = None
    accuracy: float | None = None
    temperature: float | None = None
    shock: float | None = None
    battery: int | None = None
    sender_id: str = ""

    @property
    def dedupe_key(self) -> str:
        if self.sender_id:
            return f"id:{self.sender_id}"
        at = self.timestamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return f"e:{self.type}:{at}"


def _number(item: dict, name: str, errors: dict, low: float, high: float, unit: str):
    raw = item.get(name)
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        errors[name] = "must be a number"
        return None
    if not low <= raw <= high:
        errors[name] = f"{raw:g} is outside the plausible range {low:g}-{high:g} {unit}".rstrip()
        return None
    return float(raw)


def parse_event(item: Any, now: datetime | None = None) -> ParsedEvent:  # noqa: C901 - split on branch robust
    """Validate one item; raises ItemError naming every problem found."""
    if not isinstance(item, dict):
        raise ItemError({"item": "must be a JSON object"})
    errors: dict[str, str] = {}

    imei = item.get("imei")
    if isinstance(imei, int) and not isinstance(imei, bool):
        imei = str(imei)
    if not isinstance(imei, str) or not imei.strip():
        errors["imei"] = "is required: the tracker's IMEI"
        imei = ""
    elif "\x00" in imei:
        errors["imei"] = NO_NUL

    kind = item.get("type")
    if kind not in REPORTED_TYPES:
        errors["type"] = f"must be one of {', '.join(REPORTED_TYPES)}"

    timestamp = parse_timestamp(item.get("timestamp"), "timestamp", errors, now)

    latitude = _number(item, "latitude", errors, -90, 90, "degrees")
    longitude = _number(item, "longitude", errors, -180, 180, "degrees")
    if ("latitude" in errors) == ("longitude" in errors) and (latitude is None) != (
        longitude is None
    ):
        missing = "longitude" if longitude is None else "latitude"
        errors[missing] = "is required with " + (
            "latitude" if latitude is not None else "longitude"
        )
    values = {name: _number(item, name, errors, *RANGES[name]) for name in RANGES}
    for name in REQUIRED_BY_TYPE.get(kind, ()):
        if item.get(name) is None and name not in errors:
            errors[name] = f"is required for a {kind} event"

    sender_id = item.get("id")
    if sender_id is None:
        sender_id = ""
    elif isinstance(sender_id, bool) or not isinstance(sender_id, str | int):
        errors["id"] = "must be a string"
        sender_id = ""
    else:
        sender_id = str(sender_id)
        if len(sender_id) > 128:
            errors["id"] = "must be at most 128 characters"
        elif "\x00" in sender_id:
            errors["id"] = NO_NUL

    if errors:
        raise ItemError(errors)
    return ParsedEvent(
        imei=imei.strip(),
        type=str(kind),  # one of REPORTED_TYPES: no error was found
        timestamp=timestamp or EARLIEST,
        latitude=latitude,
        longitude=longitude,
        accuracy=values["accuracy"],
        temperature=values["temperature"],
        shock=values["shock"],
        battery=round(values["battery"]) if values["battery"] is not None else None,
        sender_id=sender_id,
    )
