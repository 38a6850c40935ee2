"""How Tenovi writes the core's objects: the HWI device, device types, measurements (as the
webhook and the measurement endpoints carry them), fulfilment webhooks, properties and
replacements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pulsebridge.devices.hardware import StatusChange
from pulsebridge.devices.models import Device, DeviceModel, Enrolment, EnrolmentProperty
from pulsebridge.fulfillment.models import Order
from pulsebridge.readings.models import Measurement
from pulsebridge.readings.units import c_to_f, kg_to_lb, tidy


def timestamp(value: datetime | None) -> str:
    """``2024-08-24T14:15:22Z``; the document's example writes an absent time as ``""``."""
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ----------------------------------------------------------------------------- fulfilment

SHIPPING_STATUS = {
    Order.Status.SHIPPED: "SH",
    Order.Status.DELIVERED: "DE",
    Order.Status.RETURNED: "RE",
    Order.Status.CANCELLED: "CA",
}


def shipping_status(order: Order) -> str:
    """Tenovi's two-letter codes: RQ requested (we ship), PE pending (the client ships), SH, DE,
    RE, CA."""
    if order.status == Order.Status.AWAITING_SHIPMENT:
        return "PE" if order.client_will_fulfill else "RQ"
    return SHIPPING_STATUS[order.status]


def fulfillment_request(order: Order | None) -> dict[str, Any] | None:
    if order is None:
        return None
    return {
        "created": timestamp(order.placed_at),
        "shipping_status": shipping_status(order),
        "shipping_name": order.shipping_name,
        "shipping_address": order.address1,
        "shipping_city": order.city,
        "shipping_state": order.state,
        "shipping_zip_code": order.postal_code,
        "shipped_on_behalf_of": order.shipped_on_behalf_of,
        "shipping_tracking_link": order.tracking_link,
        "ship_gateway_only": order.ship_gateway_only,
        "require_signature": order.require_signature,
        "shipped_on": timestamp(order.shipped_at),
        "delivered_on": timestamp(order.delivered_at),
        "requested_by": order.requested_by,
        "client_notes": order.notes_from_buyer,
        "notify_emails": ", ".join(order.notify_emails),
        "fulfilled": order.fulfilled,
        "client_will_fulfill": order.client_will_fulfill,
        "flagged_by_client": order.flagged_by_client,
    }


# ----------------------------------------------------------------------------- HWI devices


def patient(e: Enrolment) -> dict[str, Any] | None:
    p = e.patient
    if p is None:
        return None
    return {
        "external_id": p.external_id,
        "name": p.name,
        "phone_number": p.phone_number,
        "email": p.email,
        "physician": p.physician,
        "clinic_name": p.clinic_name,
        "care_manager": p.care_manager,
        "sms_opt_in": p.sms_opt_in,
    }


def hwi_device(e: Enrolment) -> dict[str, Any]:
    """The HWI device object. ``shared_hardware_uuid`` comes from the queryset annotation of the
    same name (another HWI device of the client has the same gateway or IMEI)."""
    return {
        "id": str(e.pk),
        "status": e.status,
        "connected_on": timestamp(e.connected_on),
        "unlinked_on": timestamp(e.unlinked_on),
        "last_measurement": timestamp(e.last_measurement),
        "device": {
            # The document's example shows the same id at the root and in ``device``.
            "id": str(e.pk),
            "name": e.model.name,
            "hardware_uuid": e.hardware_uuid,
            "sensor_code": e.model.sensor_code,
            "sensor_id": e.sensor_id,
            "shared_hardware_uuid": bool(getattr(e, "shared_hardware_uuid", False)),
            "created": timestamp(e.created_at),
            "meta_data": e.meta_data,
            "fulfillment_request": fulfillment_request(e.order),
        },
        "patient_id": e.patient.external_id if e.patient else None,
        "patient_phone_number": e.patient.phone_number if e.patient else None,
        "patient": patient(e),
    }


