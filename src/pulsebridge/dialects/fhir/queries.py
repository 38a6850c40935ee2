"""The company's rows the FHIR API reads, as plain rows for ``resources``."""

from __future__ import annotations

from django.db.models import Func, QuerySet, TextField
from django.db.models.functions import Cast, Coalesce, Greatest

from pulsebridge.core.models import Company
from pulsebridge.devices.models import Device, Patient
from pulsebridge.readings.models import Measurement

from .resources import DEVICE_COLUMNS, OBSERVATION_KINDS, PATIENT_COLUMNS

# The first seven are what ``resources.ObservationWriter`` reads: the times come as the text
# FHIR writes (``Instant``), the values as JSON text, parsed by orjson (Django's JSONField
# parses with the standard library, several times slower).
OBSERVATION_COLUMNS = (
    "pk", "kind", "unit", "effective", "issued", "device_id", "patient_id", "values_text",
)  # fmt: skip


class Instant(Func):
    """A time written by the database as ``resources.instant`` writes it: UTC, ``Z``, the
    microseconds only when there are any. A search page holds a thousand Observations and an
    export a million: loading each time into a Python datetime (the loader Django installs for
    psycopg is pure Python) and formatting it again was a large share of an export's Python
    time (profiled: docs/performance.md, "Figures from the code"); ``to_char`` costs PostgreSQL
    next to nothing."""

    arity = 1
    output_field = TextField()
    # SQLite: Django stores a time as UTC text, 'YYYY-MM-DD HH:MM:SS[.ffffff]'
    template = "(replace(%(expressions)s, ' ', 'T') || 'Z')"
    POSTGRESQL = (
        "(CASE WHEN date_trunc('second', $t) = $t "
        """THEN to_char($t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') """
        """ELSE to_char($t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') END)"""
    )

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return self.POSTGRESQL.replace("$t", sql), [*params] * 4


def readings(company: Company) -> QuerySet:
    return Measurement.objects.for_company(company).filter(kind__in=OBSERVATION_KINDS)


def observation_rows(measurements: QuerySet) -> QuerySet:
    return measurements.annotate(
        effective=Instant("measured_at"),
        issued=Instant("received_at"),
        values_text=Cast("values", TextField()),
    ).values_list(*OBSERVATION_COLUMNS)


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
