"""How Tenovi writes the core's objects, field by field as the definitions of Tenovi's Swagger
(``tenovi-hwi-swagger.json``) declare them: the HWI device, device types, measurements (as the
webhook and the measurement endpoints carry them), fulfilment webhooks, properties, webhooks,
replacements, patients, gateways, hardware id logs and bulk orders.

Types as declared: a ``format: decimal`` string is a JSON string (``"128.00"``), ids declared as
UUIDs are UUIDs, a field not marked ``x-nullable`` is never null (an absent string is ``""``),
and every time is ``YYYY-MM-DDTHH:MM:SS.ffffffZ``, so a parser of ``%Y-%m-%dT%H:%M:%S.%fZ``
reads each one."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pulsebridge.devices.hardware import StatusChange
from pulsebridge.devices.models import (
    Assignment,
    DeviceModel,
    Enrolment,
    EnrolmentProperty,
    HardwareUuidLog,
    Patient,
    Replacement,
)
from pulsebridge.fulfillment.models import Order
from pulsebridge.readings.models import Measurement
from pulsebridge.readings.units import c_to_f, kg_to_lb

# The one property Pulsebridge itself acts on: a device's readings go to that webhook only.
MEASUREMENT_WEBHOOK_KEY = "measurement_webhook_id"
HANDLED_PROPERTIES = frozenset({MEASUREMENT_WEBHOOK_KEY})


def time(value: datetime) -> str:
    """``2024-05-23T20:51:29.211103Z``: always six digits of fractional seconds."""
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def time_or_none(value: datetime | None) -> str | None:
    return None if value is None else time(value)


CENT = Decimal("0.01")


def decimal(value: Any) -> str:
    """``"100.00"``: Tenovi's "2-decimal point string"; an absent value is ``"0.00"``, as the
    reference's example writes a secondary value that does not apply."""
    if value is None:
        return "0.00"
    return str(Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP))


def _text_or_none(value: str) -> str | None:
    """A nullable text that must not be empty when given (``minLength: 1``)."""
    return value or None


# ----------------------------------------------------------------------------- fulfilment

# Where an order stands, in each of Tenovi's two sets of codes.
STAGE_CODES = {
    Order.Stage.READY_TO_SHIP: "RS",
    Order.Stage.ON_HOLD: "OH",
    Order.Stage.CLIENT_ACTION_REQUIRED: "CR",
}
DONE_CODES = {
    Order.Status.SHIPPED: "SH",
    Order.Status.DELIVERED: "DE",
    Order.Status.RETURNED: "RE",
    Order.Status.CANCELLED: "CA",
}


def device_shipping_status(order: Order) -> str:
    """A device's fulfilment request (enum PE, CR, OH, RS, SH, DE, DI, CN, RE, CA): PE while it
    waits, whoever ships it."""
    if order.status == Order.Status.AWAITING_SHIPMENT:
        return STAGE_CODES.get(order.stage, "PE")
    return DONE_CODES[order.status]


def order_shipping_status(order: Order) -> str:
    """Replacements and bulk orders (enum DR, RQ, PE, CR, OH, RS, SH, DE, RE, CA): RQ requested
    (we ship), PE pending (the client ships)."""
    if order.status == Order.Status.AWAITING_SHIPMENT:
        return STAGE_CODES.get(order.stage, "PE" if order.client_will_fulfill else "RQ")
    return DONE_CODES[order.status]


def notify_emails(order: Order) -> str:
    return ",".join(order.notify_emails)


def fulfillment_request(order: Order | None, *, duplicate: bool = False) -> dict[str, Any] | None:
    if order is None:
        return None
    return {
        "created": time(order.placed_at),
        "shipping_status": device_shipping_status(order),
        "shipping_name": order.shipping_name,
        "shipping_address": order.address1,
        "shipping_city": order.city,
        "shipping_state": order.state,
        "shipping_zip_code": order.postal_code,
        "shipped_on_behalf_of": order.shipped_on_behalf_of,
        "shipping_tracking_link": order.tracking_link or None,
        "ship_gateway_only": order.ship_gateway_only,
        "require_signature": order.require_signature,
        "shipped_on": time_or_none(order.shipped_at),
        "delivered_on": time_or_none(order.delivered_at),
        "requested_by": _text_or_none(order.requested_by),
        "client_notes": order.notes_from_buyer,
        "notify_emails": notify_emails(order),
        "fulfilled": order.fulfilled,
        "client_will_fulfill": order.client_will_fulfill,
        "flagged_by_client": order.flagged_by_client,
        "invalid_address": "",  # addresses are not verified here
        "duplicate_device_at_address": duplicate,
    }