def fulfillment_webhook(change: StatusChange) -> dict[str, Any]:
    e = change.enrolment
    body = {
        "hwi_device_id": str(e.pk),
        "patient_id": e.patient.external_id if e.patient else None,
        "hardware_uuid": e.hardware_uuid,
        "sensor_code": e.model.sensor_code,
        "device_name": e.model.name,
        "status": e.status,
        "tracking_link": e.order.tracking_link if e.order else "",
    }
    if change.previous_hardware_uuid is not None:
        body["device_id"] = change.previous_hardware_uuid  # Tenovi: "the old Gateway ID or IMEI"
    return body


def hwi_property(p: EnrolmentProperty) -> dict[str, Any]:
    return {"id": str(p.pk), "key": p.key, "value": p.value}


# ----------------------------------------------------------------------------- device types


@dataclass(frozen=True)
class Metric:
    id: int
    name: str
    is_vital: bool
    primary_display_name: str
    primary_units: str
    secondary_display_name: str = ""
    secondary_units: str = ""

    def as_dict(self) -> dict[str, Any]:
        unified = self.primary_display_name
        if self.secondary_display_name:
            unified = f"{self.primary_display_name}/{self.secondary_display_name}"
        return {
            "id": self.id,
            "name": self.name,
            "is_vital": self.is_vital,
            "primary_display_name": self.primary_display_name,
            "primary_units": self.primary_units,
            "secondary_display_name": self.secondary_display_name,
            "secondary_units": self.secondary_units,
            "unified_display_name": unified,
            "time_series_data": False,
        }


METRICS = {
    m.name: m
    for m in [
        Metric(1, "blood_pressure", True, "Systolic BP", "mmHg", "Diastolic BP", "mmHg"),
        Metric(2, "pulse", True, "Heart Rate", "bpm"),
        Metric(3, "irregular_heartbeat", True, "Irregular Heartbeat", ""),
        Metric(4, "battery_percentage", False, "Battery Life", "%"),
        Metric(5, "spO2", True, "Oxygen Saturation", "%"),
        Metric(6, "perfusion_index", False, "Perfusion Index", "%"),
        Metric(7, "glucose", True, "Blood Glucose", "mg/dL"),
        Metric(8, "weight", True, "Weight", "lbs"),
        Metric(9, "temperature", True, "Temperature", "°F"),
        Metric(10, "peak_expiratory_flow", True, "Peak Expiratory Flow", "L/min"),
        Metric(11, "forced_expiratory_volume", True, "FEV1", "L"),
        Metric(12, "pillbox_opened", False, "Pillbox Opened", ""),
        Metric(13, "pillbox_refilled", False, "Pillbox Refilled", ""),
        Metric(14, "pillbox_refill_initiated", False, "Pillbox Refill Initiated", ""),
    ]
}

METRICS_BY_KIND = {
    "blood_pressure": ["blood_pressure", "pulse", "irregular_heartbeat", "battery_percentage"],
    "pulse_oximetry": ["spO2", "pulse", "perfusion_index", "battery_percentage"],
    "glucose": ["glucose", "battery_percentage"],
    "weight": ["weight", "battery_percentage"],
    "temperature": ["temperature", "battery_percentage"],
    "peak_flow": ["peak_expiratory_flow", "forced_expiratory_volume", "battery_percentage"],
    "pillbox": [
        "pillbox_opened",
        "pillbox_refilled",
        "pillbox_refill_initiated",
        "battery_percentage",
    ],
}


def device_type(m: DeviceModel) -> dict[str, Any]:
    return {
        "id": m.pk,
        "name": m.name,
        "sensor_code": m.sensor_code,
        "sku": m.sku,
        "modules": [],
        "supply_types": [],
        "metrics": [METRICS[name].as_dict() for name in METRICS_BY_KIND.get(m.kind, [])],
    }


# ----------------------------------------------------------------------------- measurements


