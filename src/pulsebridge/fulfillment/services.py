"""The order lifecycle: place, update, cancel, ship, deliver, return.

Every status change emits an ORDER_STATUS_CHANGED event in the same transaction. Pylo orders and
Tenovi fulfilment requests are the same Order: the HWI devices (enrolments) an order ships follow
its status (Shipped/Dropshipped, Delivered, Returned; deleted when it is cancelled), each change
announced as ENROLMENT_STATUS_CHANGED, and the order's ``notify_emails`` receive an e-mail once
the transaction commits."""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils import timezone

from pulsebridge.core.models import Company
from pulsebridge.devices import assignments, hardware
from pulsebridge.devices.models import Device, DeviceModel, Enrolment, Kind, Replacement
from pulsebridge.devices.services import GATEWAY_RE, DeviceError, ensure_patient
from pulsebridge.lib.errors import DomainError
from pulsebridge.webhooks.models import EventType
from pulsebridge.webhooks.services import publish

from .models import Order, OrderLine

logger = logging.getLogger(__name__)


class OrderError(DomainError):
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
    kind: str = Order.Kind.BULK
    # Tenovi fulfilment request fields
    shipping_name: str = ""
    ship_gateway_only: bool = False
    shipped_on_behalf_of: str = ""
    requested_by: str = ""
    flagged_by_client: bool = False


def _announce(order: Order) -> None:
    publish(order.company, EventType.ORDER_STATUS_CHANGED, [(order.pk, order)])


def announce_placed(order: Order) -> None:
    """For callers of ``place_order(..., announce=False)``, once the order is linked to what
    it ships (a renderer may want to know)."""
    _announce(order)


@transaction.atomic
def place_order(company: Company, request: OrderRequest, *, announce: bool = True) -> Order:
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
        kind=request.kind,
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
        shipping_name=request.shipping_name,
        ship_gateway_only=request.ship_gateway_only,
        shipped_on_behalf_of=request.shipped_on_behalf_of,
        requested_by=request.requested_by,
        flagged_by_client=request.flagged_by_client,
        processed_at=now,
    )
    OrderLine.objects.bulk_create(
        [OrderLine(order=order, model=models[ln.sku], quantity=ln.quantity) for ln in request.lines]
    )
    if announce:
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
    # A Tenovi HWI device requested with this order never existed physically: it goes with it.
    Enrolment.objects.filter(order=order).delete()
    _announce(order)
    _notify(order)
    return order


@transaction.atomic
def update_order(
    order: Order, *, patient_id: str | None = None, practice_id: str | None = None
) -> Order:
    """Give the order another patient and/or practice (Pylo ``PATCH /orders``): what it shipped
    and the HWI devices it ships serve them from now on (``devices.assignments``)."""
    order = _locked(order)
    fields: list[str] = []
    changes: dict[str, Any] = {}
    if patient_id is not None:
        order.patient = ensure_patient(order.company, patient_id)
        fields.append("patient")
        changes["patient"] = order.patient
    if practice_id is not None:
        order.practice_id = practice_id
        fields.append("practice_id")
        changes["practice_id"] = practice_id
    if not fields:
        return order
    order.save(update_fields=fields)
    now = timezone.now()
    for device in order.devices.select_related("model").order_by("created_at", "pk"):
        assignments.assign(device, **changes, at=now)
    if patient_id is not None:
        for enrolment in order.enrolments.all():
            assignments.assign_enrolment(enrolment, order.patient, at=now)
    return order


def _is_cellular_unit(model: DeviceModel) -> bool:
    return model.connectivity == DeviceModel.Connectivity.CELLULAR and model.kind != Kind.GATEWAY


@transaction.atomic
def ship_order(
    order: Order,
    imeis: list[str],
    *,
    gateways: list[str] | None = None,
    carrier: str = "",
    tracking: str = "",
    service_code: str = "",
) -> Order:
    """The operator ships the order: attach the IMEIs of its cellular devices and the ids of
    its gateways, creating inventory as needed. Gateway-connected sensors need no identifier:
    they pair with the gateway shipped (or the patient's known gateway)."""
    order = _locked(order)
    if order.status != Order.Status.AWAITING_SHIPMENT:
        raise OrderError(
            f"the order is {order.status}; only an order awaiting shipment can be shipped"
        )
    all_lines = list(order.lines.select_related("model"))
    units = _ship_units(order, all_lines, imeis)
    gateway_lines = [line for line in all_lines if line.model.kind == Kind.GATEWAY]
    shipped_gateways = _ship_gateways(order, gateway_lines, gateways or [])
    order.status = Order.Status.SHIPPED
    order.stage = ""
    order.shipped_at = timezone.now()
    order.carrier_code = carrier
    order.tracking_number = tracking
    order.service_code = service_code
    order.save(
        update_fields=[
            "status",
            "stage",
            "shipped_at",
            "carrier_code",
            "tracking_number",
            "service_code",
        ]
    )
    try:
        _ship_enrolments(order, units, shipped_gateways)
    except DeviceError as exc:
        raise OrderError(str(exc)) from None
    _announce(order)
    _notify(order)
    return order


