"""Recording measurements: the one path by which every reading, from any source, is stored."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, Exists, F, OuterRef, Value, When
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone
from django.utils.module_loading import import_string

from pulsebridge.core.models import Company
from pulsebridge.devices.hardware import note_measurements
from pulsebridge.devices.models import Device, DeviceModel, Enrolment, Patient
from pulsebridge.lib import metrics
from pulsebridge.lib.bulk import CACHED_STATEMENT_PARAMS, Loader, Table, among, among_sql
from pulsebridge.lib.ids import uuid7
from pulsebridge.lib.outcomes import Outcome
from pulsebridge.webhooks.models import EventType, WebhookEndpoint
from pulsebridge.webhooks.services import (
    ENDPOINT_COLUMNS,
    Outbox,
    enabled_endpoints_sql,
    endpoint_from,
    endpoints_wanting,
    outbox_sql,
    publish,
    render,
    renders_ahead,
    write,
)

from .models import Measurement
from .validation import Reading

MEASUREMENTS = Table(Measurement)
PREACTIVE = Device.BillingStatus.PREACTIVE
# Up to this many rows, a batch's events are rendered before its insert, for every row, and
# written by the same statement (PostgreSQL): three round trips fewer, and a duplicate's
# rendering wasted. Not for endpoints whose format routes by what is stored (renders_ahead). A resent batch of a thousand duplicates rendered ahead cost three times
# what storing nothing costs (docs/performance.md, "Figures from the code").
RENDERED_AHEAD = 10


@dataclass(frozen=True, slots=True)
class Resolved:
    """A reading's device as the write path needs to know it."""

    device: Device  # its model and its patient loaded
    enrolled: bool  # an HWI device (a Tenovi enrolment) is bound to it


def _resolve_devices(
    company: Company, readings: dict[int, Reading]
) -> tuple[dict[int, Resolved], list[WebhookEndpoint] | None]:
    """Each reading's device, by index, and the company's enabled endpoints when the look-up
    brought them (devices named by IMEI or serial), else None."""
    imeis = {r.device_ref["imei"] for r in readings.values() if "imei" in r.device_ref}
    serials = {r.device_ref["serial"] for r in readings.values() if "serial" in r.device_ref}
    gateways = {
        r.device_ref["gateway_id"] for r in readings.values() if "gateway_id" in r.device_ref
    }
    by_imei: dict[str, Resolved] = {}
    by_serial: dict[str, Resolved] = {}
    by_sensor: dict[tuple[str, str], Resolved] = {}
    endpoints = None
    if imeis or serials:
        named, endpoints = _devices_named(company, imeis, serials)
        for resolved in named:
            if resolved.device.imei:
                by_imei[resolved.device.imei] = resolved
            by_serial[resolved.device.serial] = resolved
    if gateways:
        base = (
            Device.objects.for_company(company)
            .select_related("model", "gateway", "patient")
            .annotate(has_enrolment=Exists(Enrolment.objects.filter(device=OuterRef("pk"))))
        )
        for device in base.filter(gateway__serial__in=gateways):
            by_sensor[(device.gateway.serial.upper(), device.model.sensor_code)] = Resolved(
                device, enrolled=device.has_enrolment
            )
    found = {}
    for index, reading in readings.items():
        ref = reading.device_ref
        if "imei" in ref:
            match = by_imei.get(ref["imei"])
        elif "serial" in ref:
            match = by_serial.get(ref["serial"])
        else:
            match = by_sensor.get((ref["gateway_id"].upper(), ref["sensor_code"]))
        if match is not None:
            found[index] = match
    return found, endpoints


DEVICES, MODELS, PATIENTS = Loader(Device), Loader(DeviceModel), Loader(Patient)
DEVICE_PK_AT = DEVICES.attnames.index(Device._meta.pk.attname)


