"""How Pylo writes the core's objects: field names, order, units and absent values exactly as
the document's examples show them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from django.db.models import DateTimeField, Func, QuerySet, TextField
from django.db.models.functions import Cast

from pulsebridge.devices.models import Device
from pulsebridge.fulfillment.models import Order
from pulsebridge.readings.models import Measurement
from pulsebridge.readings.units import c_to_f, kg_to_lb, tidy

MEASUREMENT_TYPES = {
    "blood_pressure": "Blood Pressure",
    "weight": "Weight",
    "glucose": "Blood Glucose",
    "pulse_oximetry": "Pulse Oximetry",
    "temperature": "Temperature",
    "peak_flow": "Peak Flow",
    "pillbox": "Pillbox",
}
KIND_BY_READING_TYPE = {name.lower(): kind for kind, name in MEASUREMENT_TYPES.items()}

# Pylo has no delivered or returned state: once it left the warehouse it is "shipped".
ORDER_STATUS = {
    Order.Status.AWAITING_SHIPMENT: "awaiting_shipment",
    Order.Status.SHIPPED: "shipped",
    Order.Status.DELIVERED: "shipped",
    Order.Status.RETURNED: "shipped",
    Order.Status.CANCELLED: "cancelled",
}


def timestamp(value: datetime | None) -> str:
    """``2021-02-23T22:06:00.000Z``; absent times are the empty string.

    ``isoformat`` cuts to milliseconds as the ``strftime`` it replaces did and costs half as
    much (a page writes two per reading); ``strftime`` does not pad years before 1000."""
    if value is None:
        return ""
    if value.year < 1000:
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return value.isoformat(timespec="milliseconds")[:23] + "Z"


def order_time(value: datetime | None) -> str:
    """Orders write ``2021-04-20 05:57:22``."""
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


def device(d: Device) -> dict[str, Any]:
    return {
        "device_imei": d.imei or "",
        "device_sim": d.sim_iccid,
        "device_id": d.serial,
        "device_type": d.model.pylo_device_type,
        "patient_id": d.patient.external_id if d.patient else "",
        "practice_id": d.practice_id,
        "billing_status": d.billing_status,
        "first_measurement_timestamp": timestamp(d.first_measurement_at),
        "last_measurement_timestamp": timestamp(d.last_measurement_at),
        "order_number": d.order.number if d.order else "",
    }


def values(m: Measurement) -> list[dict[str, Any]]:
    return values_of(m.kind, m.values)


def _number(value: Any) -> float | int:
    """A value as Pylo writes it: ints as they are (most readings), else ``tidy``."""
    return value if type(value) is int else tidy(float(value))


def values_of(kind: str, v: dict[str, Any]) -> list[dict[str, Any]]:
    # Written out kind by kind: a page writes 1000 of these, and building (name, value) pairs
    # first cost a tenth of the page.
    if kind == "blood_pressure":
        out = [
            {"Value": _number(v["diastolic"]), "Type": "diastolic"},
            {"Value": _number(v["systolic"]), "Type": "systolic"},
        ]
        if (pulse := v.get("pulse")) is not None:
            out.append({"Value": _number(pulse), "Type": "pulse"})
        out.append({"Value": _number(v.get("irregular", 0)), "Type": "irregular"})
        return out
    if kind == "weight":
        return [{"Value": _number(kg_to_lb(v["weight"])), "Type": "weight"}]
    if kind == "glucose":
        out = [{"Value": _number(v["glucose"]), "Type": "glucose"}]
        if (before_meal := v.get("before_meal")) is not None:
            out.append({"Value": _number(before_meal), "Type": "before_meal"})
        return out
    if kind == "pulse_oximetry":
        out = [
            {"Value": _number(v["spo2"]), "Type": "spo2"},
            {"Value": _number(v["pulse"]), "Type": "pulse"},
        ]
        if (perfusion := v.get("perfusion_index")) is not None:
            out.append({"Value": _number(perfusion), "Type": "perfusion_index"})
        return out
    if kind == "temperature":
        return [{"Value": _number(c_to_f(v["temperature"])), "Type": "temperature"}]
    if kind == "peak_flow":
        out = [{"Value": _number(v["peak_flow"]), "Type": "peak_flow"}]
        if (fev1 := v.get("fev1")) is not None:
            out.append({"Value": _number(fev1), "Type": "fev1"})
        return out
    # pillbox: the event name is the value
    return [{"Value": v.get("event", ""), "Type": "event"}]


def _common(m: Measurement) -> dict[str, Any]:
    d = m.device
    out = {
        "Id": str(m.pk),
        "DeviceId": d.serial,
        "DeviceImei": d.imei or "",
        "DeviceSim": d.sim_iccid,
        "DeviceType": d.model.pylo_device_type,
        "DeviceModel": d.model.sku,
        "DeviceUser": m.device_user,
        "MeasurementType": MEASUREMENT_TYPES[m.kind],
        "BatteryPercentage": m.battery,
        "MeasuredAt": timestamp(m.measured_at),
        "InsertedAt": timestamp(m.received_at),
        "PatientId": m.patient.external_id if m.patient else "",
        "PracticeId": m.practice_id,
        "TenantId": m.tenant_id,
        "Values": values(m),
        "RadioAccessTechnology": m.radio,
        "NetworkName": m.network,
        "TowerLongitude": m.tower_longitude,
        "TowerLatitude": m.tower_latitude,
    }
    # "if applicable": a device without a radio reading has no signal strength to report
    if m.signal is not None:
        out["SignalStrengthPercentage"] = m.signal
    return out


READING_KEYS = [
    "DeviceUser", "MeasurementType", "DeviceId", "MeasuredAt", "BatteryPercentage", "DeviceModel",
    "DeviceType", "InsertedAt", "DeviceSim", "Id", "DeviceImei", "SignalStrengthPercentage",
    "PatientId", "PracticeId", "TenantId", "Values", "RadioAccessTechnology", "NetworkName",
    "TowerLongitude", "TowerLatitude",
]  # fmt: skip
WEBHOOK_KEYS = [
    "Id", "DeviceId", "DeviceImei", "DeviceSim", "DeviceType", "DeviceModel", "DeviceUser",
    "MeasurementType", "BatteryPercentage", "SignalStrengthPercentage", "MeasuredAt", "Values",
    "PatientId", "PracticeId", "RadioAccessTechnology", "NetworkName", "TowerLongitude",
    "TowerLatitude",
]  # fmt: skip


def reading(m: Measurement) -> dict[str, Any]:
    """A measurement as the Readings service answers it."""
    common = _common(m)
    return {k: common[k] for k in READING_KEYS if k in common}


class NaiveUTC(Func):
    """On PostgreSQL, a time in UTC without its zone (``AT TIME ZONE 'UTC'``): psycopg loads
    that type in C, where Django's loader for times with a zone is pure Python and a noticeable
    share of a page's time with 2000 times (docs/performance.md, "Figures from the code"). Cheap
    enough to compute on every row a sorted plan reads (formatting the text in SQL was not, on
    the deep page). Other databases: the column."""

    template = "%(expressions)s"
    output_field = DateTimeField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, template="(%(expressions)s AT TIME ZONE 'UTC')", **extra_context
        )


# What ``readings`` takes: the rows of ``reading_rows``, and ``values_list(*DEVICE_COLUMNS)`` of
# their devices.
READING_COLUMNS = (
    "id", "device_id", "patient_id", "kind", "measured", "inserted", "values_text", "battery",
    "signal", "device_user", "practice_id", "tenant_id", "radio", "network", "tower_longitude",
    "tower_latitude",
)  # fmt: skip
DEVICE_COLUMNS = ("pk", "serial", "imei", "sim_iccid", "model__pylo_device_type", "model__sku")


def reading_rows(measurements: QuerySet) -> QuerySet:
    """``measurements`` as the plain rows that ``readings`` writes."""
    # The values as JSON text, parsed by orjson: Django's JSONField parses them with the standard
    # library's decoder, a sixth of a page's time.
    return measurements.annotate(
        measured=NaiveUTC("measured_at"),
        inserted=NaiveUTC("received_at"),
        values_text=Cast("values", TextField()),
    ).values_list(*READING_COLUMNS)


def related_ids(rows: list[tuple]) -> tuple[set, set]:
    """The pks of the devices and of the patients of ``reading_rows``, each once.

    Here and in ``readings``, pks are matched by their ``int``: UUID's ``__hash__`` and
    ``__eq__`` are Python code, and a page matches 1000 rows' two pks twice."""
    devices, patients = {}, {}
    for row in rows:
        devices[row[1].int] = row[1]
        if row[2] is not None:
            patients[row[2].int] = row[2]
    return set(devices.values()), set(patients.values())