def _ship_units(order: Order, all_lines: list[OrderLine], imeis: list[str]) -> dict[int, list]:
    """The cellular units shipped, by model: one IMEI per unit of the order's cellular lines;
    a unit the company has already goes to the line of its model."""
    lines = [line for line in all_lines if _is_cellular_unit(line.model)]
    wanted = sum(line.quantity for line in lines)
    imeis = [i.strip() for i in imeis if i.strip()]
    if len(set(imeis)) != len(imeis):
        raise OrderError("the same IMEI is given twice")
    if len(imeis) != wanted:
        what = "devices" if len(lines) == len(all_lines) else "cellular devices"
        raise OrderError(f"the order has {wanted} {what}; {len(imeis)} IMEIs were given")
    existing = {
        d.imei: d for d in Device.objects.filter(imei__in=imeis).select_related("model") if d.imei
    }
    assigned = _imeis_by_line(order, lines, imeis, existing)
    units: dict[int, list[Device]] = defaultdict(list)
    for line in lines:
        for imei in assigned[line.pk]:
            if not imei.isdigit() or len(imei) != 15:
                raise OrderError(f"IMEI {imei!r} must be 15 digits")
            device = existing.get(imei)
            if device is None:
                device = Device(company=order.company, model=line.model, imei=imei, serial=imei)
            units[line.model_id].append(_ship_unit(order, device))
        line.imeis = assigned[line.pk]
        line.save(update_fields=["imeis"])
    return units


def _imeis_by_line(
    order: Order, lines: list[OrderLine], imeis: list[str], existing: dict[str, Device]
) -> dict[int, list[str]]:
    """A known device to the line of its model, new ones in line order."""
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
    return assigned


def _ship_unit(order: Order, device: Device) -> Device:
    """A unit leaves in this order: it serves the order's patient and practice."""
    device.order = order
    device.save()
    assignments.assign(device, patient=order.patient, practice_id=order.practice_id)
    return device


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _ship_gateways(order: Order, lines: list[OrderLine], ids: list[str]) -> list[Device]:
    """The gateways shipped: 12-hex-digit ids, one per gateway of the order."""
    ids = [i.strip().upper() for i in ids if i.strip()]
    wanted = sum(line.quantity for line in lines)
    if len(set(ids)) != len(ids):
        raise OrderError("the same gateway id is given twice")
    if len(ids) != wanted:
        raise OrderError(
            f"the order has {_count(wanted, 'gateway')}; {_count(len(ids), 'gateway id')} given"
        )
    for gateway_id in ids:
        if not GATEWAY_RE.match(gateway_id):
            raise OrderError(f"gateway id {gateway_id!r} must be 12 hexadecimal digits")
    existing = {
        d.serial.upper(): d for d in Device.objects.filter(serial__in=ids).select_related("model")
    }
    shipped = []
    for line in lines:
        line_ids = ids[: line.quantity]
        ids = ids[line.quantity :]
        for gateway_id in line_ids:
            device = existing.get(gateway_id)
            if device is not None and device.company_id != order.company_id:
                raise OrderError(f"gateway {gateway_id} belongs to another company")
            if device is not None and device.model.kind != Kind.GATEWAY:
                raise OrderError(f"{gateway_id} is a {device.model.sku}, not a gateway")
            if device is None:
                device = Device(company=order.company, model=line.model, serial=gateway_id)
            shipped.append(_ship_unit(order, device))
        line.imeis = line_ids
        line.save(update_fields=["imeis"])
    return shipped


def _ship_enrolments(order: Order, units: dict[int, list[Device]], gateways: list[Device]) -> None:
    """Bind the order's HWI devices to the hardware just shipped; Shipped when the client
    fulfils the request itself, Dropshipped when we do. A replacement order rebinds the HWI
    device it replaces instead (status Replaced)."""
    replacement = Replacement.objects.filter(order=order).select_related("enrolment").first()
    if replacement is not None:
        hardware.replace_hardware(
            replacement,
            gateway=gateways[0] if gateways else None,
            unit=next(iter(units.values()), [None])[0],
        )
        return
    changes = []
    enrolments = order.enrolments.select_related("company", "model", "patient", "gateway")
    for enrolment in enrolments:
        if hardware.is_gateway_connected(enrolment.model):
            gateway = gateways[0] if gateways else enrolment.gateway
            if gateway is None:
                raise OrderError(f"HWI device {enrolment.pk} needs a gateway: give its id")
            sensor = hardware.sensor_on(gateway, enrolment.model, enrolment)
            Device.objects.filter(pk=sensor.pk).update(order=order)
            hardware.bind(enrolment, sensor, gateway=gateway, changer="fulfillment")
        else:
            shipped = units.get(enrolment.model_id)
            if not shipped:
                raise OrderError(f"HWI device {enrolment.pk} needs a {enrolment.model.sku}")
            hardware.bind(enrolment, shipped.pop(0), changer="fulfillment")
        enrolment.status = (
            Enrolment.Status.SHIPPED if order.client_will_fulfill else Enrolment.Status.DROPSHIPPED
        )
        enrolment.unlinked_on = None
        enrolment.save()
        changes.append(enrolment)
    hardware.announce(changes)


