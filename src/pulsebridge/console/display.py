"""How the console writes readings for people: each kind's values in words and units (weight in
the company's unit), and the series a patient's charts draw."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pulsebridge.devices.models import Kind
from pulsebridge.readings.units import kg_to_lb, tidy

KIND_NAMES = {
    Kind.BLOOD_PRESSURE: "Blood pressure",
    Kind.WEIGHT: "Weight",
    Kind.GLUCOSE: "Glucose",
    Kind.PULSE_OXIMETRY: "SpO₂",
    Kind.TEMPERATURE: "Temperature",
    Kind.PEAK_FLOW: "Peak flow",
    Kind.PILLBOX: "Pill box",
}
CHARTED = [
    Kind.BLOOD_PRESSURE,
    Kind.WEIGHT,
    Kind.GLUCOSE,
    Kind.PULSE_OXIMETRY,
    Kind.TEMPERATURE,
    Kind.PEAK_FLOW,
]


def weight(kg: float, unit: str) -> float | int:
    return tidy(kg_to_lb(kg)) if unit == "lb" else tidy(kg)


def _n(value: Any) -> str:
    return "" if value is None else f"{tidy(float(value))}"


def describe(kind: str, values: dict[str, Any], weight_unit: str) -> str:
    """One reading's values as a person reads them: ``128/82 mmHg, pulse 70``."""
    v = values or {}
    if kind == Kind.BLOOD_PRESSURE:
        text = f"{_n(v.get('systolic'))}/{_n(v.get('diastolic'))} mmHg"
        if v.get("pulse") is not None:
            text += f", pulse {_n(v['pulse'])}"
        if v.get("irregular"):
            text += ", irregular heartbeat"
        return text
    if kind == Kind.WEIGHT:
        return f"{weight(v.get('weight', 0), weight_unit)} {weight_unit}"
    if kind == Kind.GLUCOSE:
        text = f"{_n(v.get('glucose'))} mg/dL"
        meal = v.get("before_meal")
        if meal is not None:
            text += ", before a meal" if meal else ", after a meal"
        return text
    if kind == Kind.PULSE_OXIMETRY:
        text = f"{_n(v.get('spo2'))} %"
        if v.get("pulse") is not None:
            text += f", pulse {_n(v['pulse'])}"
        return text
    if kind == Kind.TEMPERATURE:
        return f"{_n(v.get('temperature'))} °C"
    if kind == Kind.PEAK_FLOW:
        text = f"{_n(v.get('peak_flow'))} L/min"
        if v.get("fev1") is not None:
            text += f", FEV1 {_n(v['fev1'])} L"
        return text
    return str(v.get("event", ""))


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def charts(
    rows: list[tuple[datetime, str, dict[str, Any]]], weight_unit: str
) -> list[dict[str, Any]]:
    """One chart per kind with readings, as the page's script draws it (Chart.js datasets of
    ``{x: epoch ms, y}`` points; ``axis`` "y2" is the right-hand axis)."""
    by_kind: dict[str, list[tuple[datetime, dict[str, Any]]]] = {}
    for at, kind, values in rows:
        by_kind.setdefault(kind, []).append((at, values))
    out = []
    for kind in CHARTED:
        readings = by_kind.get(kind)
        if not readings:
            continue
        out.append({"kind": kind, "title": KIND_NAMES[kind], **_chart(kind, readings, weight_unit)})
    return out


def _points(readings, name: str, convert=float) -> list[dict[str, Any]]:
    return [
        {"x": _ms(at), "y": tidy(convert(v[name]))} for at, v in readings if v.get(name) is not None
    ]


def _chart(kind: str, readings, weight_unit: str) -> dict[str, Any]:
    if kind == Kind.BLOOD_PRESSURE:
        return {
            "unit": "mmHg",
            "unit2": "beats/min",
            "datasets": [
                {"label": "Systolic (mmHg)", "data": _points(readings, "systolic")},
                {"label": "Diastolic (mmHg)", "data": _points(readings, "diastolic")},
                {"label": "Pulse (/min)", "data": _points(readings, "pulse"), "axis": "y2"},
            ],
        }
    if kind == Kind.WEIGHT:
        return {
            "unit": weight_unit,
            "datasets": [
                {
                    "label": f"Weight ({weight_unit})",
                    "data": _points(readings, "weight", lambda kg: weight(kg, weight_unit)),
                }
            ],
        }
    if kind == Kind.GLUCOSE:
        groups = (("Before a meal", True), ("After a meal", False), ("Meal not given", None))
        datasets = []
        for label, marker in groups:
            points = [
                {"x": _ms(at), "y": tidy(float(v["glucose"]))}
                for at, v in readings
                if _meal(v) is marker
            ]
            if points:
                datasets.append({"label": f"{label} (mg/dL)", "data": points, "meal": marker})
        return {"unit": "mg/dL", "datasets": datasets, "points_only": True}
    if kind == Kind.PULSE_OXIMETRY:
        return {
            "unit": "%",
            "unit2": "beats/min",
            "datasets": [
                {"label": "SpO₂ (%)", "data": _points(readings, "spo2")},
                {"label": "Pulse (/min)", "data": _points(readings, "pulse"), "axis": "y2"},
            ],
        }
    if kind == Kind.TEMPERATURE:
        return {
            "unit": "°C",
            "datasets": [{"label": "Temperature (°C)", "data": _points(readings, "temperature")}],
        }
    return {
        "unit": "L/min",
        "datasets": [{"label": "Peak flow (L/min)", "data": _points(readings, "peak_flow")}],
    }


def _meal(values: dict[str, Any]) -> bool | None:
    meal = values.get("before_meal")
    return None if meal is None else bool(meal)
