"""Binding enrolments (Tenovi HWI devices) to hardware, and the status changes that follow.

No fulfilment imports here: the order lifecycle (fulfillment.services) and the enrolment rules
(fulfillment.enrolments) both call these functions, in their own transactions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Case, F, Value, When
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from pulsebridge.core.models import Company
from pulsebridge.lib.ids import random_token
from pulsebridge.webhooks.models import EventType
from pulsebridge.webhooks.services import publish

from . import assignments
from .errors import DeviceError
from .models import Device, DeviceModel, Enrolment, HardwareUuidLog, Kind, Replacement

Status = Enrolment.Status

# The event of a status change (a Tenovi FULFILLMENT webhook).
ENROLMENT_STATUS_CHANGED = EventType.ENROLMENT_STATUS_CHANGED

# Statuses from which a first reading does not make an enrolment Connected: it has no hardware
# bound, or the hardware went back.
NOT_CONNECTABLE = (Status.UNLINKED, Status.RETURNED, Status.UNKNOWN_GATEWAY_ID)


@dataclass(frozen=True)
class StatusChange:
    """The subject of an ENROLMENT_STATUS_CHANGED event (a Tenovi FULFILLMENT webhook).

    ``previous_hardware_uuid`` is set when a replacement changed the unit: Tenovi's webhook then
    names the old one as ``device_id``. ``tracking_link`` is the shipment that caused the change
    when it is not the HWI device's own (a replacement's)."""

    enrolment: Enrolment
    previous_hardware_uuid: str | None = None
    tracking_link: str | None = None


def announce(changes: Iterable[StatusChange | Enrolment]) -> None:
    """Publish one status event per enrolment, in the caller's transaction."""
    subjects = [c if isinstance(c, StatusChange) else StatusChange(c) for c in changes]
    by_company: dict[Any, list[StatusChange]] = {}
    for change in subjects:
        by_company.setdefault(change.enrolment.company_id, []).append(change)
    for changes_of_one in by_company.values():
        company = changes_of_one[0].enrolment.company
        publish(
            company,
            ENROLMENT_STATUS_CHANGED,
            [(c.enrolment.pk, c) for c in changes_of_one],
        )


def is_gateway_connected(model: DeviceModel) -> bool:
    return model.connectivity == DeviceModel.Connectivity.GATEWAY


def find_gateway(company: Company, hardware_uuid: str) -> Device | None:
    # Gateway serials are stored in upper case (devices.services.add_device): an exact match
    # uses the serial's unique index, where a case-insensitive one would scan the table.
    return (
        Device.objects.for_company(company)
        .filter(model__kind=Kind.GATEWAY, serial=hardware_uuid.strip().upper())
        .first()
    )


def find_cellular(company: Company, hardware_uuid: str) -> Device | None:
    return (
        Device.objects.for_company(company)
        .exclude(model__kind=Kind.GATEWAY)
        .filter(imei=hardware_uuid.strip())
        .select_related("model")
        .first()
    )


def _holder(device: Device, enrolment: Enrolment) -> Enrolment | None:
    qs = Enrolment.objects.filter(device=device).select_related("model")
    if enrolment.pk is not None:
        qs = qs.exclude(pk=enrolment.pk)
    return qs.first()


def _free_slot(gateway: Device, model: DeviceModel, enrolment: Enrolment) -> Device | None:
    """Make room for one ``model`` on ``gateway``: a gateway pairs one sensor per sensor code
    (Tenovi: "only one device with this Sensor Code can be assigned to a gateway at one time"),
    so readings routed by gateway id + sensor code reach exactly one Device. Refused while another
    HWI device holds that code; an unheld sensor of another model is unpaired. Answers an unheld
    sensor of ``model`` itself, which the caller may re-use."""
    reuse = None
    paired = Device.objects.filter(gateway=gateway, model__sensor_code=model.sensor_code)
    for sensor in paired.select_related("model"):
        holder = _holder(sensor, enrolment)
        if holder is not None:
            raise DeviceError(
                f"gateway {gateway.serial} already has an active {holder.model.name} with "
                f"sensor code {model.sensor_code} (HWI device {holder.pk}); unlink or delete "
                "it first"
            )
        if sensor.model_id == model.pk and reuse is None:
            reuse = sensor
        else:
            sensor.gateway = None
            sensor.save(update_fields=["gateway"])
    return reuse


def sensor_on(gateway: Device, model: DeviceModel, enrolment: Enrolment) -> Device:
    """The sensor Device of ``model`` paired with ``gateway``, created on first use."""
    reuse = _free_slot(gateway, model, enrolment)
    if reuse is not None:
        return reuse
    serial = f"{gateway.serial}-{model.sensor_code}"
    if Device.objects.filter(serial=serial).exists():
        serial = f"{serial}-{random_token(6).upper()}"
    return Device.objects.create(
        company=enrolment.company, model=model, serial=serial, gateway=gateway
    )


