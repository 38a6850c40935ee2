"""The order lifecycle: place, update, cancel, ship, deliver, return.

Every status change emits an ORDER_STATUS_CHANGED event in the same transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from pulsebridge.core.models import Company
from pulsebridge.devices.models import Device, DeviceModel
from pulsebridge.devices.services import ensure_patient
from pulsebridge.webhooks.models import EventType
from pulsebridge.webhooks.services import publish

from .models import Order, OrderLine


class OrderError(ValueError):
    """The order cannot do that now; the message says why."""


@dataclass
class LineRequest:
    sku: str
    quantity: int


@dataclass
class OrderRequest:
    lines: list[LineRequest]
    recipient_first_name: str = ""
    recipient_last_name: str = ""
    recipient_phone: str = ""
    recipient_email: str = ""
    recipient_company: str = ""
    address1: str = ""
    address2: str = ""
    address3: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country_code: str = ""
    requested_service: str = ""
    notes_from_buyer: str = ""
    require_signature: bool = False
    patient_id: str = ""
    practice_id: str = ""
    billing_info: dict = field(default_factory=dict)
    inserts: list = field(default_factory=list)
    notify_emails: list = field(default_factory=list)
    client_will_fulfill: bool = False


def _announce(order: Order) -> None:
    publish(order.company, EventType.ORDER_STATUS_CHANGED, [(order.pk, order)])


@transaction.atomic
def place_order(company: Company, request: OrderRequest) -> Order:
    if not request.lines:
        raise OrderError("an order needs at least one device")
    models = {
        m.sku: m for m in DeviceModel.objects.filter(sku__in=[line.sku for line in request.lines])
    }
    for line in request.lines:
        if line.sku not in models:
            raise OrderError(f"unknown SKU {line.sku!r}")
        if line.quantity < 1:
            raise OrderError(f"quantity of {line.sku} must be at least 1")
    patient = ensure_patient(company, request.patient_id, practice_id=request.practice_id or None)
    now = timezone.now()
    order = Order.objects.create(
        company=company,
        number=str(uuid.uuid4()),
        client_will_fulfill=request.client_will_fulfill,
        requested_service=request.requested_service,
        notes_from_buyer=request.notes_from_buyer,
        recipient_first_name=request.recipient_first_name,
        recipient_last_name=request.recipient_last_name,
        recipient_phone=request.recipient_phone,
        recipient_email=request.recipient_email,
        recipient_company=request.recipient_company,
        address1=request.address1,
        address2=request.address2,
        address3=request.address3,
        city=request.city,
        state=request.state,
        postal_code=request.postal_code,
        country_code=request.country_code.upper(),
        require_signature=request.require_signature,
        patient=patient,
        practice_id=request.practice_id,
        billing_info=request.billing_info,
        inserts=request.inserts,
        notify_emails=request.notify_emails,
        processed_at=now,
    )
    OrderLine.objects.bulk_create(
        [OrderLine(order=order, model=models[ln.sku], quantity=ln.quantity) for ln in request.lines]
    )
    _announce(order)
    return order


def _locked(order: Order) -> Order:
    return (
        Order.objects.select_for_update(of=("self",))
        .select_related("company", "patient")
        .get(pk=order.pk)
    )


@transaction.atomic
def cancel_order(order: Order) -> Order:
    order = _locked(order)
    if order.status == Order.Status.CANCELLED:
        raise OrderError("the order is already cancelled")
    if order.status != Order.Status.AWAITING_SHIPMENT:
        raise OrderError(
            f"the order is {order.status}: only an order awaiting shipment can be cancelled"
        )
    if any(line.imeis for line in order.lines.all()) or order.devices.exists():
        raise OrderError("the order has IMEIs attached and can no longer be cancelled")
    order.status = Order.Status.CANCELLED
    order.cancelled_at = timezone.now()
    order.save(update_fields=["status", "cancelled_at"])
    _announce(order)
    return order


@transaction.atomic
def update_order(
    order: Order, *, patient_id: str | None = None, practice_id: str | None = None
) -> Order:
    order = _locked(order)
    fields = []
    if patient_id is not None:
        order.patient = ensure_patient(order.company, patient_id)
        fields.append("patient")
    if practice_id is not None:
        order.practice_id = practice_id
        fields.append("practice_id")
    if fields:
        order.save(update_fields=fields)
        # devices already shipped in this order follow it
        order.devices.update(
            **({"patient": order.patient} if patient_id is not None else {}),
            **({"practice_id": practice_id} if practice_id is not None else {}),
        )
    return order


@transaction.atomic
def ship_order(
    order: Order, imeis: list[str], *, carrier: str = "", tracking: str = "", service_code: str = ""
) -> Order:
    """The operator ships the order: attach the IMEIs, creating inventory as needed."""
    order = _locked(order)
    if order.status != Order.Status.AWAITING_SHIPMENT:
        raise OrderError(
            f"the order is {order.status}; only an order awaiting shipment can be shipped"
        )
    lines = list(order.lines.select_related("model"))
    wanted = sum(line.quantity for line in lines)
    imeis = [i.strip() for i in imeis if i.strip()]
    if len(set(imeis)) != len(imeis):
        raise OrderError("the same IMEI is given twice")
    if len(imeis) != wanted:
        raise OrderError(f"the order has {wanted} devices; {len(imeis)} IMEIs were given")
    existing = {d.imei: d for d in Device.objects.filter(imei__in=imeis).select_related("model")}
    # assign IMEIs to lines: a known device to the line of its model, new ones in line order
    remaining = {line.pk: line.quantity for line in lines}
    assigned: dict[int, list[str]] = {line.pk: [] for line in lines}
    fresh = []
    for imei in imeis:
        device = existing.get(imei)
        if device is None:
            fresh.append(imei)
            continue
        if device.company_id != order.company_id:
            raise OrderError(f"IMEI {imei} belongs to another company")
        line = next(
            (ln for ln in lines if ln.model_id == device.model_id and remaining[ln.pk]), None
        )
        if line is None:
            raise OrderError(f"IMEI {imei} is a {device.model.sku}, which this order does not need")
        assigned[line.pk].append(imei)
        remaining[line.pk] -= 1
    for imei in fresh:
        line = next(ln for ln in lines if remaining[ln.pk])
        assigned[line.pk].append(imei)
        remaining[line.pk] -= 1
    for line in lines:
        for imei in assigned[line.pk]:
            if not imei.isdigit() or len(imei) != 15:
                raise OrderError(f"IMEI {imei!r} must be 15 digits")
            device = existing.get(imei)
            if device is None:
                device = Device(company=order.company, model=line.model, imei=imei, serial=imei)
            device.order = order
            device.patient = order.patient
            device.practice_id = order.practice_id
            device.save()
        line.imeis = assigned[line.pk]
        line.save(update_fields=["imeis"])
    order.status = Order.Status.SHIPPED
    order.shipped_at = timezone.now()
    order.carrier_code = carrier
    order.tracking_number = tracking
    order.service_code = service_code
    order.save(
        update_fields=["status", "shipped_at", "carrier_code", "tracking_number", "service_code"]
    )
    _announce(order)
    return order


@transaction.atomic
def deliver_order(order: Order) -> Order:
    order = _locked(order)
    if order.status != Order.Status.SHIPPED:
        raise OrderError(f"the order is {order.status}; only a shipped order can be delivered")
    order.status = Order.Status.DELIVERED
    order.delivered_at = timezone.now()
    order.save(update_fields=["status", "delivered_at"])
    _announce(order)
    return order


@transaction.atomic
def return_order(order: Order) -> Order:
    order = _locked(order)
    if order.status not in (Order.Status.SHIPPED, Order.Status.DELIVERED):
        raise OrderError(
            f"the order is {order.status}; only a shipped or delivered order can be returned"
        )
    order.status = Order.Status.RETURNED
    order.returned_at = timezone.now()
    order.save(update_fields=["status", "returned_at"])
    _announce(order)
    return order