# ----------------------------------------------------------------------------- HWI devices

DEVICE_TYPE_NAMESPACE = uuid.UUID("6f0b1c2e-3d4a-5b6c-8d9e-0a1b2c3d4e5f")


def device_type_id(model: DeviceModel) -> str:
    """A device type's id: a UUID, as the Swagger declares it, the same for a SKU everywhere."""
    return str(uuid.uuid5(DEVICE_TYPE_NAMESPACE, model.sku))


def hwi_patient(p: Patient | None) -> dict[str, Any] | None:
    """The patient as an HWI device names it (``HwiPatient``)."""
    if p is None:
        return None
    return {
        "external_id": p.external_id,
        "name": p.name,
        "phone_number": p.phone_number,
        "email": p.email or None,
        "physician": p.physician,
        "clinic_name": p.clinic_name,
        "care_manager": p.care_manager,
        "sms_opt_in": p.sms_opt_in,
    }


def hwi_device(e: Enrolment) -> dict[str, Any]:
    """The HWI device object. ``shared_hardware_uuid`` and ``duplicate_at_address`` come from
    the queryset's annotations of those names (``views.hwi_devices``)."""
    return {
        "id": str(e.pk),
        "hwi_device_id": str(e.pk),
        "status": e.status,
        "connected_on": time_or_none(e.connected_on),
        "unlinked_on": time_or_none(e.unlinked_on),
        "last_measurement": time_or_none(e.last_measurement),
        "device": {
            # The guide's example shows the same id at the root and in ``device``.
            "id": str(e.pk),
            "fulfillment_request": fulfillment_request(
                e.order, duplicate=bool(getattr(e, "duplicate_at_address", False))
            ),
            "created": time(e.created_at),
            "name": e.model.name,
            "hardware_uuid": e.hardware_uuid,
            "sensor_code": e.model.sensor_code,
            "sensor_id": e.sensor_id,
            "device_type": device_type_id(e.model),
            "shared_hardware_uuid": bool(getattr(e, "shared_hardware_uuid", False)),
            "model_number": e.model.sku,
            "meta_data": e.meta_data,
        },
        "patient_id": e.patient.external_id if e.patient else "",
        "patient_phone_number": e.patient.phone_number if e.patient else "",
        "patient": hwi_patient(e.patient),
    }


def fulfillment_webhook(change: StatusChange) -> dict[str, Any]:
    e = change.enrolment
    tracking_link = change.tracking_link
    if tracking_link is None and e.order is not None:
        tracking_link = e.order.tracking_link or None
    body = {
        "hwi_device_id": str(e.pk),
        "patient_id": e.patient.external_id if e.patient else "",
        "hardware_uuid": e.hardware_uuid,
        "sensor_code": e.model.sensor_code,
        "device_name": e.model.name,
        "status": e.status,
        "tracking_link": tracking_link,
    }
    if change.previous_hardware_uuid is not None:
        body["device_id"] = change.previous_hardware_uuid  # Tenovi: "the PRIOR hardware_uuid"
    return body


def hwi_property(p: EnrolmentProperty) -> dict[str, Any]:
    handled = p.key in HANDLED_PROPERTIES
    return {
        "id": str(p.pk),
        "key": p.key,
        "value": p.value,
        # nothing is pushed to a device: a property is in effect once stored
        "synced": True,
        "handle_property": handled,
    }


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
            "type": None,  # Tenovi's metric type codes are not explained anywhere public
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
        "id": device_type_id(m),
        "name": m.name,
        "client_sku": None,
        "stock_type": None,
        "metrics": [METRICS[name].as_dict() for name in METRICS_BY_KIND.get(m.kind, [])],
        "sensor_code": m.sensor_code,
        "image": None,
        # nothing is sold here: no fees
        "up_front_cost": "0.00",
        "shipping_cost": "0.00",
        "monthly_cost": "0.00",
        "sensor_id_required": False,
        "in_stock": True,
        "virtual": False,
        "deprecated": False,
        "sku": m.sku,
        "modules": [],
        "supply_types": [],
    }


# ----------------------------------------------------------------------------- measurements


def metric_values(m: Measurement) -> list[tuple[str, Any, Any, dict[str, Any]]]:
    """``(metric, value_1, value_2, filter_params)`` for each metric item of one reading, in
    Tenovi's units: mmHg, bpm, %, mg/dL, lb, °F, L/min, L."""
    v = m.values
    items = _KIND_VALUES[m.kind](v)
    if m.battery is not None:
        items.append(("battery_percentage", m.battery, None, {}))
    return [(name, decimal(one), decimal(two), params) for name, one, two, params in items]