def _devices_named(
    company: Company, imeis: set[str], serials: set[str]
) -> tuple[list[Resolved], list[WebhookEndpoint]]:
    """The company's devices with these IMEIs or serials, each with its model and patient, and
    the company's enabled webhook endpoints.

    Plain SQL, because this runs for every reading posted and the ORM spends four times longer
    building the query than the database spends answering it. The endpoints come in the same
    round trip (``UNION ALL``, their rows led by NULLs where a device's columns are): a device
    posting one reading then needs no other look-up before its reading is stored. The patient
    comes along for the renderers of its events (a query of its own after the insert was a
    fifth of a watched request's CPU)."""
    q = connection.ops.quote_name
    conditions, params = [], [Company._meta.pk.get_db_prep_value(company.pk, connection)]
    for column, values in (("imei", imeis), ("serial", serials)):
        if values:
            sql, more = among_sql(f"d.{q(column)}", list(values))
            conditions.append(sql)
            params.extend(more)
    device_width = len(DEVICES.fields) + len(MODELS.fields) + len(PATIENTS.fields) + 1
    endpoints_sql, more = enabled_endpoints_sql(company, pad=device_width)
    nulls = ", NULL" * ENDPOINT_COLUMNS
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {DEVICES.columns('d')}, {MODELS.columns('m')}, {PATIENTS.columns('p')}, "  # noqa: S608 - names from _meta
            f"EXISTS (SELECT 1 FROM {q(Enrolment._meta.db_table)} e WHERE e.device_id = d.id)"
            f"{nulls} "
            f"FROM {q(Device._meta.db_table)} d "
            f"JOIN {q(DeviceModel._meta.db_table)} m ON m.id = d.model_id "
            f"LEFT JOIN {q(Patient._meta.db_table)} p ON p.id = d.patient_id "
            f"WHERE d.company_id = %s AND ({' OR '.join(conditions)}) "
            f"UNION ALL {endpoints_sql}",
            params + more,
        )
        rows = cursor.fetchall()
    found, endpoints = [], []
    model_at = len(DEVICES.fields)
    patient_at = model_at + len(MODELS.fields)
    for row in rows:
        if row[DEVICE_PK_AT] is None:  # no device: an endpoint
            endpoints.append(endpoint_from(row[device_width:]))
            continue
        device = DEVICES.load(row)
        device.model = MODELS.load(row[model_at:])
        device.patient = PATIENTS.load(row[patient_at:]) if row[patient_at] is not None else None
        found.append(Resolved(device, enrolled=bool(row[device_width - 1])))
    return found, endpoints


def record_measurements(
    company: Company, batch: Sequence[Reading], *, now: datetime | None = None
) -> list[Outcome]:
    """De-duplicate and store validated readings (``validation.build_reading``); announce each
    new one exactly once. Each reading's outcome, indexed by its position in ``batch``.

    Every reading is judged on its own (its device known, of its kind). New readings are stored
    atomically with the device updates and the webhook events they cause (one transaction; on
    PostgreSQL often one statement, ``_store``). A device or an endpoint removed between the
    look-up and the write fails that write whole (a foreign key); outside a caller's
    transaction the batch is then looked up and written once more, and answered as it stands
    now, rather than refused."""
    now = now or timezone.now()
    try:
        return _record(company, batch, now)
    except IntegrityError:
        if connection.in_atomic_block:  # the caller's transaction is spoilt: theirs to handle
            raise
        return _record(company, batch, now)


def _record(company: Company, batch: Sequence[Reading], now: datetime) -> list[Outcome]:
    outcomes: dict[int, Outcome] = {}
    readings: dict[int, Reading] = dict(enumerate(batch))

    devices, enabled_endpoints = _resolve_devices(company, readings) if readings else ({}, [])
    rows: dict[int, dict[str, Any]] = {}
    first_of: dict[tuple[Any, str], int] = {}  # (device, dedupe key) -> index of its first copy
    copies: list[tuple[int, int]] = []  # (index, index of the first copy in this batch)
    for index, reading in readings.items():
        resolved = devices.get(index)
        if resolved is None:
            outcomes[index] = Outcome(index, "error", errors={"device": "unknown device"})
            continue
        device = resolved.device
        if device.model.kind != reading.kind:
            outcomes[index] = Outcome(
                index,
                "error",
                errors={
                    "kind": f"{device.model.sku} measures {device.model.kind}, not {reading.kind}"
                },
            )
            continue
        dedupe_key = reading.dedupe_key
        key = (device.pk, dedupe_key)
        if key in first_of:
            copies.append((index, first_of[key]))
            continue
        first_of[key] = index
        rows[index] = {
            "id": uuid7(),
            "company_id": company.pk,
            "device_id": device.pk,
            "kind": reading.kind,
            "measured_at": reading.measured_at,
            "received_at": now,
            "values": reading.values,
            "unit": reading.unit,
            "battery": reading.battery,
            "signal": reading.signal,
            "device_user": reading.device_user,
            "radio": reading.radio,
            "network": reading.network,
            "tower_latitude": reading.tower_latitude,
            "tower_longitude": reading.tower_longitude,
            "sender_id": reading.sender_id,
            "dedupe_key": dedupe_key,
            "patient_id": device.patient_id,
            "practice_id": device.practice_id,
            "tenant_id": device.tenant_id,
        }

    if rows:
        endpoints = endpoints_wanting(company, EventType.DEVICE_MEASUREMENT, enabled_endpoints)
        _store(company, rows, devices, endpoints, outcomes)
        stored = Counter(rows[i]["kind"] for i in rows if outcomes[i].status == "created")
        for kind, count in stored.items():
            metrics.READINGS_STORED.labels(kind).inc(count)
    for index, first in copies:  # a second copy in the same batch is a duplicate of the first
        outcomes[index] = Outcome(index, "duplicate", id=outcomes[first].id)
    return [outcomes[i] for i in sorted(outcomes)]


