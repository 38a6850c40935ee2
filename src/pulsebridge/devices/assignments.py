"""Which patient and practice each device serves, for which HWI device, since when.

The one place that writes it. Pylo ``PUT /devices`` and ``PATCH /orders``, the Tenovi HWI
devices and patients, shipping an order and binding an HWI device to its hardware all call
:func:`assign` (or :func:`assign_enrolment`), so every dialect, every webhook format and the
readings read the same answer. Each change closes the device's open :class:`Assignment` and opens
the next one at the same instant; the open row is mirrored on the Device and on the Enrolment it
names, in the same transaction.

A reading belongs to the assignment in force when it was received (:func:`with_hwi_assignment`):
the patient stored with the reading is that assignment's, and so is its HWI device. Received, not
measured: a device's clock is its own (a cuff that was never set reports 2000-01-01), and the
time it reached us is the one both sides of a change agree on.

Gateways: a gateway serves the patient of the devices paired with it when they all serve one
(none otherwise); assigning a gateway itself assigns every device paired with it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from .models import Assignment, Device, Enrolment, Kind, Patient

KEEP: Any = object()


@dataclass(frozen=True)
class _Serving:
    enrolment_id: Any
    patient_id: Any
    practice_id: str
    hardware_uuid: str | None

    @property
    def empty(self) -> bool:
        return (
            self.enrolment_id is None
            and self.patient_id is None
            and not self.practice_id
            and not self.hardware_uuid
        )


def _current(device: Device) -> tuple[_Serving, Assignment | None]:
    """What the device serves now, its row locked (the device row first: concurrent changes of
    one device queue here, and at most one row is open)."""
    patient_id, practice_id = (
        Device.objects.select_for_update(of=("self",))
        .filter(pk=device.pk)
        .values_list("patient_id", "practice_id")
        .get()
    )
    row = Assignment.objects.filter(device_id=device.pk, until__isnull=True).first()
    if row is None:
        return _Serving(None, patient_id, practice_id, None), None
    return _Serving(row.enrolment_id, patient_id, practice_id, row.hardware_uuid), row


@transaction.atomic(savepoint=False)  # a step of the caller's change: no savepoint of its own
def assign(
    device: Device,
    *,
    patient: Patient | None = KEEP,
    practice_id: str = KEEP,
    enrolment: Enrolment | None = KEEP,
    hardware_uuid: str | None = KEEP,
    at: datetime | None = None,
    cascade: bool = True,
) -> None:
    """Change what ``device`` serves; what is not given stays.

    A new patient without a practice brings the patient's own practice when it has one (Pylo
    orders name a patient's practice). The device's HWI device, if it is bound to one, serves the
    same patient. ``device`` (and the instances it holds) is updated too."""
    at = at or timezone.now()
    was, row = _current(device)
    now = replace(
        was,
        enrolment_id=was.enrolment_id if enrolment is KEEP else getattr(enrolment, "pk", None),
        patient_id=was.patient_id if patient is KEEP else getattr(patient, "pk", None),
        practice_id=was.practice_id if practice_id is KEEP else (practice_id or ""),
        hardware_uuid=was.hardware_uuid if hardware_uuid is KEEP else hardware_uuid,
    )
    if (
        patient is not KEEP
        and practice_id is KEEP
        and patient is not None
        and patient.pk != was.patient_id
        and patient.practice_id
    ):
        now = replace(now, practice_id=patient.practice_id)
    if now != was:
        # the HWI device it serves follows, unless it is the one being bound (it has the patient)
        _write(device, row, now, at, enrolment_follows=enrolment is KEEP)
    if patient is not KEEP:
        device.patient = patient
    device.practice_id = now.practice_id
    if cascade and patient is not KEEP and now.patient_id != was.patient_id:
        _follow(device, patient, practice_id, at)


def _write(
    device: Device, row: Assignment | None, now: _Serving, at: datetime, *, enrolment_follows: bool
) -> None:
    if row is not None and row.since == at:  # a second change in the same instant amends it
        if now.empty:
            row.delete()
        else:
            row.enrolment_id, row.patient_id = now.enrolment_id, now.patient_id
            row.practice_id, row.hardware_uuid = now.practice_id, now.hardware_uuid
            row.save(update_fields=["enrolment", "patient", "practice_id", "hardware_uuid"])
    else:
        if row is not None:
            row.until = at
            row.save(update_fields=["until"])
        if not now.empty:
            Assignment.objects.create(
                company_id=device.company_id,
                device_id=device.pk,
                enrolment_id=now.enrolment_id,
                patient_id=now.patient_id,
                practice_id=now.practice_id,
                hardware_uuid=now.hardware_uuid,
                since=at,
            )
    Device.objects.filter(pk=device.pk).update(
        patient_id=now.patient_id, practice_id=now.practice_id, updated_at=timezone.now()
    )
    if enrolment_follows and now.enrolment_id is not None:
        Enrolment.objects.filter(pk=now.enrolment_id).exclude(patient_id=now.patient_id).update(
            patient_id=now.patient_id
        )


def _follow(device: Device, patient: Patient | None, practice_id: Any, at: datetime) -> None:
    """A gateway's devices go with it; a paired device's gateway follows its devices."""
    if device.model.kind == Kind.GATEWAY:
        for sensor in Device.objects.filter(gateway=device).select_related("model"):
            assign(sensor, patient=patient, practice_id=practice_id, at=at, cascade=False)
    elif device.gateway_id is not None:
        follow_gateway(device.gateway_id, at=at, known=[patient] if patient else [])


def follow_gateway(gateway_id: Any, *, at: datetime | None = None, known=()) -> None:
    """The gateway serves the patient of the devices paired with it when they all serve one.
    ``known``: patients the caller holds already (spares loading them again)."""
    served = set(
        Device.objects.filter(gateway_id=gateway_id, patient__isnull=False).values_list(
            "patient_id", flat=True
        )
    )
    wanted = served.pop() if len(served) == 1 else None
    gateway = Device.objects.select_related("model").filter(pk=gateway_id).first()
    if gateway is None or gateway.patient_id == wanted:
        return
    patient = next((p for p in known if p.pk == wanted), None)
    if wanted is not None and patient is None:
        patient = Patient.objects.get(pk=wanted)
    assign(gateway, patient=patient, at=at, cascade=False)


@transaction.atomic
def assign_enrolment(
    enrolment: Enrolment, patient: Patient | None, *, at: datetime | None = None
) -> None:
    """The patient an HWI device serves: through its hardware when it has some (so the unit,
    its readings and every dialect follow), else the HWI device alone."""
    if enrolment.device_id is not None:
        device = Device.objects.select_related("model").get(pk=enrolment.device_id)
        assign(device, patient=patient, at=at)
    elif enrolment.patient_id != getattr(patient, "pk", None):
        Enrolment.objects.filter(pk=enrolment.pk).update(patient=patient)
    enrolment.patient = patient


def unassign_patient(patient: Patient, *, at: datetime | None = None) -> None:
    """The patient serves no device any more: every device and HWI device of theirs lets go."""
    at = at or timezone.now()
    for device in Device.objects.filter(patient=patient).select_related("model"):
        assign(device, patient=None, at=at)
    Enrolment.objects.filter(patient=patient, device__isnull=True).update(patient=None)


# ----------------------------------------------------------------------------- readings


def _in_force() -> QuerySet:
    """The HWI assignment of the reading in the outer query: the one in force when it was
    received, if it binds the reading's device to an HWI device."""
    return (
        Assignment.objects.filter(
            company=OuterRef("company_id"),
            device=OuterRef("device_id"),
            enrolment__isnull=False,
            since__lte=OuterRef("received_at"),
        )
        .filter(Q(until__isnull=True) | Q(until__gt=OuterRef("received_at")))
        .order_by("-since")
        .values("pk")[:1]
    )


def with_hwi_assignment(readings: QuerySet) -> QuerySet:
    """Which HWI device each reading belongs to: ``readings`` annotated with ``hwi_assignment``,
    the id of its :class:`Assignment` (None: the reading belongs to no HWI device). The one
    answer to that question, for the measurement endpoints and the webhooks alike."""
    return readings.annotate(hwi_assignment=Subquery(_in_force()))


def readings_of_enrolment(readings: QuerySet, enrolment: Enrolment) -> QuerySet:
    """The readings that belong to ``enrolment``: what its hardware sent while bound to it,
    across replacements (annotated as :func:`with_hwi_assignment` does)."""
    rows = Assignment.objects.filter(enrolment=enrolment)
    devices = rows.values("device_id")
    return with_hwi_assignment(readings.filter(device_id__in=devices)).filter(
        hwi_assignment__in=rows.values("pk")
    )


def by_id(ids) -> dict[Any, Assignment]:
    """The assignments with these ids, with what a reading's wire form needs."""
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {
        a.pk: a
        for a in Assignment.objects.filter(pk__in=ids).select_related("enrolment__model", "patient")
    }
