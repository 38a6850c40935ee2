"""Simulated devices: plausible readings for the demo and for ``pulsebridge simulate``.

Each simulated device has a baseline (a patient's usual blood pressure, weight, fasting
glucose, ...) drawn once, and every reading varies around it the way home measurements do:
morning blood pressure a little higher, glucose higher after meals, weight drifting slowly,
batteries running down. The readings are ingest items (the body of
``POST /ingest/v1/measurements``), so the demo can store them with ``record_measurements``
and the simulator can post the very same shape over HTTP."""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from pulsebridge.core.models import Company
from pulsebridge.devices.models import Device
from pulsebridge.devices.services import DeviceError, add_device
from pulsebridge.readings.units import KG_PER_LB, MGDL_PER_MMOLL

# Cellular devices that post readings themselves: what the simulator creates, in turn.
SIMULATED_SKUS = ("PY-802-LTE", "PY-300-LTE", "PY-GL1-LTE", "PY-OX1-LTE")
MAX_BATCH = 1000  # the ingest API's limit per request


def _luhn_check_digit(digits: str) -> str:
    total = 0
    for position, char in enumerate(reversed(digits)):
        n = int(char)
        if position % 2 == 0:  # every second digit from the right, the check digit excluded
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return str((10 - total % 10) % 10)


def random_imei(rng: random.Random) -> str:
    """15 digits with a valid Luhn check digit, under a made-up type allocation code."""
    body = "35" + "".join(rng.choice("0123456789") for _ in range(12))
    return body + _luhn_check_digit(body)


def random_iccid(rng: random.Random) -> str:
    """A 20-digit ICCID: telecom prefix 89, country 1, then random digits and a check digit."""
    body = "8901" + "".join(rng.choice("0123456789") for _ in range(15))
    return body + _luhn_check_digit(body)


