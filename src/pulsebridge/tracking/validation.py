"""The rules of one tracker event, on typed values (the ingest API types its JSON first:
``ingest/events``): a known type, a plausible time, measures a tracker can physically report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from pulsebridge.readings.validation import ItemError, check_time

from .models import REPORTED_TYPES, EventType

# Ranges a tracker can physically report; anything outside is a broken sensor or a bad sender.
RANGES = {
    "accuracy": (0.0, 100_000.0, "m"),
    "temperature": (-60.0, 100.0, "°C"),
    "shock": (0.0, 200.0, "g"),
    "battery": (0.0, 100.0, "%"),
}
REQUIRED_BY_TYPE: dict[str, tuple[str, ...]] = {
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


MEASURES = ("latitude", "longitude", *RANGES)


def _in_range(measures: dict, name: str, errors: dict, low: float, high: float, unit: str):
    value = measures.get(name)
    if value is None or name in errors:
        return None
    if not low <= value <= high:
        errors[name] = f"{value:g} is outside the plausible range {low:g}-{high:g} {unit}".rstrip()
        return None
    return float(value)


def _position(measures: dict, errors: dict) -> tuple[float | None, float | None]:
    latitude = _in_range(measures, "latitude", errors, -90, 90, "degrees")
    longitude = _in_range(measures, "longitude", errors, -180, 180, "degrees")
    if ("latitude" in errors) == ("longitude" in errors) and (latitude is None) != (
        longitude is None
    ):
        missing = "longitude" if longitude is None else "latitude"
        errors[missing] = "is required with " + (
            "latitude" if latitude is not None else "longitude"
        )
    return latitude, longitude


def build_event(
    *,
    imei: str,
    kind: str | None,
    timestamp: datetime | None,
    measures: dict[str, float | None],
    sender_id: str = "",
    errors: dict[str, str] | None = None,
    now: datetime | None = None,
) -> ParsedEvent:
    """A tracker event from typed values, after the rules: a tracker named, a known type, a
    plausible time, measures in range and those its type requires. Raises ItemError naming every
    problem, those of ``errors`` (found while typing the values) included."""
    errors = errors if errors is not None else {}
    if not imei.strip() and "imei" not in errors:
        errors["imei"] = "is required: the tracker's IMEI"
    if kind not in REPORTED_TYPES:
        errors["type"] = f"must be one of {', '.join(REPORTED_TYPES)}"
    if timestamp is None:
        errors.setdefault("timestamp", "is required: an ISO 8601 date-time")
    else:
        timestamp = check_time(timestamp, "timestamp", errors, now)
    latitude, longitude = _position(measures, errors)
    values = {name: _in_range(measures, name, errors, *RANGES[name]) for name in RANGES}
    for name in REQUIRED_BY_TYPE.get(kind or "", ()):
        if measures.get(name) is None and name not in errors:
            errors[name] = f"is required for a {kind} event"
    if errors or kind is None or timestamp is None:
        raise ItemError(errors)
    return ParsedEvent(
        imei=imei.strip(),
        type=kind,
        timestamp=timestamp,
        latitude=latitude,
        longitude=longitude,
        accuracy=values["accuracy"],
        temperature=values["temperature"],
        shock=values["shock"],
        battery=round(values["battery"]) if values["battery"] is not None else None,
        sender_id=sender_id,
    )