def _store(
    company: Company,
    rows: dict[int, dict[str, Any]],
    devices: dict[int, Resolved],
    endpoints: list[WebhookEndpoint],
    outcomes: dict[int, Outcome],
) -> None:
    """Write the rows, one path per database, and what follows from the new ones: the first
    reading's activation, the HWI devices' times and statuses, alerts, the webhook events.

    Most batches need none of that but the events (active devices, no Tenovi enrolment, no
    alert rule in reach): on PostgreSQL they are then one statement, atomic on its own without
    a transaction to open and commit around it, that inserts the readings and widens their
    devices' times; for up to ``RENDERED_AHEAD`` rows, to endpoints whose events can be
    rendered before their readings are stored (``renders_ahead``), it also writes the events of
    the new ones with their deliveries, rendered beforehand for every row. Otherwise the
    readings' insert runs inside the transaction that writes the rest, and only the new
    readings are rendered."""
    preactive = {
        devices[i].device.pk for i in rows if devices[i].device.billing_status == PREACTIVE
    }
    enrolled = {devices[i].device.pk for i in rows if devices[i].enrolled}
    checks = [c for c in (s(company, list(rows.values())) for s in _screens()) if c is not None]
    nothing_follows = not (preactive or enrolled or checks)
    if connection.vendor == "postgresql" and nothing_follows:
        if not endpoints:
            _sort_out(rows, _insert_and_widen(rows), outcomes)
            return
        if len(rows) <= RENDERED_AHEAD and renders_ahead(endpoints):
            announced = _announcement(company, rows, list(rows), devices, endpoints)
            _sort_out(rows, _insert_and_widen(rows, announced), outcomes)
            return
    with transaction.atomic():
        mine = _sort_out(rows, _write(rows), outcomes)
        if not mine:
            return
        for check in checks:  # alert evaluation, on the readings that went in
            check([rows[i] for i in mine])
        activated = _activate(preactive & {rows[i]["device_id"] for i in mine})
        if endpoints:  # a reading nobody subscribes to needs no event: its row is its record
            write(_announcement(company, rows, mine, devices, endpoints))
        # HWI devices (enrolments) bound to these devices: last_measurement, and Connected at
        # the first reading
        spans: dict[Any, list[datetime]] = defaultdict(list)
        for index in mine:
            if rows[index]["device_id"] in enrolled:
                spans[rows[index]["device_id"]].append(rows[index]["measured_at"])
        if spans:
            note_measurements(company, spans)
        if activated:
            refreshed = Device.objects.filter(pk__in=activated).select_related("model", "patient")
            publish(
                company, EventType.DEVICE_BILLING_STATUS_CHANGED, [(d.pk, d) for d in refreshed]
            )


def _announcement(
    company: Company,
    rows: dict[int, dict[str, Any]],
    indexes: list[int],
    devices: dict[int, Resolved],
    endpoints: list[WebhookEndpoint],
) -> Outbox:
    """The events of the rows at ``indexes`` and their deliveries to ``endpoints``, rendered."""

    def measurements() -> list[Measurement]:
        built = []
        for index in indexes:
            measurement = Measurement(**rows[index])
            measurement.device = devices[index].device
            measurement.patient = devices[index].device.patient
            built.append(measurement)
        return built

    return render(
        company,
        EventType.DEVICE_MEASUREMENT,
        [rows[i]["id"] for i in indexes],
        measurements,
        endpoints=endpoints,
    )


def _screens() -> list:
    """What looks at every batch before it is stored (``settings.READING_SCREENS``)."""
    return [_import(path) for path in settings.READING_SCREENS]


@cache
def _import(path: str):
    return import_string(path)