def _clip(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


@dataclass
class SimulatedDevice:
    """One device to simulate: how it names itself on the wire and its owner's baseline."""

    ref: dict[str, str]  # {"imei": ...}, {"serial": ...} or {"gateway_id": ..., "sensor_code": ...}
    kind: str
    baseline: dict[str, Any] = field(default_factory=dict)
    battery: float = 100.0

    @classmethod
    def of(cls, device: Device, rng: random.Random) -> SimulatedDevice:
        if device.imei:
            ref = {"imei": device.imei}
        elif device.gateway_id and device.model.sensor_code:
            ref = {"gateway_id": device.gateway.serial, "sensor_code": device.model.sensor_code}
        else:
            ref = {"serial": device.serial}
        kind = device.model.kind
        return cls(
            ref=ref, kind=kind, baseline=baseline_for(kind, rng), battery=rng.uniform(85, 100)
        )


def baseline_for(kind: str, rng: random.Random) -> dict[str, Any]:
    """A patient's usual values for one kind of measurement."""
    if kind == "blood_pressure":
        systolic = _clip(rng.gauss(132, 12), 105, 165)
        return {
            "systolic": systolic,
            "diastolic": _clip(systolic * 0.62 + rng.gauss(0, 5), 62, 100),
            "pulse": _clip(rng.gauss(72, 8), 55, 95),
        }
    if kind == "weight":
        return {
            "weight_kg": _clip(rng.gauss(84, 16), 48, 150),
            "drift_kg_per_day": rng.uniform(-0.08, 0.05),
            "unit": "lb" if rng.random() < 0.8 else "kg",
        }
    if kind == "glucose":
        return {
            "fasting": _clip(rng.gauss(118, 20), 82, 180),
            "unit": "mg/dL" if rng.random() < 0.85 else "mmol/L",
        }
    if kind == "pulse_oximetry":
        return {"spo2": rng.choice([95, 96, 97, 97, 98, 98, 99]), "pulse": rng.gauss(74, 8)}
    if kind == "temperature":
        return {"temperature": rng.gauss(36.7, 0.2), "unit": "C" if rng.random() < 0.6 else "F"}
    if kind == "peak_flow":
        return {"peak_flow": rng.uniform(300, 550)}
    raise ValueError(f"no simulation for {kind!r} readings")


def values_for(
    kind: str, baseline: dict[str, Any], rng: random.Random, at: datetime, day: float
) -> dict[str, Any]:
    """One reading's ``values`` as the device would send them (its own unit).

    ``day`` is the number of days since the simulation started, for slow trends."""
    morning = at.hour < 11
    if kind == "blood_pressure":
        systolic = _clip(rng.gauss(baseline["systolic"] + (5 if morning else 0), 7), 85, 210)
        diastolic = _clip(rng.gauss(baseline["diastolic"] + (3 if morning else 0), 5), 50, 125)
        diastolic = min(diastolic, systolic - 20)
        return {
            "systolic": round(systolic),
            "diastolic": round(diastolic),
            "pulse": round(_clip(rng.gauss(baseline["pulse"], 5), 45, 140)),
            "irregular": 1 if rng.random() < 0.03 else 0,
        }
    if kind == "weight":
        kg = baseline["weight_kg"] + baseline["drift_kg_per_day"] * day + rng.gauss(0, 0.35)
        if baseline["unit"] == "lb":
            return {"weight": round(kg / KG_PER_LB, 1), "unit": "lb"}
        return {"weight": round(kg, 1), "unit": "kg"}
    if kind == "glucose":
        before_meal = morning or rng.random() < 0.3
        mgdl = baseline["fasting"] + (0 if before_meal else rng.gauss(45, 20))
        mgdl = _clip(rng.gauss(mgdl, 10), 60, 350)
        if baseline["unit"] == "mmol/L":
            value: float = round(mgdl / MGDL_PER_MMOLL, 1)
        else:
            value = round(mgdl)
        return {"glucose": value, "unit": baseline["unit"], "before_meal": int(before_meal)}
    if kind == "pulse_oximetry":
        return {
            "spo2": round(_clip(rng.gauss(baseline["spo2"], 1), 88, 100)),
            "pulse": round(_clip(rng.gauss(baseline["pulse"], 6), 45, 140)),
        }
    if kind == "temperature":
        celsius = _clip(rng.gauss(baseline["temperature"] + (0 if morning else 0.2), 0.2), 35.5, 39)
        if baseline["unit"] == "F":
            return {"temperature": round(celsius * 9 / 5 + 32, 1), "unit": "F"}
        return {"temperature": round(celsius, 1), "unit": "C"}
    if kind == "peak_flow":
        return {"peak_flow": round(_clip(rng.gauss(baseline["peak_flow"], 25), 60, 800))}
    raise ValueError(f"no simulation for {kind!r} readings")


def times_of_day(per_day: int, rng: random.Random) -> list[tuple[timedelta, timedelta]]:
    """``per_day`` moments spread between 07:00 and 21:00: each as ``(planned, actual)``, the
    actual moment a little off the planned hour."""
    if per_day == 1:
        hours = [8.0]
    else:
        hours = [7 + i * 14 / (per_day - 1) for i in range(per_day)]
    moments = [
        (
            timedelta(hours=h),
            timedelta(hours=h, minutes=rng.uniform(-35, 35), seconds=rng.randrange(60)),
        )
        for h in hours
    ]
    return sorted(moments, key=lambda moment: moment[1])


def simulated_readings(
    devices: Iterable[SimulatedDevice],
    *,
    days: int,
    per_day: int,
    rng: random.Random,
    end: datetime | None = None,
) -> list[dict[str, Any]]:
    """Ingest items for the ``days`` * 24 hours up to ``end`` (now), oldest first: at most
    ``days`` * ``per_day`` per device.

    Readings fall at the usual times of day (:func:`times_of_day`), never in the future. A
    moment belongs to the window by its planned time, which recurs exactly every 24 hours; by
    its actual time, one jittered late on the first day and early on the last would both fall
    inside the window some mornings."""
    end = (end or datetime.now(UTC)).astimezone(UTC)
    start = end - timedelta(days=days)
    first_midnight = start.replace(hour=0, minute=0, second=0, microsecond=0)
    items = []
    for device in devices:
        for day in range(days + 1):
            midnight = first_midnight + timedelta(days=day)
            for planned, actual in times_of_day(per_day, rng):
                at = (midnight + actual).replace(microsecond=0)
                if not (start < midnight + planned <= end and start < at <= end):
                    continue
                device.battery = max(5.0, device.battery - rng.uniform(0.1, 0.5))
                items.append(
                    {
                        **device.ref,
                        "kind": device.kind,
                        "measured_at": at.isoformat().replace("+00:00", "Z"),
                        "values": values_for(device.kind, device.baseline, rng, at, day),
                        "battery": round(device.battery),
                        "signal": rng.randint(35, 95),
                    }
                )
    items.sort(key=lambda item: item["measured_at"])
    return items


def ensure_devices(company: Company, count: int, rng: random.Random) -> tuple[list[Device], int]:
    """``count`` cellular measuring devices of the company: its existing ones first, then new
    ones added to its inventory (SKUs in turn). Returns the devices and how many were added."""
    devices = list(
        Device.objects.for_company(company)
        .filter(imei__isnull=False, model__sku__in=SIMULATED_SKUS)
        .select_related("model", "gateway")
        .order_by("created_at", "id")[:count]
    )
    added = 0
    while len(devices) < count:
        sku = SIMULATED_SKUS[len(devices) % len(SIMULATED_SKUS)]
        for _ in range(20):  # a random IMEI that is already taken is vanishingly rare
            try:
                device = add_device(company, sku, imei=random_imei(rng), sim=random_iccid(rng))
                break
            except DeviceError as exc:
                if "already registered" not in str(exc):
                    raise
        else:
            raise DeviceError("could not find a free IMEI for a simulated device")
        devices.append(device)
        added += 1
    return devices, added


class SimulationError(Exception):
    """Posting could not go on; the message says why."""


@dataclass
class PostSummary:
    sent: int = 0
    created: int = 0
    duplicates: int = 0
    errors: int = 0
    requests: int = 0
    seconds: float = 0.0
    error_reasons: Counter = field(default_factory=Counter)

    @property
    def per_second(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0


def post_readings(
    items: list[dict[str, Any]],
    *,
    url: str,
    key: str,
    batch_size: int = 500,
    on_batch: Callable[[int], None] | None = None,
    transport: Any = None,
    max_retries: int = 5,
) -> PostSummary:
    """Post ``items`` to ``{url}/ingest/v1/measurements`` in batches, like devices would.

    A 429 is waited out (``Retry-After``) and retried; anything else that is not a per-item
    answer (200/207/400 with ``results``) stops the run with a SimulationError."""
    if not 1 <= batch_size <= MAX_BATCH:
        raise ValueError(f"batch size must be 1 to {MAX_BATCH}")
    endpoint = url.rstrip("/") + "/ingest/v1/measurements"
    summary = PostSummary()
    started = time.perf_counter()
    with httpx.Client(
        headers={"x-api-key": key}, timeout=60, transport=transport, follow_redirects=False
    ) as client:
        for start in range(0, len(items), batch_size):
            batch = items[start : start + batch_size]
            body = _post_batch(client, endpoint, batch, max_retries)
            summary.requests += 1
            summary.sent += len(batch)
            summary.created += body.get("created", 0)
            summary.duplicates += body.get("duplicates", 0)
            summary.errors += body.get("errors", 0)
            for result in body.get("results", []):
                for name, reason in (result.get("errors") or {}).items():
                    summary.error_reasons[f"{name}: {reason}"] += 1
            if start == 0 and body.get("created", 0) == 0 and body.get("duplicates", 0) == 0:
                unknown = summary.error_reasons.get("device: unknown device", 0)
                if unknown == len(batch):
                    raise SimulationError(
                        f"the server at {url} does not know these devices: it must serve the "
                        "same database as this command (check DATABASE_URL) and the key must "
                        "belong to the same company"
                    )
            if on_batch is not None:
                on_batch(len(batch))
    summary.seconds = time.perf_counter() - started
    return summary


def _post_batch(
    client: httpx.Client, endpoint: str, batch: list, max_retries: int
) -> dict[str, Any]:
    for _attempt in range(max_retries + 1):
        try:
            response = client.post(endpoint, json=batch)
        except httpx.TransportError as exc:
            raise SimulationError(
                f"cannot reach {endpoint}: {exc or type(exc).__name__} (is `pulsebridge serve` running?)"
            ) from None
        if response.status_code == 429:
            try:
                wait = float(response.headers.get("retry-after", "1"))
            except ValueError:
                wait = 1.0
            time.sleep(min(max(wait, 0.05), 5.0))
            continue
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code in (200, 207, 400) and isinstance(body, dict) and "results" in body:
            return body
        message = body.get("message") if isinstance(body, dict) else response.text[:200]
        raise SimulationError(f"{endpoint} answered {response.status_code}: {message}")
    raise SimulationError(
        f"{endpoint} kept answering 429 (rate limited) after {max_retries} retries"
    )