def metric_values(m: Measurement) -> list[tuple[str, Any, Any, dict[str, Any]]]:
    """``(metric, value_1, value_2, filter_params)`` for each metric item of one reading, in
    Tenovi's units: mmHg, bpm, %, mg/dL, lb, °F, L/min, L."""
    v = m.values
    items: list[tuple[str, Any, Any, dict[str, Any]]] = []
    if m.kind == "blood_pressure":
        items.append(("blood_pressure", v["systolic"], v["diastolic"], {}))
        if v.get("pulse") is not None:
            items.append(("pulse", v["pulse"], None, {}))
        if v.get("irregular") == 1:  # "only sent if an irregular heartbeat is detected"
            items.append(("irregular_heartbeat", 1, None, {}))
    elif m.kind == "pulse_oximetry":
        items.append(("spO2", v["spo2"], None, {}))
        if v.get("pulse") is not None:
            items.append(("pulse", v["pulse"], None, {}))
        if v.get("perfusion_index") is not None:
            items.append(("perfusion_index", v["perfusion_index"], None, {}))
    elif m.kind == "glucose":
        params = {}
        if v.get("before_meal") is not None:
            params["meal_context"] = "pre-prandial" if v["before_meal"] else "post-prandial"
        items.append(("glucose", v["glucose"], None, params))
    elif m.kind == "weight":
        items.append(("weight", kg_to_lb(v["weight"]), None, {}))
    elif m.kind == "temperature":
        items.append(("temperature", c_to_f(v["temperature"]), None, {}))
    elif m.kind == "peak_flow":
        items.append(("peak_expiratory_flow", v["peak_flow"], None, {}))
        if v.get("fev1") is not None:
            items.append(("forced_expiratory_volume", v["fev1"], None, {}))
    elif m.kind == "pillbox":
        items.append((f"pillbox_{v.get('event', 'opened')}", 1, None, {}))
    if m.battery is not None:
        items.append(("battery_percentage", m.battery, None, {}))
    return [(name, _number(one), _number(two), params) for name, one, two, params in items]


def _number(value: Any) -> Any:
    return None if value is None else tidy(float(value))


def hardware_uuid_of(device: Device) -> str | None:
    """The gateway id of a gateway-connected sensor, else the unit's IMEI."""
    if device.gateway_id is not None:
        return device.gateway.serial
    return device.imei or device.serial


def measurement_items(
    m: Measurement, enrolment: Enrolment | None, *, metric: str | None = None
) -> list[dict[str, Any]]:
    """The metric items of one reading, shaped like the measurement webhook."""
    device = m.device
    common = {
        "device_name": device.model.name,
        "hwi_device_id": str(enrolment.pk) if enrolment is not None else None,
        "patient_id": m.patient.external_id if m.patient_id else None,
        "hardware_uuid": hardware_uuid_of(device),
        "sensor_code": device.model.sensor_code,
    }
    out = []
    for name, one, two, params in metric_values(m):
        if metric is not None and name != metric:
            continue
        out.append(
            {
                "metric": name,
                **common,
                "value_1": one,
                "value_2": two,
                "created": timestamp(m.received_at),
                "timestamp": timestamp(m.measured_at),
                "timezone_offset": 0,  # times are UTC; devices do not report their zone
                "estimated_timestamp": False,
                "filter_params": params,
            }
        )
    return out


# ----------------------------------------------------------------------------- webhooks

EVENT_NAMES = {
    "DEVICE_MEASUREMENT": "MEASUREMENT",
    "ENROLMENT_STATUS_CHANGED": "FULFILLMENT",
    "ORDER_STATUS_CHANGED": "SPECIAL_ORDER",
}


def webhook(e) -> dict[str, Any]:
    """A Tenovi webhook: its ``event`` is the one event type the endpoint subscribes to."""
    event = next((EVENT_NAMES[t] for t in e.event_types if t in EVENT_NAMES), "MEASUREMENT")
    return {
        "id": str(e.pk),
        "created": timestamp(e.created_at),
        "modified": timestamp(e.modified_at),
        "endpoint": e.url,
        "auth_header": e.auth_header,
        "auth_key": e.auth_key,
        "event": event,
        "post_as_array": e.post_as_array,
        "enabled_by_default": e.enabled_by_default,
    }