def _blood_pressure(v):
    items = [("blood_pressure", v["systolic"], v["diastolic"], {})]
    if v.get("pulse") is not None:
        items.append(("pulse", v["pulse"], None, {}))
    if v.get("irregular") == 1:  # "only sent if an irregular heartbeat is detected"
        items.append(("irregular_heartbeat", 1, None, {}))
    return items


def _pulse_oximetry(v):
    items = [("spO2", v["spo2"], None, {})]
    if v.get("pulse") is not None:
        items.append(("pulse", v["pulse"], None, {}))
    if v.get("perfusion_index") is not None:
        items.append(("perfusion_index", v["perfusion_index"], None, {}))
    return items


def _glucose(v):
    params = {}
    if v.get("before_meal") is not None:
        params["meal_context"] = "pre-prandial" if v["before_meal"] else "post-prandial"
    return [("glucose", v["glucose"], None, params)]


def _peak_flow(v):
    items = [("peak_expiratory_flow", v["peak_flow"], None, {})]
    if v.get("fev1") is not None:
        items.append(("forced_expiratory_volume", v["fev1"], None, {}))
    return items


_KIND_VALUES = {
    "blood_pressure": _blood_pressure,
    "pulse_oximetry": _pulse_oximetry,
    "glucose": _glucose,
    "weight": lambda v: [("weight", kg_to_lb(v["weight"]), None, {})],
    "temperature": lambda v: [("temperature", c_to_f(v["temperature"]), None, {})],
    "peak_flow": _peak_flow,
    "pillbox": lambda v: [(f"pillbox_{v.get('event', 'opened')}", 1, None, {})],
}