def reading_position(row: tuple) -> tuple[datetime, Any]:
    """A row's place in the ``(measured_at, id)`` order, for the next page's cursor."""
    measured = row[4]
    if measured.tzinfo is None:  # NaiveUTC
        measured = measured.replace(tzinfo=UTC)
    return measured, row[0]


_NO_DEVICE = ("", "", "", "", "")


def readings(
    rows: list[tuple], devices: list[tuple], patients: dict[Any, str]
) -> list[dict[str, Any]]:
    """What ``reading`` writes, for a page of rows: a page holds 1000 readings of a few devices,
    so a device's parts are written once, not once per reading, and no model instances are
    built (with their prefetched relations, a large share of a page's time: docs/performance.md).
    ``patients`` maps a
    patient's pk to its external id."""
    parts = {
        pk.int: (serial, imei or "", sim, device_type, sku)
        for pk, serial, imei, sim, device_type, sku in devices
    }
    external_ids = {pk.int: external_id for pk, external_id in patients.items()}
    kinds = MEASUREMENT_TYPES
    out = []
    for (
        pk, device_id, patient_id, kind, measured_at, received_at, v, battery, signal,
        device_user, practice_id, tenant_id, radio, network, longitude, latitude,
    ) in rows:  # fmt: skip
        # a device or patient deleted since the page's rows were read: written without it
        serial, imei, sim, device_type, sku = parts.get(device_id.int, _NO_DEVICE)
        m = {
            "DeviceUser": device_user,
            "MeasurementType": kinds[kind],
            "DeviceId": serial,
            "MeasuredAt": timestamp(measured_at),
            "BatteryPercentage": battery,
            "DeviceModel": sku,
            "DeviceType": device_type,
            "InsertedAt": timestamp(received_at),
            "DeviceSim": sim,
            "Id": str(pk),
            "DeviceImei": imei,
        }
        if signal is not None:  # as in _common
            m["SignalStrengthPercentage"] = signal
        m["PatientId"] = external_ids.get(patient_id.int, "") if patient_id is not None else ""
        m["PracticeId"] = practice_id
        m["TenantId"] = tenant_id
        m["Values"] = values_of(kind, orjson.loads(v))
        m["RadioAccessTechnology"] = radio
        m["NetworkName"] = network
        m["TowerLongitude"] = longitude
        m["TowerLatitude"] = latitude
        out.append(m)
    return out