# ----------------------------------------------------------------------------- replacements

REPLACEMENT_STATUS = {
    Order.Status.AWAITING_SHIPMENT: "Pending",
    Order.Status.SHIPPED: "Shipped",
    Order.Status.DELIVERED: "Delivered",
    Order.Status.RETURNED: "Returned",
    Order.Status.CANCELLED: "Cancelled",
}


def replacement(r) -> dict[str, Any]:
    order = r.order
    names = []
    enrolment = r.enrolment
    if r.replace_device and enrolment is not None:
        names.append({"name": enrolment.model.name})
    if r.replace_gateway:
        names.append({"name": "Gateway"})
    return {
        "id": str(r.pk),
        "created": timestamp(r.created_at),
        "hwi_device_id": str(r.enrolment_id) if r.enrolment_id else None,
        "device_types": names,
        "old_hardware_uuid": r.old_hardware_uuid,
        "new_hardware_uuid": r.new_hardware_uuid or None,
        "status": REPLACEMENT_STATUS[order.status],
        "shipping_status": shipping_status(order),
        "shipping_name": order.shipping_name,
        "shipping_address": order.address1,
        "shipping_city": order.city,
        "shipping_state": order.state,
        "shipping_zip_code": order.postal_code,
        "notify_emails": ", ".join(order.notify_emails),
        "shipping_tracking_link": order.tracking_link,
        "shipped_on": timestamp(order.shipped_at),
        "delivered_on": timestamp(order.delivered_at),
        "fulfilled": order.fulfilled,
        "client_will_fulfill": order.client_will_fulfill,
    }


# ----------------------------------------------------------------------------- special orders

SPECIAL_ORDER_STATUS = {
    Order.Status.AWAITING_SHIPMENT: "Pending",
    Order.Status.SHIPPED: "Shipped",
    Order.Status.DELIVERED: "Delivered",
    Order.Status.RETURNED: "Returned",
    Order.Status.CANCELLED: "Cancelled",
}


def special_order(order: Order, *, replacement_of: Enrolment | None) -> dict[str, Any]:
    """Tenovi's Special/Bulk Order webhook: replacement orders (RE) and orders placed through
    another API (a Pylo order: BU, bulk)."""
    lines = list(order.lines.all())
    gateway_ids = [i for ln in lines if ln.model.kind == "gateway" for i in ln.imeis]
    imeis = [i for ln in lines if ln.model.kind != "gateway" for i in ln.imeis]
    return {
        "request_id": str(order.pk),
        "order_number": order.number,
        "order_type": "RE" if replacement_of is not None or _is_replacement(order) else "BU",
        "hardware_uuid": replacement_of.hardware_uuid if replacement_of is not None else None,
        "client_device_id": str(replacement_of.pk) if replacement_of is not None else None,
        "patient_id": order.patient.external_id if order.patient else None,
        "status": SPECIAL_ORDER_STATUS[order.status],
        "created_on": _micro(order.placed_at),
        "updated_on": _micro(_updated(order)),
        "tracking_link": order.tracking_link,
        "contents": [
            {"name": ln.model.name, "quantity": ln.quantity, "kit_id": None} for ln in lines
        ],
        "manifest": {"gateway_ids": gateway_ids, "imeis": imeis},
    }


def _is_replacement(order: Order) -> bool:
    return hasattr(order, "replacement")


def _updated(order: Order) -> datetime:
    times = [
        order.placed_at,
        order.shipped_at,
        order.delivered_at,
        order.returned_at,
        order.cancelled_at,
    ]
    return max(t for t in times if t is not None)


def _micro(value: datetime) -> str:
    """The special order webhook writes ``YYYY-MM-DDTHH:MM:SS.ssssssZ``."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
