"""Recording measurements: the one path by which every reading, from any source, is stored."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone

from pulsebridge.core.models import Company
from pulsebridge.core.outcomes import Outcome
from pulsebridge.devices.hardware import note_measurements
from pulsebridge.devices.models import Device
from pulsebridge.webhooks.models import EventType
from pulsebridge.webhooks.services import publish

from .models import Measurement
from .validation import ItemError, Reading, parse_reading


def _resolve_devices(company: Company, readings: dict[int, Reading]) -> dict[int, Device]:
    imeis = {r.device_ref["imei"] for r in readings.values() if "imei" in r.device_ref}
    serials = {r.device_ref["serial"] for r in readings.values() if "serial" in r.device_ref}
    gateways = {
        r.device_ref["gateway_id"] for r in readings.values() if "gateway_id" in r.device_ref
    }
    base = Device.objects.for_company(company).select_related("model", "patient")
    by_imei, by_serial, by_sensor = {}, {}, {}
    if imeis or serials:
        for device in base.filter(Q(imei__in=imeis) | Q(serial__in=serials)):
            if device.imei:
                by_imei[device.imei] = device
            by_serial[device.serial] = device
    if gateways:
        for device in base.filter(gateway__serial__in=gateways).select_related("gateway"):
            by_sensor[(device.gateway.serial.upper(), device.model.sensor_code)] = device
    found = {}
    for index, reading in readings.items():
        ref = reading.device_ref
        if "imei" in ref:
            device = by_imei.get(ref["imei"])
        elif "serial" in ref:
            device = by_serial.get(ref["serial"])
        else:
            device = by_sensor.get((ref["gateway_id"].upper(), ref["sensor_code"]))
        if device is not None:
            found[index] = device
    return found


def record_measurements(
    company: Company, items: list[Any], *, now: datetime | None = None
) -> list[Outcome]:
    """Validate, de-duplicate and store readings; announce each new one exactly once.

    Every item is judged on its own. Valid new readings are stored in one transaction together
    with the device updates and the webhook events they cause."""
    now = now or timezone.now()
    outcomes: dict[int, Outcome] = {}
    readings: dict[int, Reading] = {}
    for index, item in enumerate(items):
        try:
            readings[index] = parse_reading(item, now)
        except ItemError as exc:
            outcomes[index] = Outcome(index, "error", errors=exc.errors)

    devices = _resolve_devices(company, readings)
    for index, reading in list(readings.items()):
        device = devices.get(index)
        if device is None:
            outcomes[index] = Outcome(index, "error", errors={"device": "unknown device"})
        elif device.model.kind != reading.kind:
            outcomes[index] = Outcome(
                index,
                "error",
                errors={
                    "kind": f"{device.model.sku} measures {device.model.kind}, not {reading.kind}"
                },
            )
        else:
            continue
        del readings[index]

    existing = {}
    if readings:
        keys = {reading.dedupe_key for reading in readings.values()}
        rows = Measurement.objects.filter(
            device_id__in={devices[i].pk for i in readings}, dedupe_key__in=keys
        ).values_list("device_id", "dedupe_key", "id")
        existing = {(device_id, key): str(pk) for device_id, key, pk in rows}

    new: list[tuple[int, Measurement]] = []
    for index, reading in readings.items():
        device = devices[index]
        key = (device.pk, reading.dedupe_key)
        if key in existing:
            outcomes[index] = Outcome(index, "duplicate", id=existing[key])
            continue
        measurement = Measurement(
            company=company,
            device=device,
            kind=reading.kind,
            measured_at=reading.measured_at,
            received_at=now,
            values=reading.values,
            unit=reading.unit,
            battery=reading.battery,
            signal=reading.signal,
            device_user=reading.device_user,
            radio=reading.radio,
            network=reading.network,
            tower_latitude=reading.tower_latitude,
            tower_longitude=reading.tower_longitude,
            sender_id=reading.sender_id,
            dedupe_key=reading.dedupe_key,
            patient=device.patient,
            practice_id=device.practice_id,
            tenant_id=device.tenant_id,
        )
        existing[key] = str(measurement.pk)  # a second copy later in the same batch
        new.append((index, measurement))

    if new:
        _store(company, new, outcomes)
    return [outcomes[i] for i in sorted(outcomes)]


def _store(
    company: Company, new: list[tuple[int, Measurement]], outcomes: dict[int, Outcome]
) -> None:
    with transaction.atomic():
        Measurement.objects.bulk_create([m for _, m in new], ignore_conflicts=True, batch_size=1000)
        # A concurrent request may have stored the same reading first: only rows that exist
        # now under our ids are ours to announce.
        stored = set(
            Measurement.objects.filter(pk__in=[m.pk for _, m in new]).values_list("pk", flat=True)
        )
        mine = [(i, m) for i, m in new if m.pk in stored]
        for index, measurement in new:
            if measurement.pk not in stored:
                twin = (
                    Measurement.objects.filter(
                        device=measurement.device, dedupe_key=measurement.dedupe_key
                    )
                    .values_list("pk", flat=True)
                    .first()
                )
                outcomes[index] = Outcome(index, "duplicate", id=str(twin) if twin else None)
        for index, measurement in mine:
            outcomes[index] = Outcome(index, "created", id=str(measurement.pk))

        spans: dict[Any, list[datetime]] = defaultdict(list)
        for _, measurement in mine:
            spans[measurement.device_id].append(measurement.measured_at)
        activated = _touch_devices(spans)

        publish(company, EventType.DEVICE_MEASUREMENT, [(m.pk, m) for _, m in mine])
        # HWI devices (enrolments) bound to these devices: last_measurement, and Connected at
        # the first reading
        note_measurements(company, spans)
        if activated:
            refreshed = Device.objects.filter(pk__in=activated).select_related("model", "patient")
            publish(
                company, EventType.DEVICE_BILLING_STATUS_CHANGED, [(d.pk, d) for d in refreshed]
            )


def _touch_devices(spans: dict[Any, list[datetime]]) -> list:
    """Widen each device's first/last measurement times and activate preactive devices, in two
    statements whatever the batch size. LEAST/GREATEST run in SQL, so concurrent batches for the
    same device cannot overwrite each other's times."""
    if not spans:
        return []
    if connection.vendor == "postgresql":
        _widen_times_postgresql(spans)
    else:
        _widen_times_portable(spans)
    activated = []
    device_ids = list(spans)
    for start in range(0, len(device_ids), 500):
        chunk = device_ids[start : start + 500]
        preactive = Device.objects.filter(
            pk__in=chunk, billing_status=Device.BillingStatus.PREACTIVE
        ).select_for_update(of=("self",))
        ids = list(preactive.values_list("pk", flat=True))
        if ids:
            Device.objects.filter(pk__in=ids).update(billing_status=Device.BillingStatus.ACTIVE)
            activated.extend(ids)
    return activated


