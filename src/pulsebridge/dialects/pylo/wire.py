"""How Pylo writes the core's objects: field names, order, units and absent values exactly as
the document's examples show them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

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
    """``2021-02-23T22:06:00.000Z``; absent times are the empty string."""
    if value is None:
        return ""
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


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
    v = m.values
    pairs: list[tuple[str, Any]]
    if m.kind == "blood_pressure":
        pairs = [("diastolic", v["diastolic"]), ("systolic", v["systolic"])]
        if v.get("pulse") is not None:
            pairs.append(("pulse", v["pulse"]))
        pairs.append(("irregular", v.get("irregular", 0)))
    elif m.kind == "weight":
        pairs = [("weight", kg_to_lb(v["weight"]))]
    elif m.kind == "glucose":
        pairs = [("glucose", v["glucose"])]
        if v.get("before_meal") is not None:
            pairs.append(("before_meal", v["before_meal"]))
    elif m.kind == "pulse_oximetry":
        pairs = [("spo2", v["spo2"]), ("pulse", v["pulse"])]
        if v.get("perfusion_index") is not None:
            pairs.append(("perfusion_index", v["perfusion_index"]))
    elif m.kind == "temperature":
        pairs = [("temperature", c_to_f(v["temperature"]))]
    elif m.kind == "peak_flow":
        pairs = [("peak_flow", v["peak_flow"])]
        if v.get("fev1") is not None:
            pairs.append(("fev1", v["fev1"]))
    else:  # pillbox: the event name is the value
        return [{"Value": v.get("event", ""), "Type": "event"}]
    return [{"Value": tidy(float(value)), "Type": name} for name, value in pairs]


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


def webhook_reading(m: Measurement) -> dict[str, Any]:
    """A measurement as the webhook ``data`` object carries it (no InsertedAt, no TenantId)."""
    common = _common(m)
    return {k: common[k] for k in WEBHOOK_KEYS if k in common}


def order(o: Order) -> dict[str, Any]:
    lines = list(o.lines.all())
    return {
        "address3": o.address3,
        "last_name_recipient": o.recipient_last_name,
        "email_recipient": o.recipient_email,
        "devices": [
            {"sku": line.model.sku, "quantity": str(line.quantity), "imeis": list(line.imeis)}
            for line in lines
        ],
        "first_name_recipient": o.recipient_first_name,
        "order_notes_from_buyer": o.notes_from_buyer,
        "phone_recipient": o.recipient_phone,
        "state": o.state,
        "postal_code": o.postal_code,
        "date_placed": order_time(o.placed_at),
        "city": o.city,
        "require_signature": "yes" if o.require_signature else "no",
        "confirmation": o.confirmation,
        "order_requested_shipping_service": o.requested_service,
        "order_number": o.number,
        "company_recipient": o.recipient_company,
        "country_code": o.country_code,
        "address1": o.address1,
        "patient_id": o.patient.external_id if o.patient else "",
        "practice_id": o.practice_id,
        "address2": o.address2,
        "date_order_processed": order_time(o.processed_at),
        "order_status": ORDER_STATUS[o.status],
        "ship_date": o.shipped_at.strftime("%Y-%m-%d") if o.shipped_at else "",
        "carrier_code": o.carrier_code,
        "service_code": o.service_code,
        "tracking_number": o.tracking_number,
    }
