"""The company's rows the FHIR API reads, as plain rows for ``resources``."""

from __future__ import annotations

from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast, Coalesce, Greatest

from pulsebridge.core.models import Company
from pulsebridge.devices.models import Device, Patient
from pulsebridge.readings.models import Measurement

from .resources import DEVICE_COLUMNS, OBSERVATION_KINDS, PATIENT_COLUMNS

# The first seven are what ``resources.ObservationWriter`` reads; the values come as JSON text,
# parsed by orjson (Django's JSONField parses with the standard library, several times slower).
OBSERVATION_COLUMNS = (
    "pk", "kind", "unit", "measured_at", "received_at", "device_id", "patient_id", "values_text",
)  # fmt: skip


def readings(company: Company) -> QuerySet:
    return Measurement.objects.for_company(company).filter(kind__in=OBSERVATION_KINDS)


def observation_rows(measurements: QuerySet) -> QuerySet:
    return measurements.annotate(values_text=Cast("values", TextField())).values_list(
        *OBSERVATION_COLUMNS
    )


def patients(company: Company) -> QuerySet:
    # what the Patient resource shows comes from the patient and its care client: it changed
    # when either did
    return Patient.objects.for_company(company).annotate(
        last_updated=Greatest("updated_at", Coalesce("care_client__updated_at", "updated_at"))
    )


def patient_rows(queryset: QuerySet) -> QuerySet:
    return queryset.values_list(*PATIENT_COLUMNS)


def devices(company: Company) -> QuerySet:
    # Gateways and asset trackers are devices too; only the measuring ones serve a patient, but
    # every unit the company holds is a Device resource.
    return Device.objects.for_company(company)


def device_rows(queryset: QuerySet) -> QuerySet:
    return queryset.values_list(*DEVICE_COLUMNS)