def measurement_items(
    m: Measurement, assignment: Assignment, *, metric: str | None = None, webhook: bool = False
) -> list[dict[str, Any]]:
    """The metric items of one reading of an HWI device (``assignment``: the one in force when
    it was received, see ``devices.assignments``), shaped like the measurement webhook.

    ``created`` is when the reading was received; the webhook writes the time it was taken
    there too, as Tenovi's does "for backwards compatibility"."""
    enrolment = assignment.enrolment
    taken = time(m.measured_at)
    common = {
        "device_name": enrolment.model.name,
        "hwi_device_id": str(enrolment.pk),
        "patient_id": m.patient.external_id if m.patient_id else "",
        "hardware_uuid": assignment.hardware_uuid,
        "sensor_code": enrolment.model.sensor_code,
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
                "created": taken if webhook else time(m.received_at),
                "timestamp": taken,
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
EVENTS = {name: event_type for event_type, name in EVENT_NAMES.items()}
DEFAULT_AUTH_HEADER = "Authorization"


def webhook_event(endpoint) -> str:
    return next((EVENT_NAMES[t] for t in endpoint.event_types if t in EVENT_NAMES), "MEASUREMENT")


def webhook(e) -> dict[str, Any]:
    """A Tenovi webhook. As the Swagger says: ``auth_header`` is the header's whole value
    (``Bearer XXXXX``), ``auth_key`` its name; ``secret`` (Pulsebridge's) signs the Standard
    Webhooks ``webhook-signature`` of every delivery."""
    return {
        "id": str(e.pk),
        "created": time(e.created_at),
        "modified": time(e.modified_at),
        "endpoint": e.url,
        "auth_header": e.auth_key,
        "auth_key": e.auth_header,
        "event": webhook_event(e),
        "post_as_array": e.post_as_array,
        "enabled_by_default": e.enabled_by_default,
        "secret": e.secret,
    }


def delivery_response(endpoint, outcome) -> dict[str, str | None]:
    """What one webhook answered a test: ``ResendWebhooks``/``WebhooksTesting.responses``."""
    if outcome is None:
        return {"webhook_id": str(endpoint.pk), "endpoint": endpoint.url, "status_code": None,
                "response": None, "error": "not sent"}  # fmt: skip
    return {
        "webhook_id": str(endpoint.pk),
        "endpoint": endpoint.url,
        "status_code": str(outcome.status_code) if outcome.status_code is not None else None,
        "response": outcome.excerpt or None,
        "error": outcome.error or None,
    }


# ----------------------------------------------------------------------------- replacements

REPLACEMENT_STATUS = {
    Order.Status.AWAITING_SHIPMENT: "Pending",
    Order.Status.SHIPPED: "Shipped",
    Order.Status.DELIVERED: "Delivered",
    Order.Status.RETURNED: "Returned",
    Order.Status.CANCELLED: "Cancelled",
}


def replacement(r: Replacement) -> dict[str, Any]:
    order = r.order
    names = []
    enrolment = r.enrolment
    if r.replace_device and enrolment is not None:
        names.append({"name": enrolment.model.name})
    if r.replace_gateway:
        names.append({"name": "Gateway"})
    hwi_device_id = r.hwi_device_id or r.enrolment_id
    return {
        "id": str(r.pk),
        "device_types": names,
        "shipping_name": order.shipping_name,
        "shipping_address": order.address1,
        "shipping_city": order.city,
        "shipping_state": order.state,
        "shipping_zip_code": order.postal_code,
        "shipping_status": order_shipping_status(order),
        "notify_emails": notify_emails(order),
        "hwi_device_id": str(hwi_device_id) if hwi_device_id else "",
        "order_number": order.number,
        "fulfilled": order.fulfilled,
        "created": time(r.created_at),
        "shipped_on": time_or_none(order.shipped_at),
        "delivered_on": time_or_none(order.delivered_at),
        "shipping_tracking_link": order.tracking_link or None,
        # Pulsebridge's: what the reference's replacement object adds
        "status": REPLACEMENT_STATUS[order.status],
        "old_hardware_uuid": r.old_hardware_uuid,
        "new_hardware_uuid": r.new_hardware_uuid or None,
        "client_will_fulfill": order.client_will_fulfill,
    }


# ----------------------------------------------------------------------------- patients


def patient_details(p: Patient) -> dict[str, Any]:
    """``HwiPatientDetails``. Addresses are not verified here: a full address is Unverified
    until the client confirms it (``confirm_address``)."""
    full = all([p.address, p.city, p.state, p.zip_code])
    if not full:
        status, verified_by = "", ""
    elif p.confirm_address:
        status, verified_by = "Verified", "client"
    else:
        status, verified_by = "Unverified", ""
    return {
        "external_id": p.external_id,
        "name": p.name,
        "address": p.address,
        "city": p.city,
        "state": p.state,
        "zip_code": p.zip_code,
        "phone_number": p.phone_number,
        "email": p.email or None,
        "physician": p.physician,
        "clinic_name": p.clinic_name,
        "care_manager": p.care_manager,
        "sms_opt_in": p.sms_opt_in,
        "address_status": status,
        "address_verified_by": verified_by,
        "confirm_address": p.confirm_address,
    }


# ----------------------------------------------------------------------------- gateways


def hwi_gateway(g) -> dict[str, Any]:
    """``HwiGateways``; ``last_signal`` and ``last_reading_at`` come from the queryset's
    annotations (``views.gateways``)."""
    return {
        "gateway_uuid": g.serial,
        "last_signal_strength": g.last_signal if g.last_signal is not None else 0,
        "last_measurement": time_or_none(g.last_reading_at),
        "shipped_on": time_or_none(g.order.shipped_at if g.order_id else None),
        "assigned_on": time(g.created_at),
    }


def gateway_info(g, sensors) -> dict[str, Any]:
    """``GatewayInfo``; ``firmware_version`` and ``bootloader_version`` are left out: gateways
    do not report them here."""
    return {
        "gateway_uuid": g.serial,
        "provisioned": True,
        "last_signal_strength": g.last_signal if g.last_signal is not None else 0,
        "last_checkin_time": time_or_none(g.last_checkin_at),
        "assigned_on": time(g.created_at),
        "shipped_on": time_or_none(g.order.shipped_at if g.order_id else None),
        "whitelisted_devices": [
            {
                "sensor_code": s.model.sensor_code,
                # a sensor paired by its gateway id and code has no MAC of its own here
                "mac_address": s.mac or s.serial,
                "whitelist_status": "CO" if s.first_measurement_at else "RE",
                "created": time(s.created_at),
                "modified": time(max(filter(None, [s.created_at, s.last_measurement_at]))),
            }
            for s in sensors
        ],
        "properties": [],
    }


def hardware_log(log: HardwareUuidLog) -> dict[str, Any]:
    return {
        "id": str(log.pk),
        "created": time(log.created_at),
        "modified": time(log.created_at),
        "object_id": str(log.enrolment_id),
        "device_name": log.device_name,
        "old_hardware_uuid": log.old_hardware_uuid,
        "new_hardware_uuid": log.new_hardware_uuid,
        "changer": log.changer or None,
    }


# ----------------------------------------------------------------------------- bulk orders


def _updated(order: Order) -> datetime:
    times = [
        order.placed_at,
        order.shipped_at,
        order.delivered_at,
        order.returned_at,
        order.cancelled_at,
    ]
    return max(t for t in times if t is not None)


def contents(order: Order) -> list[dict[str, Any]]:
    """Every line of the order shipped loose (``kit_id`` 0: nothing is kitted here)."""
    return [
        {"name": ln.model.name, "quantity": ln.quantity, "kit_id": 0} for ln in order.lines.all()
    ]


def manifest(order: Order) -> list[dict[str, Any]]:
    """The units shipped: one section of loose items, once the order has shipped."""
    items = []
    for line in order.lines.all():
        key = "gateway_id" if line.model.kind == "gateway" else "imei"
        items += [{key: unit, "device_type": line.model.name} for unit in line.imeis]
    if not items:
        return []
    return [{"order_section": "Loose Items", "kitted_items": [], "loose_items": items}]


def bulk_order(order: Order) -> dict[str, Any]:
    name = order.shipping_name or f"{order.recipient_first_name} {order.recipient_last_name}"
    return {
        "id": str(order.pk),
        "created": time(order.placed_at),
        "modified": time(_updated(order)),
        "order_number": order.number,
        "shipping_name": name.strip(),
        "shipping_address": order.address1,
        "shipping_city": order.city,
        "shipping_state": order.state,
        "shipping_zip_code": order.postal_code,
        "shipping_status": order_shipping_status(order),
        "shipping_tracking_link": order.tracking_link or None,
        "fulfilled": order.fulfilled,
        "requested_by": _text_or_none(order.requested_by),
        "shipped_on": time_or_none(order.shipped_at),
        "delivered_on": time_or_none(order.delivered_at),
        "notify_emails": notify_emails(order),
        "contents": contents(order),
        "manifest": manifest(order),
    }


# ----------------------------------------------------------------------------- special orders

SPECIAL_ORDER_STATUS = REPLACEMENT_STATUS


def special_order(order: Order, *, replacement_of: Enrolment | None) -> dict[str, Any]:
    """Tenovi's Special/Bulk Order webhook: replacement orders (RE) and bulk orders (BU)."""
    lines = list(order.lines.all())
    gateway_ids = [i for ln in lines if ln.model.kind == "gateway" for i in ln.imeis]
    imeis = [i for ln in lines if ln.model.kind != "gateway" for i in ln.imeis]
    return {
        "request_id": str(order.pk),
        "order_number": order.number,
        "order_type": "RE" if order.kind == Order.Kind.REPLACEMENT else "BU",
        "hardware_uuid": replacement_of.hardware_uuid if replacement_of is not None else None,
        "client_device_id": str(replacement_of.pk) if replacement_of is not None else None,
        "patient_id": order.patient.external_id if order.patient else "",
        "status": SPECIAL_ORDER_STATUS[order.status],
        "created_on": time(order.placed_at),
        "updated_on": time(_updated(order)),
        "tracking_link": order.tracking_link or None,
        "contents": contents(order),
        "manifest": {"gateway_ids": gateway_ids, "imeis": imeis},
    }


# ----------------------------------------------------------------------------- test samples


def sample_measurement(fields: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A MEASUREMENT webhook item made of what ``test-webhooks`` was given, the rest a sample."""
    taken = time(fields.get("timestamp") or now)
    return {
        "metric": fields.get("metric") or "blood_pressure",
        "device_name": fields.get("device_name") or "Tenovi BPM - L",
        "hwi_device_id": fields.get("hwi_device_id") or str(uuid.uuid4()),
        "patient_id": fields.get("patient_id") or "",
        "hardware_uuid": fields.get("hardware_uuid") or "000000000000",
        "sensor_code": fields.get("sensor_code", "10"),
        "value_1": decimal(fields.get("value", "120")),
        "value_2": decimal(fields.get("secondary_value", "80")),
        "created": time(fields["created"]) if fields.get("created") else taken,
        "timestamp": taken,
        "timezone_offset": fields.get("timezone_offset", 0),
        "estimated_timestamp": fields.get("estimated_timestamp", False),
        "filter_params": fields.get("filter_params") or {},
    }


def sample_fulfillment(fields: dict[str, Any]) -> dict[str, Any]:
    """A FULFILLMENT webhook made of what ``test-webhooks`` was given, the rest a sample."""
    body = {
        "hwi_device_id": fields.get("hwi_device_id") or str(uuid.uuid4()),
        "patient_id": fields.get("patient_id") or "",
        "hardware_uuid": fields.get("hardware_uuid") or "000000000000",
        "sensor_code": fields.get("sensor_code", "10"),
        "device_name": fields.get("device_name") or "Tenovi BPM - L",
        "status": fields.get("status") or "Delivered",
        "tracking_link": None,
    }
    if fields.get("device_id"):
        body["device_id"] = fields["device_id"]
    return body
