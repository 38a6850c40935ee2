"""Reading the readings back for people: a patient's latest values, the days with readings in
the current window, the series a chart draws, each device's last battery and signal.

Queries only; what is stored, and how, is ``services.record_measurements``'s."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from django.db import connection
from django.db.models import Max, OuterRef, Q, QuerySet, Subquery, TextField
from django.db.models.functions import Cast, TruncDate
from django.utils import timezone

from pulsebridge.core.models import Company
from pulsebridge.devices.models import Patient

from .models import Measurement

# RPM counts the days with at least one reading in a 30-day period (16 of them bill); the
# current window is the 30 days (UTC) that end today.
WINDOW_DAYS = 30
BILLABLE_DAYS = 16
# A device reporting this much battery or less is low (the devices screen's filter).
LOW_BATTERY_PERCENT = 20


def current_window(now: datetime | None = None) -> tuple[datetime, datetime]:
    """The current 30-day window: from midnight UTC 29 days before today, up to now."""
    now = now or timezone.now()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight - timedelta(days=WINDOW_DAYS - 1), now


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


def days_with_readings(
    company: Company,
    patient_ids: Iterable[Any] | None = None,
    *,
    now: datetime | None = None,
) -> dict[Any, int]:
    """How many days of the current window have at least one reading, per patient (all the
    company's patients when ``patient_ids`` is None); a patient without any is left out.

    Counted in the database over each patient's distinct days (two hash aggregates): a
    COUNT(DISTINCT day) sorts every reading of the window, and counting the distinct days here
    converts one row per patient and day."""
    start, end = current_window(now)
    readings = Measurement.objects.for_company(company).filter(
        patient__isnull=False, measured_at__gte=start, measured_at__lte=end
    )
    if patient_ids is not None:
        patient_ids = list(patient_ids)
        if not patient_ids:
            return {}
        readings = readings.filter(patient_id__in=patient_ids)
    days = (
        readings.annotate(day=TruncDate("measured_at"))
        .values("patient_id", "day")
        .distinct()
        .order_by()
    )
    sql, params = days.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT d.patient_id, COUNT(*) FROM ({sql}) d GROUP BY d.patient_id",  # noqa: S608 - the ORM's own SQL
            params,
        )
        rows = cursor.fetchall()
    to_pk = Measurement._meta.get_field("patient").target_field.to_python
    return {to_pk(patient_id): count for patient_id, count in rows}


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
