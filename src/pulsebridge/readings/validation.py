"""Validation of one incoming reading, independent of any wire format.

Each check names the field and, for implausible values, the accepted range (MAPPINGS.md)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from . import units

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
MAX_FUTURE = timedelta(minutes=5)
# PostgreSQL's text cannot hold U+0000: refused here rather than failing the whole request there
NO_NUL = "must not contain NUL (U+0000) characters"
PILLBOX_EVENTS = ("opened", "refilled", "refill_initiated")
KINDS = (
    "blood_pressure",
    "weight",
    "glucose",
    "pulse_oximetry",
    "temperature",
    "peak_flow",
    "pillbox",
)


class ItemError(Exception):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass
class Reading:
    """A validated reading, values already in canonical units."""

    kind: str
    measured_at: datetime
    values: dict[str, Any]
    unit: str = ""
    battery: int | None = None
    signal: int | None = None
    device_user: str = "1"
    radio: str = ""
    network: str = ""
    tower_latitude: str = ""
    tower_longitude: str = ""
    sender_id: str = ""
    device_ref: dict[str, str] = field(default_factory=dict)

    @property
    def dedupe_key(self) -> str:
        if self.sender_id:
            return f"id:{self.sender_id}"
        # the same text as strftime("%Y-%m-%dT%H:%M:%S.%fZ"), in a third of the time
        at = (
            self.measured_at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
        )
        at += "Z"
        return f"m:{self.kind}:{at}:{self.device_user}"


def _number(values: dict, name: str, errors: dict, *, required: bool = True) -> float | None:
    raw = values.get(name)
    if raw is None:
        if required:
            errors[f"values.{name}"] = "is required"
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        errors[f"values.{name}"] = "must be a number"
        return None
    try:
        number = float(raw)
    except ValueError:
        errors[f"values.{name}"] = "must be a number"
        return None
    if not math.isfinite(number):
        errors[f"values.{name}"] = "must be a finite number"
        return None
    return number


def _in_range(name: str, value: float | None, low: float, high: float, unit: str, errors: dict):
    if value is not None and not low <= value <= high:
        errors[f"values.{name}"] = (
            f"{units.tidy(value)} is outside the plausible range {low}-{high} {unit}"
        )


def _flag(values: dict, name: str, errors: dict) -> int | None:
    raw = values.get(name)
    if raw is None:
        return None
    if raw in (True, 1, "1", "true", "yes"):
        return 1
    if raw in (False, 0, "0", "false", "no"):
        return 0
    errors[f"values.{name}"] = "must be 0 or 1"
    return None


def _unit(values: dict, allowed: dict[str, str], errors: dict) -> str | None:
    raw = values.get("unit")
    if raw is None:
        errors["values.unit"] = f"is required: one of {', '.join(allowed.values())}"
        return None
    canonical = allowed.get(str(raw).strip().lower())
    if canonical is None:
        errors["values.unit"] = f"{raw!r} is not one of {', '.join(allowed.values())}"
    return canonical


def _blood_pressure(v: dict, errors: dict) -> tuple[dict, str]:
    systolic = _number(v, "systolic", errors)
    diastolic = _number(v, "diastolic", errors)
    pulse = _number(v, "pulse", errors, required=False)
    irregular = _flag(v, "irregular", errors)
    _in_range("systolic", systolic, 40, 300, "mmHg", errors)
    _in_range("diastolic", diastolic, 20, 200, "mmHg", errors)
    _in_range("pulse", pulse, 20, 300, "/min", errors)
    if systolic is not None and diastolic is not None and systolic <= diastolic and not errors:
        errors["values.systolic"] = "must be above diastolic"
    out = {"systolic": systolic, "diastolic": diastolic, "irregular": irregular or 0}
    if pulse is not None:
        out["pulse"] = pulse
    return out, "mmHg"


def _weight(v: dict, errors: dict) -> tuple[dict, str]:
    weight = _number(v, "weight", errors)
    unit = _unit(v, {"kg": "kg", "lb": "lb", "lbs": "lb"}, errors)
    if weight is not None and unit == "lb":
        _in_range(
            "weight",
            weight,
            round(0.5 / units.KG_PER_LB, 1),
            round(450 / units.KG_PER_LB),
            "lb",
            errors,
        )
        weight = units.lb_to_kg(weight)
    elif unit == "kg":
        _in_range("weight", weight, 0.5, 450, "kg", errors)
    return {"weight": weight}, unit or ""


def _glucose(v: dict, errors: dict) -> tuple[dict, str]:
    glucose = _number(v, "glucose", errors)
    unit = _unit(
        v, {"mg/dl": "mg/dL", "mgdl": "mg/dL", "mmol/l": "mmol/L", "mmol": "mmol/L"}, errors
    )
    before_meal = _flag(v, "before_meal", errors)
    if glucose is not None and unit == "mmol/L":
        _in_range("glucose", glucose, 0.6, 55, "mmol/L", errors)
        glucose = units.mmoll_to_mgdl(glucose)
    elif unit == "mg/dL":
        _in_range("glucose", glucose, 10, 1000, "mg/dL", errors)
    out: dict[str, Any] = {"glucose": glucose}
    if before_meal is not None:
        out["before_meal"] = before_meal
    return out, unit or ""


def _pulse_oximetry(v: dict, errors: dict) -> tuple[dict, str]:
    spo2 = _number(v, "spo2", errors)
    pulse = _number(v, "pulse", errors)
    perfusion = _number(v, "perfusion_index", errors, required=False)
    _in_range("spo2", spo2, 50, 100, "%", errors)
    _in_range("pulse", pulse, 20, 300, "/min", errors)
    _in_range("perfusion_index", perfusion, 0, 100, "%", errors)
    out = {"spo2": spo2, "pulse": pulse}
    if perfusion is not None:
        out["perfusion_index"] = perfusion
    return out, "%"


def _temperature(v: dict, errors: dict) -> tuple[dict, str]:
    temperature = _number(v, "temperature", errors)
    unit = _unit(v, {"c": "C", "celsius": "C", "f": "F", "fahrenheit": "F"}, errors)
    if temperature is not None and unit == "F":
        _in_range("temperature", temperature, 77, 113, "°F", errors)
        temperature = units.f_to_c(temperature)
    elif unit == "C":
        _in_range("temperature", temperature, 25, 45, "°C", errors)
    return {"temperature": temperature}, unit or ""


def _peak_flow(v: dict, errors: dict) -> tuple[dict, str]:
    peak_flow = _number(v, "peak_flow", errors)
    fev1 = _number(v, "fev1", errors, required=False)
    _in_range("peak_flow", peak_flow, 30, 1000, "L/min", errors)
    _in_range("fev1", fev1, 0, 10, "L", errors)
    out = {"peak_flow": peak_flow}
    if fev1 is not None:
        out["fev1"] = fev1
    return out, "L/min"


def _pillbox(v: dict, errors: dict) -> tuple[dict, str]:
    event = v.get("event")
    if event not in PILLBOX_EVENTS:
        errors["values.event"] = f"must be one of {', '.join(PILLBOX_EVENTS)}"
    return {"event": event}, ""


VALUE_PARSERS = {
    "blood_pressure": _blood_pressure,
    "weight": _weight,
    "glucose": _glucose,
    "pulse_oximetry": _pulse_oximetry,
    "temperature": _temperature,
    "peak_flow": _peak_flow,
    "pillbox": _pillbox,
}


def parse_timestamp(
    raw: Any, name: str, errors: dict, now: datetime | None = None
) -> datetime | None:
    if not isinstance(raw, str) or not raw:
        errors[name] = "is required: an ISO 8601 date-time"
        return None
    try:
        parsed = parse_datetime(raw.strip())
    except ValueError:
        parsed = None
    if parsed is None:
        errors[name] = f"{raw!r} is not an ISO 8601 date-time"
        return None
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=UTC)  # documented: a time without offset is UTC
    now = now or timezone.now()
    if parsed < EARLIEST:
        errors[name] = "must be after 2000-01-01"
    elif parsed > now + MAX_FUTURE:
        errors[name] = "is more than 5 minutes in the future"
    return parsed.astimezone(UTC)


def _percent(item: dict, name: str, errors: dict) -> int | None:
    raw = item.get(name)
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not 0 <= raw <= 100:
        errors[name] = "must be a number from 0 to 100"
        return None
    return round(raw)


def _text(item: dict, name: str, errors: dict, max_length: int = 128) -> str:
    raw = item.get(name)
    if raw is None:
        return ""
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        errors[name] = "must be a string"
        return ""
    text = str(raw)
    if len(text) > max_length:
        errors[name] = f"must be at most {max_length} characters"
    elif "\x00" in text:
        errors[name] = NO_NUL
    return text


def parse_reading(item: Any, now: datetime | None = None) -> Reading:  # noqa: C901 - split on branch robust
    """Validate one ingest item; raises ItemError naming every problem found."""
    if not isinstance(item, dict):
        raise ItemError({"item": "must be a JSON object"})
    errors: dict[str, str] = {}

    device_ref = {}
    for name in ("imei", "serial", "gateway_id", "sensor_code"):
        value = item.get(name)
        if value is not None and value != "":
            if not isinstance(value, str | int) or isinstance(value, bool):
                errors[name] = "must be a string"
            elif "\x00" in str(value):
                errors[name] = NO_NUL
            else:
                device_ref[name] = str(value).strip()
    if "imei" not in device_ref and "serial" not in device_ref:
        if "gateway_id" in device_ref or "sensor_code" in device_ref:
            for name in ("gateway_id", "sensor_code"):
                if name not in device_ref:
                    errors[name] = "is required with gateway_id/sensor_code"
        elif not errors:  # a reference already refused above names the problem
            errors["device"] = "name the device by imei, serial, or gateway_id + sensor_code"

    kind = item.get("kind")
    if kind not in KINDS:
        errors["kind"] = f"must be one of {', '.join(KINDS)}"

    measured_at = parse_timestamp(item.get("measured_at"), "measured_at", errors, now)

    values: dict[str, Any] = {}
    unit = ""
    raw_values = item.get("values")
    if not isinstance(raw_values, dict):
        errors["values"] = "must be an object"
    elif kind in VALUE_PARSERS:
        values, unit = VALUE_PARSERS[kind](raw_values, errors)

    reading = Reading(
        kind=kind if isinstance(kind, str) else "",
        measured_at=measured_at or EARLIEST,
        values=values,
        unit=unit,
        battery=_percent(item, "battery", errors),
        signal=_percent(item, "signal", errors),
        device_user=_text(item, "device_user", errors, 32) or "1",
        radio=_text(item, "radio", errors, 64),
        network=_text(item, "network", errors),
        tower_latitude=_text(item, "tower_latitude", errors, 32),
        tower_longitude=_text(item, "tower_longitude", errors, 32),
        sender_id=_text(item, "id", errors),
        device_ref=device_ref,
    )
    if errors:
        raise ItemError(errors)
    return reading