def _follow(order: Order, status: str, *, unless: tuple[str, ...]) -> None:
    """Move the order's HWI devices to ``status``, except those already in ``unless``."""
    changed = []
    enrolments = order.enrolments.select_related("company", "model", "patient")
    for enrolment in enrolments.exclude(status__in=(status, *unless)):
        enrolment.status = status
        enrolment.save(update_fields=["status", "modified_at"])
        changed.append(enrolment)
    hardware.announce(changed)


NOTICE: dict[str, str] = {
    Order.Status.SHIPPED: "has shipped",
    Order.Status.DELIVERED: "has been delivered",
    Order.Status.RETURNED: "has been returned",
    Order.Status.CANCELLED: "has been cancelled",
}


def _notify(order: Order) -> None:
    """E-mail the order's ``notify_emails`` about its new status, once the change commits."""
    recipients = [r for r in order.notify_emails if r]
    if not recipients or order.status not in NOTICE:
        return
    lines = ", ".join(
        f"{ln.quantity} x {ln.model.name}" for ln in order.lines.select_related("model")
    )
    subject = f"Shipping update: order {order.number} {NOTICE[order.status]}"
    body = [
        f"Order {order.number} {NOTICE[order.status]}.",
        "",
        f"Devices: {lines}",
    ]
    name = order.shipping_name or f"{order.recipient_first_name} {order.recipient_last_name}"
    if name.strip():
        body.append(f"Ship to: {name.strip()}, {order.city} {order.state}".rstrip(", "))
    if order.tracking_link:
        body.append(f"Tracking: {order.tracking_link}")
    elif order.tracking_number:
        body.append(f"Tracking number: {order.carrier_code} {order.tracking_number}".strip())
    text = "\n".join(body) + "\n"
    messages = [(subject, text, settings.DEFAULT_FROM_EMAIL, [r]) for r in recipients]

    def send() -> None:
        try:
            send_mass_mail(messages, fail_silently=False)
        except Exception:  # the order changed; a mail server being down must not undo that
            logger.exception("could not send the shipping update of order %s", order.number)

    transaction.on_commit(send)


@transaction.atomic
def deliver_order(order: Order) -> Order:
    order = _locked(order)
    if order.status != Order.Status.SHIPPED:
        raise OrderError(f"the order is {order.status}; only a shipped order can be delivered")
    order.status = Order.Status.DELIVERED
    order.delivered_at = timezone.now()
    order.save(update_fields=["status", "delivered_at"])
    # A device that already sent a reading stays Connected; an unlinked one stays Unlinked.
    _follow(
        order,
        Enrolment.Status.DELIVERED,
        unless=(Enrolment.Status.CONNECTED, Enrolment.Status.UNLINKED),
    )
    _announce(order)
    _notify(order)
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
    _follow(order, Enrolment.Status.RETURNED, unless=(Enrolment.Status.UNLINKED,))
    _announce(order)
    _notify(order)
    return order


# What the HWI devices of an order awaiting shipment show at each stage.
STAGE_STATUS: dict[str, str] = {
    Order.Stage.READY_TO_SHIP: Enrolment.Status.READY_TO_SHIP,
    Order.Stage.ON_HOLD: Enrolment.Status.ON_HOLD,
    Order.Stage.CLIENT_ACTION_REQUIRED: Enrolment.Status.CLIENT_ACTION_REQUIRED,
}


@transaction.atomic
def set_stage(order: Order, stage: str) -> Order:
    """The operator says where an order awaiting shipment stands: ready to ship, on hold,
    waiting for the client, or back to requested. Its HWI devices follow (Tenovi ``Ready to
    Ship``, ``On Hold``, ``Client Action Required``), each change announced; for Pylo the order
    is still awaiting shipment."""
    if stage not in Order.Stage.values:
        raise OrderError(f"{stage!r} is not one of {', '.join(Order.Stage.values)}")
    order = _locked(order)
    if order.status != Order.Status.AWAITING_SHIPMENT:
        raise OrderError(
            f"the order is {order.status}; only an order awaiting shipment has a stage"
        )
    if order.stage == stage:
        return order
    order.stage = stage
    order.save(update_fields=["stage"])
    status = STAGE_STATUS.get(
        stage,
        Enrolment.Status.PENDING_SHIPMENT
        if order.client_will_fulfill
        else Enrolment.Status.DROPSHIP_REQUESTED,
    )
    _follow(order, status, unless=(Enrolment.Status.UNLINKED,))
    return order
