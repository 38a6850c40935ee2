"""Business rules for patients and devices, shared by every dialect and the operator commands."""

from __future__ import annotations

import re

from django.db import transaction

from pulsebridge.core.models import Company
from pulsebridge.lib.ids import random_token
from pulsebridge.webhooks.models import EventType
from pulsebridge.webhooks.services import publish

from . import hardware
from .errors import DeviceError
from .models import Device, DeviceModel, Patient

IMEI_RE = re.compile(r"^\d{15}$")
GATEWAY_RE = re.compile(r"^[0-9A-Fa-f]{12}$")


def ensure_patient(company: Company, external_id: str, **details) -> Patient | None:
    """The company's patient with that id, created on first mention; blank id means none.

    ``details`` that are given (not None) overwrite the stored ones, so a patient's name or phone
    changed through one device is changed for every device of that patient."""
    external_id = (external_id or "").strip()
    if not external_id:
        return None
    patient, created = Patient.objects.get_or_create(
        company=company,
        external_id=external_id,
        defaults={k: v for k, v in details.items() if v is not None},
    )
    if not created:
        changed = [k for k, v in details.items() if v is not None and getattr(patient, k) != v]
        for name in changed:
            setattr(patient, name, details[name])
        if changed:
            patient.save(update_fields=changed)
    return patient


def add_device(
    company: Company,
    sku: str,
    *,
    imei: str | None = None,
    serial: str | None = None,
    sim: str = "",
    mac: str | None = None,
) -> Device:
    """Register one unit in the company's inventory."""
    try:
        model = DeviceModel.objects.get(sku=sku)
    except DeviceModel.DoesNotExist:
        raise DeviceError(f"unknown SKU {sku!r}") from None
    imei = (imei or "").strip() or None
    serial = (serial or "").strip() or None
    if imei is not None and not IMEI_RE.match(imei):
        raise DeviceError(f"IMEI {imei!r} must be 15 digits")
    if model.kind == "gateway":
        if serial is None or not GATEWAY_RE.match(serial):
            raise DeviceError("a gateway needs --serial with its 12-hex-digit gateway id")
        serial = serial.upper()
    if model.connectivity == "cellular" and model.kind != "gateway" and imei is None:
        raise DeviceError(f"{sku} is a cellular device: give its --imei")
    if imei is not None and Device.objects.filter(imei=imei).exists():
        raise DeviceError(f"a device with IMEI {imei} is already registered")
    if serial is None:
        serial = imei or random_token(12).upper()
    if Device.objects.filter(serial=serial).exists():
        raise DeviceError(f"a device with serial {serial} is already registered")
    if mac is not None and Device.objects.filter(mac=mac).exists():
        raise DeviceError(f"a device with MAC {mac} is already registered")
    with transaction.atomic():
        device = Device.objects.create(
            company=company, model=model, imei=imei, serial=serial, sim_iccid=sim or "", mac=mac
        )
        # Tenovi HWI devices activated with this unit's id before it was registered
        # (status Unknown Gateway ID) are bound to it now.
        hardware.resolve_waiting(device)
    return device


@transaction.atomic
def assign_device(
    device: Device, *, patient_id: str | None = None, practice_id: str | None = None
) -> Device:
    """Map a device to a patient and/or practice (Pylo ``PUT /devices``)."""
    fields = []
    if patient_id is not None:
        device.patient = ensure_patient(device.company, patient_id)
        fields.append("patient")
        if practice_id is None and device.patient and device.patient.practice_id:
            device.practice_id = device.patient.practice_id
            fields.append("practice_id")
    if practice_id is not None:
        device.practice_id = practice_id
        fields.append("practice_id")
    if fields:
        device.save(update_fields=fields)
    return device


def _set_billing_status(device: Device, status: str) -> Device:
    device.billing_status = status
    device.save(update_fields=["billing_status"])
    device = Device.objects.select_related("model", "patient", "company").get(pk=device.pk)
    publish(device.company, EventType.DEVICE_BILLING_STATUS_CHANGED, [(device.pk, device)])
    return device


@transaction.atomic
def suspend_billing(device: Device) -> Device:
    """Stop billing a device (Pylo ``billing_status: suspended``); its readings still count."""
    device = Device.objects.select_for_update(of=("self",)).get(pk=device.pk)
    if device.billing_status == Device.BillingStatus.SUSPENDED:
        raise DeviceError(f"device {device.serial} is already suspended")
    return _set_billing_status(device, Device.BillingStatus.SUSPENDED)


@transaction.atomic
def resume_billing(device: Device) -> Device:
    """Bill a suspended device again: active if it has ever sent a reading, else preactive
    (its first reading activates it, as any new device's)."""
    device = Device.objects.select_for_update(of=("self",)).get(pk=device.pk)
    if device.billing_status != Device.BillingStatus.SUSPENDED:
        raise DeviceError(f"device {device.serial} is {device.billing_status}, not suspended")
    status = (
        Device.BillingStatus.ACTIVE
        if device.first_measurement_at is not None
        else Device.BillingStatus.PREACTIVE
    )
    return _set_billing_status(device, status)
