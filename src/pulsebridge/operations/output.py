"""How the operator commands print devices and orders (``--json``)."""

from __future__ import annotations

from typing import Any

from pulsebridge.devices.models import Device
from pulsebridge.fulfillment.models import Order
from pulsebridge.lib.commands import iso


def device_json(device: Device) -> dict[str, Any]:
    return {
        "id": str(device.pk),
        "serial": device.serial,
        "imei": device.imei,
        "sim": device.sim_iccid,
        "mac": device.mac,
        "sku": device.model.sku,
        "kind": device.model.kind,
        "billing_status": device.billing_status,
        "company": device.company.code,
        "patient": device.patient.external_id if device.patient else None,
        "gateway": device.gateway.serial if device.gateway_id else None,
        "created_at": iso(device.created_at),
    }


def order_json(order: Order) -> dict[str, Any]:
    return {
        "id": str(order.pk),
        "number": order.number,
        "company": order.company.code,
        "status": order.status,
        "stage": order.stage or "requested",
        "kind": order.kind,
        "patient": order.patient.external_id if order.patient else None,
        "practice_id": order.practice_id,
        "lines": [
            {"sku": line.model.sku, "quantity": line.quantity, "imeis": line.imeis}
            for line in order.lines.select_related("model")
        ],
        "carrier": order.carrier_code,
        "tracking": order.tracking_number,
        "placed_at": iso(order.placed_at),
        "shipped_at": iso(order.shipped_at),
        "delivered_at": iso(order.delivered_at),
        "returned_at": iso(order.returned_at),
        "cancelled_at": iso(order.cancelled_at),
    }