def move_sensor(sensor: Device, gateway: Device, enrolment: Enrolment) -> None:
    """Pair ``sensor`` with ``gateway`` instead of its old one: a gateway replaced, the same cuff
    (the same Device, so it keeps its identity in every dialect) now reports through the new one."""
    other = _free_slot(gateway, sensor.model, enrolment)
    if other is not None and other.pk != sensor.pk:
        other.gateway = None
        other.save(update_fields=["gateway"])
    sensor.gateway = gateway
    sensor.save(update_fields=["gateway"])


def cellular_unit(company: Company, hardware_uuid: str, enrolment: Enrolment) -> Device | None:
    """The company's cellular unit with that IMEI, checked against the enrolment's type."""
    device = find_cellular(company, hardware_uuid)
    if device is None:
        return None
    if device.model_id != enrolment.model_id:
        raise DeviceError(
            f"hardware_uuid {hardware_uuid} is a {device.model.name}, not a {enrolment.model.name}"
        )
    holder = _holder(device, enrolment)
    if holder is not None:
        raise DeviceError(f"IMEI {device.imei} is already in use by HWI device {holder.pk}")
    return device


def set_hardware_uuid(enrolment: Enrolment, value: str | None, *, changer: str) -> None:
    """Change the gateway id or IMEI the HWI device is known by, logging the change (Tenovi's
    hardware-uuid-logs). The enrolment is saved by the caller."""
    if value == enrolment.hardware_uuid:
        return
    HardwareUuidLog.objects.create(
        company_id=enrolment.company_id,
        enrolment_id=enrolment.pk,
        device_name=enrolment.model.name,
        old_hardware_uuid=enrolment.hardware_uuid,
        new_hardware_uuid=value,
        changer=changer,
    )
    enrolment.hardware_uuid = value


def bind(
    enrolment: Enrolment,
    device: Device | None,
    *,
    gateway: Device | None = None,
    now: datetime | None = None,
    changer: str = "client",
) -> None:
    """Bind the enrolment to ``device`` (None: to nothing), ending the previous binding.

    The unit serves the enrolment's patient from now on; the unit it leaves serves nobody. The
    enrolment is saved by the caller."""
    now = now or timezone.now()
    if enrolment.device_id is not None and (device is None or device.pk != enrolment.device_id):
        previous = Device.objects.select_related("model").get(pk=enrolment.device_id)
        assignments.assign(previous, enrolment=None, patient=None, hardware_uuid=None, at=now)
    if device is not None:
        hardware_uuid = gateway.serial if gateway is not None else device.imei
        assignments.assign(
            device,
            enrolment=enrolment,
            patient=enrolment.patient,
            hardware_uuid=hardware_uuid,
            at=now,
        )
        set_hardware_uuid(enrolment, hardware_uuid, changer=changer)
    enrolment.device = device
    enrolment.gateway = gateway


def link(
    enrolment: Enrolment,
    hardware_uuid: str,
    *,
    now: datetime | None = None,
    changer: str = "client",
) -> None:
    """On-site use: bind to the company's gateway or cellular unit named by ``hardware_uuid``.

    Delivered when the company has that unit; Unknown Gateway ID otherwise (the id is kept as
    given, so that registering the unit later resolves it, see :func:`resolve_waiting`)."""
    company = enrolment.company
    if is_gateway_connected(enrolment.model):
        gateway = find_gateway(company, hardware_uuid)
        device = sensor_on(gateway, enrolment.model, enrolment) if gateway else None
    else:
        gateway = None
        device = cellular_unit(company, hardware_uuid, enrolment)
    if device is None:
        bind(enrolment, None, now=now)
        set_hardware_uuid(enrolment, hardware_uuid.strip(), changer=changer)
        enrolment.status = Status.UNKNOWN_GATEWAY_ID
        return
    bind(enrolment, device, gateway=gateway, now=now, changer=changer)
    enrolment.status = Status.DELIVERED
    enrolment.connected_on = None
    enrolment.unlinked_on = None


def unlink(enrolment: Enrolment, *, now: datetime | None = None) -> None:
    """Detach the hardware: the unit stays in the company's inventory, without a patient."""
    now = now or timezone.now()
    bind(enrolment, None, now=now)
    set_hardware_uuid(enrolment, None, changer="client")
    enrolment.status = Status.UNLINKED
    enrolment.unlinked_on = now


def resolve_waiting(device: Device) -> list[Enrolment]:
    """A gateway or cellular unit was added to the inventory: enrolments that named it while it
    was unknown (status Unknown Gateway ID) are bound to it now and become Delivered."""
    if device.model.kind == Kind.GATEWAY:
        name = device.serial
    elif device.imei:
        name = device.imei
    else:
        return []
    waiting = list(
        Enrolment.objects.for_company(device.company)
        # exact matches use the (company, hardware_uuid) index; a gateway id may have been
        # given in lower case
        .filter(status=Status.UNKNOWN_GATEWAY_ID, hardware_uuid__in={name, name.lower()})
        .select_related("company", "model", "patient")
        .order_by("created_at", "pk")
    )
    resolved = []
    for enrolment in waiting:
        try:
            link(enrolment, name, changer="inventory")
        except DeviceError:
            continue  # another enrolment holds that sensor code: this one stays waiting
        if enrolment.status == Status.DELIVERED:
            enrolment.save()
            resolved.append(enrolment)
    announce(resolved)
    return resolved


