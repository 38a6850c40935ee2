"""Reading the readings back for people: a patient's latest values, the series a chart draws,
each device's last battery and signal (the days with readings that bill are the billing app's).

Queries only; what is stored, and how, is ``services.record_measurements``'s."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from django.db.models import Max, OuterRef, Q, QuerySet, Subquery, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from pulsebridge.core.models import Company
from pulsebridge.devices.models import Patient

from .models import Measurement

# A device reporting this much battery or less is low (the devices screen's filter).
LOW_BATTERY_PERCENT = 20


@dataclass(frozen=True)
class Latest:
    kind: str
    measured_at: datetime
    values: dict[str, Any]
    unit: str


def patient_readings(company: Company, patient: Patient) -> QuerySet:
    """The patient's readings, newest first: what Pylo ``/readings`` answers for its
    ``patient_id`` (the patient the device belonged to when it measured)."""
    return (
        Measurement.objects.for_company(company)
        .filter(patient=patient)
        .select_related("device__model")
        .order_by("-measured_at", "-id")
    )


def latest_by_kind(company: Company, patient_ids: Iterable[Any]) -> dict[Any, dict[str, Latest]]:
    """Each patient's latest reading of each kind: ``{patient id: {kind: Latest}}``."""
    patient_ids = list(patient_ids)
    if not patient_ids:
        return {}
    readings = Measurement.objects.for_company(company).filter(patient_id__in=patient_ids)
    lasts = list(readings.values("patient_id", "kind").annotate(last=Max("measured_at")).order_by())
    wanted = {(row["patient_id"], row["kind"], row["last"]) for row in lasts}
    found: dict[Any, dict[str, Latest]] = {}
    rows = readings.filter(measured_at__in={row["last"] for row in lasts}).values_list(
        "patient_id", "kind", "measured_at", "values", "unit"
    )
    for patient_id, kind, measured_at, values, unit in rows.order_by("measured_at", "id"):
        if (patient_id, kind, measured_at) in wanted:
            found.setdefault(patient_id, {})[kind] = Latest(kind, measured_at, values, unit)
    return found


def with_last_reading(patients: QuerySet) -> QuerySet:
    """Patients annotated with ``last_reading_at``, the time of their latest reading."""
    latest = (
        Measurement.objects.filter(patient=OuterRef("pk"))
        .order_by("-measured_at")
        .values("measured_at")[:1]
    )
    return patients.annotate(last_reading_at=Subquery(latest))


def series(
    company: Company, patient: Patient, *, since: datetime, kinds: Iterable[str] | None = None
) -> list[tuple[datetime, str, dict[str, Any]]]:
    """The patient's readings since ``since``, oldest first, as (measured_at, kind, values)."""
    readings = Measurement.objects.for_company(company).filter(
        patient=patient, measured_at__gte=since
    )
    if kinds is not None:
        readings = readings.filter(kind__in=list(kinds))
    # The values as JSON text parsed by orjson, as the Pylo readings page does: Django's
    # JSONField parses them with the standard library, most of a 90-day chart's time.
    rows = (
        readings.order_by("measured_at", "id")
        .annotate(values_text=Cast("values", TextField()))
        .values_list("measured_at", "kind", "values_text")
    )
    return [(at, kind, orjson.loads(text)) for at, kind, text in rows]


def with_device_status(devices: QuerySet) -> QuerySet:
    """Devices annotated with ``last_battery`` and ``last_signal``: those of their latest
    reading (None when it reported none, or there is no reading)."""
    latest = Measurement.objects.filter(device=OuterRef("pk")).order_by("-measured_at", "-id")
    return devices.annotate(
        last_battery=Subquery(latest.values("battery")[:1]),
        last_signal=Subquery(latest.values("signal")[:1]),
    )


def low_battery(devices: QuerySet) -> QuerySet:
    """Of devices annotated by ``with_device_status``, those whose battery is low."""
    return devices.filter(last_battery__lte=LOW_BATTERY_PERCENT)


def silent_for(devices: QuerySet, days: int, *, now: datetime | None = None) -> QuerySet:
    """Devices that sent no reading in the last ``days`` days (or never did)."""
    since = (now or timezone.now()) - timedelta(days=days)
    return devices.filter(Q(last_measurement_at__lt=since) | Q(last_measurement_at__isnull=True))