def webhook_reading(m: Measurement) -> dict[str, Any]:
    """A measurement as the webhook ``data`` object carries it (no InsertedAt, no TenantId)."""
    common = _common(m)
    return {k: common[k] for k in WEBHOOK_KEYS if k in common}


# The columns an order is written from: a page reads them as plain rows (building 1,000 Order
# instances of 50 fields, and their lines', was most of a page's time).
ORDER_COLUMNS = (
    "pk", "number", "status", "placed_at", "processed_at", "shipped_at", "patient_id",
    "practice_id", "address1", "address2", "address3", "city", "state", "postal_code",
    "country_code", "recipient_first_name", "recipient_last_name", "recipient_email",
    "recipient_phone", "recipient_company", "notes_from_buyer", "require_signature",
    "confirmation", "requested_service", "carrier_code", "service_code", "tracking_number",
)  # fmt: skip
LINE_COLUMNS = ("order_id", "model__sku", "quantity", "imeis")


def order_position(row: tuple) -> tuple[datetime, Any]:
    """A row of ``ORDER_COLUMNS``'s ``(placed_at, pk)``, for the cursor."""
    return row[3], row[0]


def order_page(rows: list[tuple]) -> list[dict[str, Any]]:
    """The orders of a page of ``ORDER_COLUMNS`` rows: their lines and patients in one query
    each."""
    from pulsebridge.devices.models import Patient
    from pulsebridge.fulfillment.models import OrderLine

    ids = [row[0] for row in rows]
    lines: dict[Any, list[dict[str, Any]]] = {pk: [] for pk in ids}
    if ids:
        for order_id, sku, quantity, imeis in (
            OrderLine.objects.filter(order_id__in=ids).order_by("id").values_list(*LINE_COLUMNS)
        ):
            lines[order_id].append({"sku": sku, "quantity": str(quantity), "imeis": list(imeis)})
    patient_ids = {row[6] for row in rows if row[6] is not None}
    patients = (
        dict(Patient.objects.filter(pk__in=patient_ids).values_list("pk", "external_id"))
        if patient_ids
        else {}
    )
    return [_order(row, lines[row[0]], patients.get(row[6], "")) for row in rows]


def order(o: Order) -> dict[str, Any]:
    row = tuple(getattr(o, name) for name in ORDER_COLUMNS)
    lines = [
        {"sku": line.model.sku, "quantity": str(line.quantity), "imeis": list(line.imeis)}
        for line in o.lines.all()
    ]
    return _order(row, lines, o.patient.external_id if o.patient else "")


def _order(row: tuple, lines: list[dict[str, Any]], patient_external_id: str) -> dict[str, Any]:
    (
        _pk, number, status, placed_at, processed_at, shipped_at, _patient_id, practice_id,
        address1, address2, address3, city, state, postal_code, country_code, first_name,
        last_name, email, phone, company, notes, require_signature, confirmation, service,
        carrier_code, service_code, tracking_number,
    ) = row  # fmt: skip
    return {
        "address3": address3,
        "last_name_recipient": last_name,
        "email_recipient": email,
        "devices": lines,
        "first_name_recipient": first_name,
        "order_notes_from_buyer": notes,
        "phone_recipient": phone,
        "state": state,
        "postal_code": postal_code,
        "date_placed": order_time(placed_at),
        "city": city,
        "require_signature": "yes" if require_signature else "no",
        "confirmation": confirmation,
        "order_requested_shipping_service": service,
        "order_number": number,
        "company_recipient": company,
        "country_code": country_code,
        "address1": address1,
        "patient_id": patient_external_id,
        "practice_id": practice_id,
        "address2": address2,
        "date_order_processed": order_time(processed_at),
        "order_status": ORDER_STATUS[status],
        "ship_date": shipped_at.strftime("%Y-%m-%d") if shipped_at else "",
        "carrier_code": carrier_code,
        "service_code": service_code,
        "tracking_number": tracking_number,
    }
