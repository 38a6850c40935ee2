"""Business rules for patients and devices, shared by every dialect and the operator commands."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.utils import timezone

from pulsebridge.core.models import Company
from pulsebridge.lib.ids import random_token
from pulsebridge.webhooks.models import EventType
from pulsebridge.webhooks.services import publish

from . import assignments, hardware
from .errors import DeviceError, FieldError
from .models import Device, DeviceModel, Patient

IMEI_RE = re.compile(r"^\d{15}$")
GATEWAY_RE = re.compile(r"^[0-9A-Fa-f]{12}$")


def ensure_patient(company: Company, external_id: str, **details) -> Patient | None:
    """The company's patient with that id, created on first mention; blank id means none.

    ``details`` that are given (not None) overwrite the stored ones, so a patient's name or phone
    changed through one device is changed for every device of that patient. A patient the
    company removed comes back when its id is named again."""
    external_id = (external_id or "").strip()
    if not external_id:
        return None
    patient, created = Patient.objects.get_or_create(
        company=company,
        external_id=external_id,
        defaults={k: v for k, v in details.items() if v is not None},
    )
    if not created:
        if patient.removed_at is not None:
            details = {**details, "removed_at": None}
        changed = [
            k
            for k, v in details.items()
            if k == "removed_at" or (v is not None and getattr(patient, k) != v)
        ]
        for name in changed:
            setattr(patient, name, details[name])
        if changed:
            patient.save(update_fields=[*changed, "updated_at"])
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
    """Map a device to a patient and/or practice (Pylo ``PUT /devices``): the device, its HWI
    device and, for a gateway, the devices paired with it (see ``devices.assignments``). An
    empty ``patient_id`` leaves the device without a patient."""
    changes: dict[str, Any] = {}
    if patient_id is not None:
        changes["patient"] = ensure_patient(device.company, patient_id)
    if practice_id is not None:
        changes["practice_id"] = practice_id
    if changes:
        assignments.assign(device, **changes)
    return device


@transaction.atomic
def suspend_device(device: Device) -> Device:
    """The company stops paying for the device: ``billing_status`` suspended, announced. Its
    readings are still taken."""
    return _set_billing(device, Device.BillingStatus.SUSPENDED)


@transaction.atomic
def resume_device(device: Device) -> Device:
    """Undo :func:`suspend_device`: active again if it ever sent a reading, else preactive."""
    return _set_billing(device, None)


def _set_billing(device: Device, status: str | None) -> Device:
    """``status`` None: resume (the row's own state, read under its lock, decides to what)."""
    device = (
        Device.objects.select_for_update(of=("self",))
        .select_related("company", "model", "patient", "order")
        .get(pk=device.pk)
    )
    if status is None:
        if device.billing_status != Device.BillingStatus.SUSPENDED:
            raise DeviceError(f"device {device.serial} is {device.billing_status}, not suspended")
        measured = device.first_measurement_at is not None
        status = Device.BillingStatus.ACTIVE if measured else Device.BillingStatus.PREACTIVE
    elif device.billing_status == status:
        raise DeviceError(f"device {device.serial} is {status} already")
    device.billing_status = status
    device.save(update_fields=["billing_status", "updated_at"])
    publish(device.company, EventType.DEVICE_BILLING_STATUS_CHANGED, [(device.pk, device)])
    return device


# ----------------------------------------------------------------------------- patients


def find_patient(company: Company, external_id: str) -> Patient | None:
    """The company's patient with that id, ignoring case (Tenovi's ``external_id__iexact``);
    the exact spelling first when two differ only by case. A removed patient is not found."""
    matches = list(
        Patient.objects.for_company(company)
        .filter(external_id__iexact=(external_id or "").strip(), removed_at__isnull=True)
        .order_by("created_at", "pk")
    )
    exact = [p for p in matches if p.external_id == external_id.strip()]
    return (exact or matches or [None])[0]


def _check_free(company: Company, external_id: str, keep: Patient | None = None) -> str:
    external_id = (external_id or "").strip()
    if not external_id:
        raise FieldError("external_id", "This field is required.")
    taken = find_patient(company, external_id)
    if taken is not None and taken != keep:
        raise FieldError("external_id", f"a patient with external_id {taken.external_id!r} exists")
    return external_id


@transaction.atomic
def create_patient(company: Company, external_id: str, **details) -> Patient:
    """A new patient; its ``external_id`` must be the company's only one, ignoring case. A
    patient removed earlier with that id comes back (its readings are still its own)."""
    external_id = _check_free(company, external_id)
    removed = Patient.objects.for_company(company).filter(external_id=external_id).first()
    if removed is not None:
        return change_patient(removed, **details, removed_at=None)
    return Patient.objects.create(company=company, external_id=external_id, **details)


PATIENT_FIELDS = frozenset(
    {
        "name",
        "phone_number",
        "email",
        "physician",
        "clinic_name",
        "care_manager",
        "sms_opt_in",
        "address",
        "city",
        "state",
        "zip_code",
        "confirm_address",
        "removed_at",
    }
)


@transaction.atomic
def change_patient(patient: Patient, *, external_id: str | None = None, **details) -> Patient:
    """Change what is given; a new ``external_id`` renames the patient for every dialect."""
    unknown = set(details) - PATIENT_FIELDS
    if unknown:
        raise DeviceError(f"a patient has no {', '.join(sorted(unknown))}")
    changed = []
    if external_id is not None and external_id.strip() != patient.external_id:
        patient.external_id = _check_free(patient.company, external_id, keep=patient)
        changed.append("external_id")
    for name, value in details.items():
        if getattr(patient, name) != value:
            setattr(patient, name, value)
            changed.append(name)
    if changed:
        patient.save(update_fields=[*changed, "updated_at"])
    return patient


@transaction.atomic
def remove_patient(patient: Patient) -> None:
    """The company removes a patient: every device and HWI device of theirs lets go (from now
    on, see ``devices.assignments``), and the patient is no longer listed. Readings taken for
    them stay theirs: naming the id again brings the patient back with them."""
    assignments.unassign_patient(patient)
    patient.removed_at = timezone.now()
    patient.save(update_fields=["removed_at", "updated_at"])
