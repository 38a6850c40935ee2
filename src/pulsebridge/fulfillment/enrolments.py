"""Enrolments (Tenovi HWI devices): activation in the guide's three use cases, changes, deletion,
unlinking, properties and replacements. Every dialect and command calls these functions.

This is the one place where enrolments and orders meet: it sits above both the devices domain
(the enrolment and its hardware, ``devices.hardware``) and the order lifecycle
(``fulfillment.services``), so neither imports the other's rules.

The three use cases (Tenovi guide, "How the Patient Receives a Device"):

1. given on site: ``hardware_uuid`` is the company's gateway id or IMEI -> Delivered (or
   Unknown Gateway ID when the company has no such unit);
2. shipped by the client (``client_will_fulfill``) -> an Order, status Pending Shipment;
3. shipped by us -> an Order, status Dropship Requested (``ship_gateway_only`` ships the gateway
   alone). A known gateway id together with a fulfilment request means no second gateway.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from django.db import transaction

from pulsebridge.core.models import Company
from pulsebridge.devices import assignments, hardware
from pulsebridge.devices.catalogue import normalise_name
from pulsebridge.devices.errors import FieldError
from pulsebridge.devices.models import (
    DeviceModel,
    Enrolment,
    EnrolmentProperty,
    Patient,
    Replacement,
)
from pulsebridge.devices.services import DeviceError, ensure_patient
from pulsebridge.lib.errors import Gone

from .models import Order
from .services import (
    LineRequest,
    OrderError,
    OrderRequest,
    announce_placed,
    cancel_order,
    place_order,
)

Status = Enrolment.Status
GATEWAY_SKU = "TENOVI-GW"
GATEWAY_NAME = "Gateway"

# The device types of the Tenovi table (guide, "Device Names & Sensor Codes"): what an HWI
# device can be. Every company has all of them.
HWI_DEVICE_SKUS = (
    "TENOVI-BPM-S",
    "TENOVI-BPM-L",
    "OMRON-BPM",
    "OMRON-WRIST-BPM",
    "TENOVI-PULSE-OX",
    "TENOVI-GLUCOMETER",
    "TRIVIDIA-GLUCOMETER",
    "TENOVI-SCALE",
    "TENOVI-THERMOMETER",
    "TENOVI-PEAK-FLOW",
    "TENOVI-PILLBOX",
    "TENOVI-CELL-BPM-S",
    "TENOVI-CELL-BPM-L",
    "TENOVI-CELL-GLUCOMETER",
    "TENOVI-CELL-SCALE",
    "TELERPM-BPM",
    "TELERPM-SCALE",
)

# What a pending shipment's HWI device shows, by who ships it.
REQUESTED = {True: Status.PENDING_SHIPMENT, False: Status.DROPSHIP_REQUESTED}


@dataclass
class PatientDetails:
    external_id: str
    name: str | None = None
    phone_number: str | None = None
    email: str | None = None
    physician: str | None = None
    clinic_name: str | None = None
    care_manager: str | None = None
    sms_opt_in: bool | None = None

    def details(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "external_id" and v is not None}


@dataclass
class Shipping:
    """A Tenovi ``fulfillment_request``."""

    shipping_name: str = ""
    shipping_address: str = ""
    shipping_city: str = ""
    shipping_state: str = ""
    shipping_zip_code: str = ""
    client_will_fulfill: bool = False
    ship_gateway_only: bool = False
    require_signature: bool = False
    notify_emails: list[str] = field(default_factory=list)
    client_notes: str = ""
    shipped_on_behalf_of: str = ""
    requested_by: str = ""
    flagged_by_client: bool = False


@dataclass
class Activation:
    name: str
    hardware_uuid: str | None = None
    shipping: Shipping | None = None
    patient: PatientDetails | None = None
    sensor_id: str = ""
    meta_data: dict = field(default_factory=dict)


def device_types() -> list[DeviceModel]:
    models = {m.sku: m for m in DeviceModel.objects.filter(sku__in=HWI_DEVICE_SKUS)}
    return [models[sku] for sku in HWI_DEVICE_SKUS if sku in models]


def device_type(name: str) -> DeviceModel:
    """The device type of that exact name (the guide's en dash is read as a hyphen)."""
    wanted = normalise_name(name or "")
    for model in device_types():
        if model.name == wanted:
            return model
    names = ", ".join(m.name for m in device_types())
    raise FieldError("device.name", f"{name!r} is not a device type of this client: {names}")


def _patient(company: Company, details: PatientDetails | None) -> Patient | None:
    if details is None:
        return None
    if not (details.external_id or "").strip():
        raise FieldError("patient.external_id", "This field is required.")
    return ensure_patient(company, details.external_id, **details.details())


def _order_request(
    enrolment: Enrolment,
    shipping: Shipping,
    lines: list[DeviceModel],
    kind: str = Order.Kind.FULFILLMENT,
) -> OrderRequest:
    first, _, last = shipping.shipping_name.strip().partition(" ")
    patient = enrolment.patient
    return OrderRequest(
        kind=kind,
        lines=[LineRequest(sku=m.sku, quantity=1) for m in lines],
        recipient_first_name=first,
        recipient_last_name=last,
        recipient_phone=patient.phone_number if patient else "",
        recipient_email=patient.email if patient else "",
        address1=shipping.shipping_address,
        city=shipping.shipping_city,
        state=shipping.shipping_state,
        postal_code=shipping.shipping_zip_code,
        country_code="US",
        notes_from_buyer=shipping.client_notes,
        require_signature=shipping.require_signature,
        patient_id=patient.external_id if patient else "",
        notify_emails=list(shipping.notify_emails),
        client_will_fulfill=shipping.client_will_fulfill,
        shipping_name=shipping.shipping_name.strip(),
        ship_gateway_only=shipping.ship_gateway_only,
        shipped_on_behalf_of=shipping.shipped_on_behalf_of,
        requested_by=shipping.requested_by,
        flagged_by_client=shipping.flagged_by_client,
    )


def _request_shipment(enrolment: Enrolment, shipping: Shipping, hardware_uuid: str | None) -> Order:
    """Use cases 2 and 3: the order that ships this HWI device, and its pending status."""
    model = enrolment.model
    gateway = None
    if hardware.is_gateway_connected(model):
        if hardware_uuid:
            if shipping.ship_gateway_only:
                raise FieldError(
                    "device.fulfillment_request.ship_gateway_only",
                    "the patient already has the gateway named in device.hardware_uuid; "
                    "ship_gateway_only would ship a second one",
                )
            gateway = hardware.find_gateway(enrolment.company, hardware_uuid)
            if gateway is None:
                raise FieldError(
                    "device.hardware_uuid",
                    f"{hardware_uuid} is not a gateway of this client; leave hardware_uuid null "
                    "to have a gateway shipped with the device",
                )
        gateway_model = DeviceModel.objects.get(sku=GATEWAY_SKU)
        if shipping.ship_gateway_only:
            lines = [gateway_model]
        elif gateway is not None:  # "Multiple Devices for a Single Patient": no second gateway
            lines = [model]
        else:
            lines = [model, gateway_model]
    else:
        if shipping.ship_gateway_only:
            raise FieldError(
                "device.fulfillment_request.ship_gateway_only",
                f"{model.name} is a cellular device: it has no gateway",
            )
        lines = [model]
    # announced once the enrolment points at it (see activate / _change_shipping)
    order = place_order(
        enrolment.company, _order_request(enrolment, shipping, lines), announce=False
    )
    enrolment.order = order
    enrolment.gateway = gateway
    hardware.set_hardware_uuid(
        enrolment, gateway.serial if gateway is not None else None, changer="client"
    )
    enrolment.status = REQUESTED[shipping.client_will_fulfill]
    return order


@transaction.atomic
def activate(company: Company, activation: Activation) -> Enrolment:
    """Activate (use case 1) or request (use cases 2 and 3) one HWI device."""
    model = device_type(activation.name)
    hardware_uuid = (activation.hardware_uuid or "").strip() or None
    if activation.shipping is None and hardware_uuid is None:
        raise FieldError(
            "device.hardware_uuid",
            "give the gateway id or IMEI of a device given on site, or a "
            "device.fulfillment_request to have it shipped",
        )
    enrolment = Enrolment(
        company=company,
        model=model,
        patient=_patient(company, activation.patient),
        sensor_id=activation.sensor_id,
        meta_data=activation.meta_data,
        status=Status.UNKNOWN_GATEWAY_ID,
    )
    if activation.shipping is not None:
        order = _request_shipment(enrolment, activation.shipping, hardware_uuid)
        enrolment.save()
        announce_placed(order)
        return enrolment
    enrolment.save()  # the assignment rows below refer to it
    hardware.link(enrolment, cast(str, hardware_uuid))  # given: checked above
    enrolment.save()
    return enrolment


UNSET: Any = object()


@transaction.atomic
def update(
    enrolment: Enrolment,
    *,
    name: str | None = None,
    hardware_uuid: Any = UNSET,
    shipping: dict[str, Any] | None = None,
    patient: PatientDetails | None = UNSET,
    sensor_id: str | None = None,
    meta_data: dict | None = None,
) -> Enrolment:
    """PUT/PATCH of an HWI device. A value equal to the current one changes nothing, so a
    client may PUT back what it read. ``patient=None`` takes the patient off this HWI device
    (and its hardware) only."""
    enrolment = _locked(enrolment, "company", "model", "patient", "order", "device", "gateway")
    if patient is not UNSET:
        _change_patient(enrolment, _patient(enrolment.company, patient))
    if name is not None:
        _change_type(enrolment, device_type(name))
    if sensor_id is not None:
        enrolment.sensor_id = sensor_id
    if meta_data is not None:
        enrolment.meta_data = meta_data
    if shipping:
        _change_shipping(enrolment, shipping)
    changes = []
    if hardware_uuid is not UNSET:
        changes = _change_hardware(enrolment, (hardware_uuid or "").strip() or None)
    enrolment.save()
    hardware.announce(changes)
    return enrolment


def _change_patient(enrolment: Enrolment, patient: Patient | None) -> None:
    """The HWI device and its hardware serve ``patient``; a request not yet shipped ships to
    them."""
    if patient == enrolment.patient:
        return
    assignments.assign_enrolment(enrolment, patient)
    order = enrolment.order
    if order is not None and order.status == Order.Status.AWAITING_SHIPMENT:
        order.patient = patient
        order.save(update_fields=["patient"])


def _change_hardware(enrolment: Enrolment, wanted: str | None) -> list[hardware.StatusChange]:
    """``device.hardware_uuid``: null unlinks, a new id links (use case 1's rules)."""
    current = enrolment.hardware_uuid
    if wanted is None and current is not None:
        hardware.unlink(enrolment)
        return [hardware.StatusChange(enrolment)]
    if wanted is not None and (current is None or wanted.lower() != current.lower()):
        before = enrolment.status
        hardware.link(enrolment, wanted)
        if enrolment.status != before:
            return [hardware.StatusChange(enrolment)]
    return []


def _change_type(enrolment: Enrolment, model: DeviceModel) -> None:
    if model.pk == enrolment.model_id:
        return
    order = enrolment.order
    if enrolment.device_id is not None or (
        order is not None and order.status != Order.Status.AWAITING_SHIPMENT
    ):
        raise FieldError(
            "device.name",
            "the device type of an HWI device with hardware cannot change; delete or unlink it "
            "and activate a new one",
        )
    if hardware.is_gateway_connected(model) != hardware.is_gateway_connected(enrolment.model):
        raise FieldError(
            "device.name",
            f"{enrolment.model.name} and {model.name} do not connect the same way; activate a "
            "new HWI device instead",
        )
    if order is not None:
        order.lines.filter(model=enrolment.model).update(model=model)
    enrolment.model = model


SHIPPING_FIELDS = {
    "shipping_name": "shipping_name",
    "shipping_address": "address1",
    "shipping_city": "city",
    "shipping_state": "state",
    "shipping_zip_code": "postal_code",
    "require_signature": "require_signature",
    "notify_emails": "notify_emails",
    "client_notes": "notes_from_buyer",
    "shipped_on_behalf_of": "shipped_on_behalf_of",
    "requested_by": "requested_by",
    "flagged_by_client": "flagged_by_client",
}


def _change_shipping(enrolment: Enrolment, shipping: dict[str, Any]) -> None:
    order = enrolment.order
    if order is None:
        if enrolment.device_id is not None:
            raise FieldError(
                "device.fulfillment_request",
                "this HWI device already has its hardware; request a replacement through "
                "hwi-replacements instead",
            )
        placed = _request_shipment(enrolment, Shipping(**shipping), enrolment.hardware_uuid)
        enrolment.save()
        announce_placed(placed)
        hardware.announce([enrolment])
        return
    fixed = {"client_will_fulfill": order.client_will_fulfill}
    fixed["ship_gateway_only"] = order.ship_gateway_only
    for name, value in fixed.items():
        if name in shipping and shipping[name] != value:
            raise FieldError(
                f"device.fulfillment_request.{name}",
                "cannot change once the fulfillment request is placed; delete the HWI device "
                "and request it again",
            )
    changed = {
        SHIPPING_FIELDS[k]: v
        for k, v in shipping.items()
        if k in SHIPPING_FIELDS and getattr(order, SHIPPING_FIELDS[k]) != v
    }
    if not changed:
        return
    if order.status != Order.Status.AWAITING_SHIPMENT:
        raise FieldError(
            "device.fulfillment_request",
            "the fulfillment request has been fulfilled; its shipping details can no longer change",
        )
    if "shipping_name" in changed:
        first, _, last = changed["shipping_name"].strip().partition(" ")
        changed.update(recipient_first_name=first, recipient_last_name=last)
    for name, value in changed.items():
        setattr(order, name, value)
    order.save(update_fields=list(changed))


def _locked(enrolment: Enrolment, *related: str) -> Enrolment:
    """The HWI device read again and locked for this transaction; Gone if a concurrent
    request deleted it since it was found."""
    locked = (
        Enrolment.objects.select_for_update(of=("self",))
        .select_related(*related)
        .filter(pk=enrolment.pk)
        .first()
    )
    if locked is None:
        raise Gone(f"HWI device {enrolment.pk} was deleted meanwhile")
    return locked


@transaction.atomic
def delete(enrolment: Enrolment) -> None:
    """Remove an HWI device. Refused once its fulfilment request has been fulfilled (the guide:
    such a device can only be unlinked); a pending request is cancelled with it."""
    enrolment = _locked(enrolment, "company", "order")
    order = enrolment.order
    if order is not None and order.fulfilled:
        if enrolment.status == Status.UNLINKED:
            raise DeviceError(
                "This HWI device is already unlinked: it serves no patient and no hardware, and "
                "is kept because its fulfillment request has been fulfilled; there is nothing "
                "more to do"
            )
        raise DeviceError(
            "This HWI device is attached to a fulfillment request that has been fulfilled and "
            f"cannot be deleted; unlink its gateway instead: GET hwi/unlink-gateway/{enrolment.pk}/"
        )
    hardware.bind(enrolment, None)
    for replacement in enrolment.replacements.select_related("order"):
        if replacement.order.status == Order.Status.AWAITING_SHIPMENT:
            cancel_order(replacement.order)
    if order is not None and order.status == Order.Status.AWAITING_SHIPMENT:
        cancel_order(order)  # deletes the enrolments it would have shipped, this one included
    Enrolment.objects.filter(pk=enrolment.pk).delete()


@transaction.atomic
def unlink(enrolment: Enrolment) -> Enrolment:
    """Detach the gateway or cellular unit: always possible, even after fulfilment."""
    enrolment = _locked(enrolment, "company", "model", "patient", "order", "device")
    was = enrolment.status
    hardware.unlink(enrolment)
    enrolment.save()
    if was != Status.UNLINKED:
        hardware.announce([enrolment])
    return enrolment


@transaction.atomic
def set_property(enrolment: Enrolment, key: str, value: str) -> tuple[EnrolmentProperty, bool]:
    """Create the property, or change its value when the device has that key already."""
    key = key.strip()
    prop, created = EnrolmentProperty.objects.get_or_create(
        enrolment=enrolment, key=key, defaults={"value": value}
    )
    if not created and prop.value != value:
        prop.value = value
        prop.save(update_fields=["value"])
    return prop, created


@transaction.atomic
def change_property(
    prop: EnrolmentProperty, *, key: str | None = None, value: str | None = None
) -> EnrolmentProperty:
    key = prop.key if key is None else key.strip()
    value = prop.value if value is None else value
    if (
        key != prop.key
        and EnrolmentProperty.objects.filter(enrolment=prop.enrolment_id, key=key).exists()
    ):
        raise FieldError("key", f"this HWI device already has a property {key!r}")
    prop.key, prop.value = key, value
    prop.save(update_fields=["key", "value"])
    return prop


def delete_property(prop: EnrolmentProperty) -> None:
    """Remove one property; a routing property removed sends the device's readings to every
    webhook enabled by default again."""
    EnrolmentProperty.objects.filter(pk=prop.pk).delete()


@transaction.atomic
def request_replacement(
    company: Company, enrolment: Enrolment, names: list[str], shipping: Shipping | None
) -> Replacement:
    """A replacement device and/or gateway for an HWI device, shipped as an Order. Without
    shipping details it comes from the client's own stock (the client fulfils it)."""
    if not names:
        raise FieldError("device_types", "name the device and/or the Gateway to replace")
    replace_device = replace_gateway = False
    for index, name in enumerate(names):
        wanted = normalise_name(name or "")
        if wanted == GATEWAY_NAME and hardware.is_gateway_connected(enrolment.model):
            replace_gateway = True
        elif wanted == enrolment.model.name:
            replace_device = True
        else:
            allowed = [enrolment.model.name]
            if hardware.is_gateway_connected(enrolment.model):
                allowed.append(GATEWAY_NAME)
            raise FieldError(
                f"device_types.{index}.name",
                f"{name!r} cannot replace a part of this HWI device; one of {', '.join(allowed)}",
            )
    if enrolment.status == Status.UNLINKED or not enrolment.hardware_uuid:
        raise FieldError(
            "hwi_device_id", "this HWI device has no hardware to replace; activate it first"
        )
    lines = []
    if replace_device:
        lines.append(enrolment.model)
    if replace_gateway:
        lines.append(DeviceModel.objects.get(sku=GATEWAY_SKU))
    if shipping is None:
        shipping = Shipping(client_will_fulfill=True)
    shipping.ship_gateway_only = replace_gateway and not replace_device
    try:
        order = place_order(
            company,
            _order_request(enrolment, shipping, lines, kind=Order.Kind.REPLACEMENT),
            announce=False,
        )
    except OrderError as exc:
        raise DeviceError(str(exc)) from None
    replacement = Replacement.objects.create(
        company=company,
        enrolment=enrolment,
        hwi_device_id=enrolment.pk,
        replace_device=replace_device,
        replace_gateway=replace_gateway,
        old_hardware_uuid=enrolment.hardware_uuid or "",
        order=order,
    )
    announce_placed(order)
    return replacement


@transaction.atomic
def delete_replacement(replacement: Replacement) -> None:
    """Only a pending replacement (not yet shipped) can be withdrawn."""
    order = replacement.order
    if order.status != Order.Status.AWAITING_SHIPMENT and order.status != Order.Status.CANCELLED:
        raise DeviceError(
            f"this replacement is {order.status} and can no longer be deleted; only a pending "
            "replacement can"
        )
    replacement.delete()
    if order.status == Order.Status.AWAITING_SHIPMENT:
        cancel_order(order)
