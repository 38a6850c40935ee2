"""The rules of one incoming reading, on typed values: known kinds, plausibility ranges
(MAPPINGS.md), canonical units, plausible times. Each check names the field and, for an
implausible value, the accepted range. Wire formats (the ingest API's JSON: ``ingest/readings``)
type the values first and hand them to :func:`build_reading`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils import timezone

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
        # the same text as strftime("%Y-%m-%dT%H:%M:%S.%fZ"), cheaper (docs/performance.md)
        at = (
            self.measured_at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
        )
        at += "Z"
        return f"m:{self.kind}:{at}:{self.device_user}"


def _required(values: Mapping[str, Any], name: str, errors: dict, *, required: bool = True):
    """The typed value, or None: noted as missing when required (unless its type was refused
    already, which names the problem)."""
    value = values.get(name)
    if value is None and required:
        errors.setdefault(f"values.{name}", "is required")
    return value


def _in_range(name: str, value: float | None, low: float, high: float, unit: str, errors: dict):
    if value is not None and not low <= value <= high:
        errors[f"values.{name}"] = (
            f"{units.tidy(value)} is outside the plausible range {low}-{high} {unit}"
        )


def _unit(values: Mapping[str, Any], allowed: dict[str, str], errors: dict) -> str | None:
    raw = values.get("unit")
    if raw is None:
        errors.setdefault("values.unit", f"is required: one of {', '.join(allowed.values())}")
        return None
    canonical = allowed.get(str(raw).strip().lower())
    if canonical is None:
        errors["values.unit"] = f"{raw!r} is not one of {', '.join(allowed.values())}"
    return canonical


def _blood_pressure(v: Mapping[str, Any], errors: dict) -> tuple[dict, str]:
    systolic = _required(v, "systolic", errors)
    diastolic = _required(v, "diastolic", errors)
    pulse = _required(v, "pulse", errors, required=False)
    irregular = v.get("irregular")
    _in_range("systolic", systolic, 40, 300, "mmHg", errors)
    _in_range("diastolic", diastolic, 20, 200, "mmHg", errors)
    _in_range("pulse", pulse, 20, 300, "/min", errors)
    if systolic is not None and diastolic is not None and systolic <= diastolic and not errors:
        errors["values.systolic"] = "must be above diastolic"
    out = {"systolic": systolic, "diastolic": diastolic, "irregular": irregular or 0}
    if pulse is not None:
        out["pulse"] = pulse
    return out, "mmHg"


def _weight(v: Mapping[str, Any], errors: dict) -> tuple[dict, str]:
    weight = _required(v, "weight", errors)
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


def _glucose(v: Mapping[str, Any], errors: dict) -> tuple[dict, str]:
    glucose = _required(v, "glucose", errors)
    unit = _unit(
        v, {"mg/dl": "mg/dL", "mgdl": "mg/dL", "mmol/l": "mmol/L", "mmol": "mmol/L"}, errors
    )
    before_meal = v.get("before_meal")
    if glucose is not None and unit == "mmol/L":
        _in_range("glucose", glucose, 0.6, 55, "mmol/L", errors)
        glucose = units.mmoll_to_mgdl(glucose)
    elif unit == "mg/dL":
        _in_range("glucose", glucose, 10, 1000, "mg/dL", errors)
    out: dict[str, Any] = {"glucose": glucose}
    if before_meal is not None:
        out["before_meal"] = before_meal
    return out, unit or ""


def _pulse_oximetry(v: Mapping[str, Any], errors: dict) -> tuple[dict, str]:
    spo2 = _required(v, "spo2", errors)
    pulse = _required(v, "pulse", errors)
    perfusion = _required(v, "perfusion_index", errors, required=False)
    _in_range("spo2", spo2, 50, 100, "%", errors)
    _in_range("pulse", pulse, 20, 300, "/min", errors)
    _in_range("perfusion_index", perfusion, 0, 100, "%", errors)
    out = {"spo2": spo2, "pulse": pulse}
    if perfusion is not None:
        out["perfusion_index"] = perfusion
    return out, "%"


def _temperature(v: Mapping[str, Any], errors: dict) -> tuple[dict, str]:
    temperature = _required(v, "temperature", errors)
    unit = _unit(v, {"c": "C", "celsius": "C", "f": "F", "fahrenheit": "F"}, errors)
    if temperature is not None and unit == "F":
        _in_range("temperature", temperature, 77, 113, "°F", errors)
        temperature = units.f_to_c(temperature)
    elif unit == "C":
        _in_range("temperature", temperature, 25, 45, "°C", errors)
    return {"temperature": temperature}, unit or ""


def _peak_flow(v: Mapping[str, Any], errors: dict) -> tuple[dict, str]:
    peak_flow = _required(v, "peak_flow", errors)
    fev1 = _required(v, "fev1", errors, required=False)
    _in_range("peak_flow", peak_flow, 30, 1000, "L/min", errors)
    _in_range("fev1", fev1, 0, 10, "L", errors)
    out = {"peak_flow": peak_flow}
    if fev1 is not None:
        out["fev1"] = fev1
    return out, "L/min"


def _pillbox(v: Mapping[str, Any], errors: dict) -> tuple[dict, str]:
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


# How each kind's values are typed on the way in: "number" (a finite float), "flag" (0 or 1),
# "text" (a string). Any wire format delivers them so; the rules above take them typed.
VALUE_TYPES: dict[str, dict[str, str]] = {
    "blood_pressure": {"systolic": "number", "diastolic": "number", "pulse": "number",
                       "irregular": "flag"},
    "weight": {"weight": "number", "unit": "text"},
    "glucose": {"glucose": "number", "unit": "text", "before_meal": "flag"},
    "pulse_oximetry": {"spo2": "number", "pulse": "number", "perfusion_index": "number"},
    "temperature": {"temperature": "number", "unit": "text"},
    "peak_flow": {"peak_flow": "number", "fev1": "number"},
    "pillbox": {"event": "text"},
}  # fmt: skip
DEVICE_REFS = ("imei", "serial", "gateway_id", "sensor_code")


def check_time(at: datetime, name: str, errors: dict, now: datetime | None = None) -> datetime:
    """``at`` in UTC (a naive time is UTC, as documented), noted if before 2000 or more than
    5 minutes ahead of ``now``."""
    if timezone.is_naive(at):
        at = at.replace(tzinfo=UTC)
    now = now or timezone.now()
    if at < EARLIEST:
        errors[name] = "must be after 2000-01-01"
    elif at > now + MAX_FUTURE:
        errors[name] = "is more than 5 minutes in the future"
    return at.astimezone(UTC)


def _check_device_ref(device_ref: dict[str, str], errors: dict) -> None:
    if "imei" in device_ref or "serial" in device_ref:
        return
    if "gateway_id" in device_ref or "sensor_code" in device_ref:
        for name in ("gateway_id", "sensor_code"):
            if name not in device_ref:
                errors[name] = "is required with gateway_id/sensor_code"
    elif not any(name in errors for name in DEVICE_REFS):  # a refused one names the problem
        errors["device"] = "name the device by imei, serial, or gateway_id + sensor_code"


@dataclass
class ReadingDetails:
    """What a reading says besides its values, typed."""

    battery: int | None = None
    signal: int | None = None
    device_user: str = ""
    radio: str = ""
    network: str = ""
    tower_latitude: str = ""
    tower_longitude: str = ""
    sender_id: str = ""


def build_reading(
    *,
    kind: str | None,
    measured_at: datetime | None,
    values: Mapping[str, Any] | None,
    device_ref: dict[str, str],
    details: ReadingDetails | None = None,
    errors: dict[str, str] | None = None,
    now: datetime | None = None,
) -> Reading:
    """A reading from typed values, after the rules of the domain: a known kind, a device
    named, a plausible time, values in range and in canonical units. Raises ItemError naming
    every problem, those of ``errors`` (found while typing the values) included."""
    errors = errors if errors is not None else {}
    details = details or ReadingDetails()
    _check_device_ref(device_ref, errors)
    if kind not in KINDS:
        errors["kind"] = f"must be one of {', '.join(KINDS)}"
    if measured_at is None:
        errors.setdefault("measured_at", "is required: an ISO 8601 date-time")
    else:
        measured_at = check_time(measured_at, "measured_at", errors, now)
    canonical: dict[str, Any] = {}
    unit = ""
    if values is not None and kind in VALUE_PARSERS:
        canonical, unit = VALUE_PARSERS[kind](values, errors)
    if errors or kind is None or measured_at is None:
        raise ItemError(errors)
    return Reading(
        kind=kind,
        measured_at=measured_at,
        values=canonical,
        unit=unit,
        battery=details.battery,
        signal=details.signal,
        device_user=details.device_user or "1",
        radio=details.radio,
        network=details.network,
        tower_latitude=details.tower_latitude,
        tower_longitude=details.tower_longitude,
        sender_id=details.sender_id,
        device_ref=device_ref,
    )