def note_measurements(company: Company, spans: dict[Any, list[datetime]]) -> list[Enrolment]:
    """Keep ``last_measurement`` of the enrolments bound to these devices, and move each to
    Connected at its first reading (``connected_on`` = that reading's time). The status change is
    announced in the caller's transaction."""
    enrolments = list(
        Enrolment.objects.for_company(company)
        .filter(device_id__in=list(spans))
        .values_list("pk", "device_id", "connected_on", "status")
    )
    if not enrolments:
        return []
    latest = Case(
        *[When(pk=pk, then=Value(max(spans[device_id]))) for pk, device_id, _, _ in enrolments]
    )
    # Greatest in SQL: concurrent batches for the same device cannot move it backwards.
    Enrolment.objects.filter(pk__in=[row[0] for row in enrolments]).update(
        last_measurement=Greatest(Coalesce(F("last_measurement"), latest), latest)
    )
    waiting = [
        pk
        for pk, _, connected_on, status in enrolments
        if connected_on is None and status not in NOT_CONNECTABLE
    ]
    if not waiting:
        return []
    connected = list(
        Enrolment.objects.select_for_update(of=("self",))
        .filter(pk__in=waiting, connected_on__isnull=True)
        .exclude(status__in=NOT_CONNECTABLE)
        .select_related("company", "model", "patient", "order")
    )
    for enrolment in connected:
        enrolment.status = Status.CONNECTED
        enrolment.connected_on = min(spans[enrolment.device_id])
        enrolment.save(update_fields=["status", "connected_on", "modified_at"])
    announce(connected)
    return connected


def replace_hardware(
    replacement: Replacement, *, gateway: Device | None, unit: Device | None
) -> list[Enrolment]:
    """A replacement shipped: bind to the new units at once (Tenovi updates ``hardware_uuid``
    when the replacement ships, not when it arrives; the old unit is taken to be dead).

    A new gateway takes over every HWI device of the company paired with the old one; a new
    cellular unit takes over its HWI device. Each becomes Replaced, announced with the old
    ``hardware_uuid`` and the replacement's tracking link."""
    enrolment = replacement.enrolment
    if enrolment is None:  # the HWI device was deleted meanwhile: nothing to rebind
        return []
    now = timezone.now()
    old: dict[Any, str | None] = {}
    affected: dict[Any, Enrolment] = {}
    if replacement.replace_gateway and gateway is not None:
        affected.update(_move_to_gateway(enrolment, gateway, now, old))
    if replacement.replace_device:
        target = affected.get(enrolment.pk, enrolment)
        old.setdefault(target.pk, target.hardware_uuid)
        if not is_gateway_connected(target.model) and unit is not None:
            bind(target, unit, now=now, changer="replacement")
        # a new gateway-connected sensor pairs under the same gateway id and sensor code
        affected[target.pk] = target
    for other in affected.values():
        other.status = Status.REPLACED
        other.save()
    if enrolment.pk in affected:
        replacement.new_hardware_uuid = affected[enrolment.pk].hardware_uuid or ""
    replacement.save(update_fields=["new_hardware_uuid"])
    tracking_link = replacement.order.tracking_link or None
    announce(
        StatusChange(e, previous_hardware_uuid=old.get(e.pk), tracking_link=tracking_link)
        for e in affected.values()
    )
    return list(affected.values())


def _move_to_gateway(
    enrolment: Enrolment, gateway: Device, now: datetime, old: dict[Any, str | None]
) -> dict[Any, Enrolment]:
    """Every HWI device on ``enrolment``'s gateway moves to ``gateway``, keeping its sensor."""
    old_gateway = enrolment.gateway
    if old_gateway is None and enrolment.hardware_uuid:
        old_gateway = find_gateway(enrolment.company, enrolment.hardware_uuid)
    on_old = (
        Enrolment.objects.filter(gateway=old_gateway)
        if old_gateway is not None
        else Enrolment.objects.filter(pk=enrolment.pk)
    )
    moved = {}
    for other in on_old.select_related("company", "model", "patient", "gateway", "device__model"):
        old[other.pk] = other.hardware_uuid
        if other.device is not None:
            move_sensor(other.device, gateway, other)
            assignments.assign(other.device, hardware_uuid=gateway.serial, at=now)
        elif other.pk == enrolment.pk:
            bind(
                other,
                sensor_on(gateway, other.model, other),
                gateway=gateway,
                now=now,
                changer="replacement",
            )
        # one still waiting for its own shipment will pair with the new gateway
        set_hardware_uuid(other, gateway.serial, changer="replacement")
        other.gateway = gateway
        moved[other.pk] = other
    for one in {old_gateway.pk if old_gateway else None, gateway.pk} - {None}:
        assignments.follow_gateway(one, at=now)
    return moved