def _write(rows: dict[int, dict[str, Any]]) -> set[Any]:
    """Insert the rows that are new and widen their devices' first/last measurement times; the
    ids of the rows inserted (a row left out was a copy of one stored before)."""
    if connection.vendor == "postgresql":
        return _insert_and_widen(rows)
    ids = [r["id"] for r in rows.values()]
    MEASUREMENTS.insert_missing(list(rows.values()))
    stored = set(Measurement.objects.filter(among("id", ids)).values_list("pk", flat=True))
    spans: dict[Any, list[datetime]] = defaultdict(list)
    for row in rows.values():
        if row["id"] in stored:
            spans[row["device_id"]].append(row["measured_at"])
    _widen_times(spans)
    return stored


def _sort_out(
    rows: dict[int, dict[str, Any]], stored: set[Any], outcomes: dict[int, Outcome]
) -> list[int]:
    """Each row's outcome: created if it went in (its id is among ``stored``), else a duplicate
    of the reading stored before, by an earlier request or a concurrent one. The indexes of
    the rows created."""
    known = {i: row for i, row in rows.items() if row["id"] not in stored}
    if known:
        twins = {
            (device_id, key): pk
            for device_id, key, pk in Measurement.objects.filter(
                among("device_id", {r["device_id"] for r in known.values()}),
                among("dedupe_key", {r["dedupe_key"] for r in known.values()}),
            ).values_list("device_id", "dedupe_key", "id")
        }
        for index, row in known.items():
            twin = twins.get((row["device_id"], row["dedupe_key"]))
            outcomes[index] = Outcome(index, "duplicate", id=str(twin) if twin else None)
    mine = [i for i in rows if i not in known]
    for index in mine:
        outcomes[index] = Outcome(index, "created", id=str(rows[index]["id"]))
    return mine


def _insert_and_widen(rows: dict[int, dict[str, Any]], announced: Outbox | None = None) -> set[Any]:
    """PostgreSQL: the rows and their devices' times in one statement (a data-modifying
    ``WITH``), whatever the batch's size (``Table.insert_sql`` picks how the rows travel), and
    the events and deliveries ``announced`` of the rows that went in, waking the workers.
    Concurrent batches for one device cannot move its times backwards: LEAST/GREATEST run in
    SQL."""
    more: list[Any]
    outbox_clauses, more, wake_sql = "", [], "NULL"
    if announced is not None:
        clauses, more, wake_sql = outbox_sql(announced, "SELECT id::text FROM stored")
        outbox_clauses = f", {clauses}"
    insert, params = MEASUREMENTS.insert_sql(
        list(rows.values()),
        skip_conflicts=True,
        returning=("id", "device_id", "measured_at"),
        budget=CACHED_STATEMENT_PARAMS - len(more),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""WITH stored AS ({insert}),
                spans AS (
                    SELECT device_id AS id, min(measured_at) AS f, max(measured_at) AS l
                    FROM stored GROUP BY device_id
                ),
                widened AS ({_WIDEN_POSTGRESQL}){outbox_clauses}
            SELECT id, {wake_sql} FROM stored""",  # noqa: S608 - names from _meta, values as parameters
            params + more,
        )
        return {pk for (pk, _) in cursor.fetchall()}


def _activate(candidates: set[Any]) -> list:
    """Move the devices still preactive among ``candidates`` to active; their ids. The rows are
    locked and read again, so of two concurrent first readings only one activates."""
    if not candidates:
        return []
    preactive = Device.objects.filter(
        pk__in=candidates, billing_status=PREACTIVE
    ).select_for_update(of=("self",))
    ids = list(preactive.values_list("pk", flat=True))
    if ids:
        Device.objects.filter(pk__in=ids).update(
            billing_status=Device.BillingStatus.ACTIVE, updated_at=timezone.now()
        )
    return ids


def _widen_times(spans: dict[Any, list[datetime]]) -> None:
    """Widen each device's first/last measurement times (the portable form of the widening in
    :func:`_insert_and_widen`). LEAST/GREATEST run in SQL, so concurrent batches for the same
    device cannot overwrite each other's times."""
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


# The widening as SQL, against the relation ``spans`` of (device id, first, last).
_WIDEN_POSTGRESQL = f"""UPDATE {Device._meta.db_table} AS d
    SET first_measurement_at = LEAST(COALESCE(d.first_measurement_at, v.f), v.f),
        last_measurement_at = GREATEST(COALESCE(d.last_measurement_at, v.l), v.l)
    FROM spans AS v WHERE d.id = v.id"""  # noqa: S608 - the table name is the model's own