def _widen_times_postgresql(spans: dict[Any, list[datetime]]) -> None:
    # One UPDATE joined to the batch's arrays: a CASE with one branch per device costs the ORM
    # ten times more to build than the database spends running it.
    table = Device._meta.db_table
    ids = list(spans)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {table} AS d
                SET first_measurement_at = LEAST(COALESCE(d.first_measurement_at, v.f), v.f),
                    last_measurement_at = GREATEST(COALESCE(d.last_measurement_at, v.l), v.l)
                FROM unnest(%s::uuid[], %s::timestamptz[], %s::timestamptz[]) AS v(id, f, l)
                WHERE d.id = v.id""",  # noqa: S608 - the table name is the model's own
            [ids, [min(spans[pk]) for pk in ids], [max(spans[pk]) for pk in ids]],
        )


def _widen_times_portable(spans: dict[Any, list[datetime]]) -> None:
    device_ids = list(spans)
    for start in range(0, len(device_ids), 500):
        chunk = device_ids[start : start + 500]
        firsts = [
            When(pk=pk, then=Least(Coalesce(F("first_measurement_at"), Value(t)), Value(t)))
            for pk, t in ((pk, min(spans[pk])) for pk in chunk)
        ]
        lasts = [
            When(pk=pk, then=Greatest(Coalesce(F("last_measurement_at"), Value(t)), Value(t)))
            for pk, t in ((pk, max(spans[pk])) for pk in chunk)
        ]
        Device.objects.filter(pk__in=chunk).update(
            first_measurement_at=Case(*firsts, default=F("first_measurement_at")),
            last_measurement_at=Case(*lasts, default=F("last_measurement_at")),
        )
